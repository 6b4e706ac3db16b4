"""The undo half of ``AnnotationSession``: recorded frame changes, undo and redo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import FrameStatus
from .clicks import ClickTable
from .history import FrameChange, History, first_frame
from .labels import LabelVolume
from .state import ObjectRegistry


class SessionUndo:
    """Edits as undoable frame changes (a mixin: it uses the session's state)."""

    history: History
    labels: LabelVolume
    registry: ObjectRegistry
    _clicks: ClickTable
    _status: dict[int, FrameStatus]
    _meta_dirty: set[int]
    _lock: Any
    _mark_objects_changed: Callable[[], None]  # the session's (``SessionSaving``)

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo

    def undo(self) -> int | None:
        """Undo the last edit (a propagation run at once) exactly; returns a frame it changed."""
        with self._lock:
            edits = self.history.pop_undo()
            for edit in edits:
                if edit.removed_object is not None:
                    self.registry.restore(edit.removed_object)
                    self._mark_objects_changed()
                for change in reversed(edit.changes):
                    self._set_state(change, after=False)
            return first_frame(edits[::-1])

    def redo(self) -> int | None:
        """Redo the last undone edit (or run); returns a frame it changed, or None."""
        with self._lock:
            edits = self.history.pop_redo()
            for edit in edits:
                for change in edit.changes:
                    self._set_state(change, after=True)
                if edit.removed_object is not None:
                    self.registry.remove(edit.removed_object.id)
                    self._mark_objects_changed()
            return first_frame(edits)

    def record(self, change: FrameChange, group: int | None = None) -> None:
        """Apply ``change`` and push it on the undo stack.

        Hold ``locked`` from the read that ``change`` was built from until this call.

        Args:
            change: the frame change (see ``history.frame_change``).
            group: undo group (``history.new_group()``): edits of one group undo together.
        """
        with self._lock:
            self._set_state(change, after=True)
            self.history.push([change], group=group)

    def _set_state(self, change: FrameChange, *, after: bool) -> None:
        t = change.frame
        patch = change.labels_after if after else change.labels_before
        if patch.size:
            self.labels.write(t, change.box, patch)
        self._clicks.set(t, change.clicks_after if after else change.clicks_before)
        status = change.status_after if after else change.status_before
        if status == FrameStatus.EMPTY:
            self._status.pop(t, None)
        else:
            self._status[t] = status
        self._meta_dirty.add(t)
