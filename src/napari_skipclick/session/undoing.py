"""The undo half of ``AnnotationSession``: recorded frame changes, undo and redo."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import numpy as np

from ..checks import ids_in
from ..types import FrameStatus
from .clicks import ClickTable
from .frame_changes import FrameChange
from .history import ClassListChange, Edit, History, shown_frame
from .labels import LabelVolume
from .state import ObjectRegistry
from .track import Courses


class SessionUndo:
    """Edits as undoable frame changes (a mixin: it uses the session's state)."""

    history: History
    labels: LabelVolume
    registry: ObjectRegistry
    courses: Courses
    _clicks: ClickTable
    _status: dict[int, FrameStatus]
    _meta_dirty: set[int]
    _carried: dict[int, set[int]]  # frame -> objects whose mask propagation made there
    _painted: dict[int, set[int]]  # frame -> objects whose pixels the user painted there
    _derived: dict[int, set[int]]  # frame -> objects whose first clicks propagation derived
    _accepted: set[int]  # frames the user accepted before an edit made them *clicked*
    _absent: dict[int, set[int]]  # frame -> objects the user marked not on it
    _ids: dict[int, tuple[int, frozenset[int]]]  # frame -> (labels version, its object IDs)
    _review_reasons: dict[int, dict[int, str]]  # frame -> object -> why it needs review
    _last_edit: int | None  # the frame the last edit went to (``SessionSaving``)
    _lock: Any
    _mark_objects_changed: Callable[[], None]  # the session's (``SessionSaving``)
    _refuse_closed: Callable[[], None]  # the session's (``SessionSaving``)
    ids_on: Callable[[int], frozenset[int]]
    saved_whole: Callable[[], AbstractContextManager[None]]  # the session's (``SessionSaving``)
    _absent_settled: Callable[[FrameChange], FrameChange]  # the session's (``SessionAbsent``)

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo

    def undo(self, near: int | None = None) -> int | None:
        """Undo the last edit (a propagation run at once) exactly; returns a frame it changed
        (``shown_frame``: ``near`` or the one nearest to it)."""
        return run_to_end(self.undoing(near=near))

    def redo(self, near: int | None = None) -> int | None:
        """Redo the last undone edit (or run); returns a frame it changed, or None."""
        return run_to_end(self.undoing(redo=True, near=near))

    def undoing(
        self, *, redo: bool = False, near: int | None = None
    ) -> Generator[int, None, int | None]:
        """``undo`` (``redo``) frame by frame: yields each frame once it was changed, returns
        the frame ``undo`` returns. The session's lock is held for one frame at a time (other
        threads wait for one frame at most); an object the edit deleted is back (undo) or
        gone (redo) from the start. Closing the iterator before its end puts back every frame
        it changed, the object and the undo stacks: the session is as before. No other edit
        may be recorded until it ends (the widget refuses edits meanwhile): the stacks it put
        back would no longer be where it took them from.

        Args:
            redo: redo the last undone edit instead of undoing the last edit.
            near: the frame on screen: the one returned (and noted as the last edit's, where
                a resumed store opens) when the edit changed it, else the changed frame
                nearest to it.
        """
        with self.saved_whole("a redo" if redo else "an undo"):  # the store gets all of it or none
            with self._lock:
                edits = self.history.pop_redo() if redo else self.history.pop_undo()
                self._object_steps(edits, redo)
            changes = [c for e in edits for c in (e.changes if redo else reversed(e.changes))]
            done: list[FrameChange] = []
            ended = False
            try:
                for change in changes:
                    with self._lock:
                        self._set_state_and_ids(change, after=redo)
                        done.append(change)
                    yield change.frame
                ended = True
            finally:
                if not ended:
                    with self._lock:
                        for change in reversed(done):
                            self._set_state_and_ids(change, after=not redo)
                        self._object_steps(edits, not redo)
                        if redo:  # the edits go back to the stack they came from
                            self.history.pop_undo()
                        else:
                            self.history.pop_redo()
        shown = shown_frame(edits if redo else edits[::-1], near)
        with self._lock:
            self._last_edit = self._last_edit if shown is None else shown
        return shown

    def _object_steps(self, edits: list[Edit], redo: bool) -> None:
        """The objects that ``edits`` added or deleted: out or back as they are redone
        (``redo``) or undone; those it renamed or reclassified, and the class list: as after or
        before."""
        for edit in edits:
            if edit.classes is not None:
                self._class_list_step(edit.classes, redo)
            deleted = () if edit.removed_object is None else (edit.removed_object,)
            leaving, coming = deleted, edit.added_objects
            if not redo:
                leaving, coming = coming, leaving
            for info in leaving:
                if info.id in self.registry:
                    self.registry.remove(info.id)
            for info in coming:
                self.registry.restore(info)
            if edit.courses is not None and edit.removed_object is not None:
                obj_id = edit.removed_object.id
                if redo:
                    self.courses.forget(obj_id)
                else:
                    self.courses.restore(obj_id, edit.courses)
            for before, after in edit.renamed:
                if before.id in self.registry:
                    self.registry.restore(after if redo else before)
            if leaving or coming or edit.renamed:
                self._mark_objects_changed()

    def _class_list_step(self, step: ClassListChange, redo: bool) -> None:
        """The class list as after ``step`` (``redo``) or before it."""
        if step.new_name is not None:
            old, new = (step.name, step.new_name) if redo else (step.new_name, step.name)
            if old in self.registry.classes and new not in self.registry.classes:
                self.registry.rename_class(old, new)
        elif redo != step.removed:  # the class comes back
            self.registry.insert_class(step.name, step.index)
        else:
            self.registry.drop_class(step.name)
        self._mark_objects_changed()

    def record(
        self, change: FrameChange, group: int | None = None, stamp: int | None = None
    ) -> None:
        """Apply ``change`` and push it on the undo stack.

        Hold ``locked`` from the read that ``change`` was built from until this call. An
        edit that gives an object marked absent on the frame pixels or clicks there ends the
        mark (``absent``).

        Args:
            change: the frame change (see ``frame_changes.frame_change``).
            group: undo group (``history.new_group()``): edits of one group undo together.
            stamp: when the user asked for it (``history.tick()``); None: now.
        """
        with self._lock:
            change = self._absent_settled(change)
            self._set_state(change, after=True)
            self.history.push([change], group=group, stamp=stamp)
            self._last_edit = change.frame

    def _set_state_and_ids(self, change: FrameChange, *, after: bool) -> None:
        """``_set_state`` in a frame-by-frame run (``undoing``, ``deleting``): the frame's
        object IDs are found here, in the run's thread, not by their first reader (the
        widget, on the GUI thread)."""
        self._set_state(change, after=after)
        self.ids_on(change.frame)

    def _set_state(self, change: FrameChange, *, after: bool) -> None:
        self._refuse_closed()
        t = change.frame
        if change.labels_after.size:
            cached = self._ids.get(t)
            known = cached[1] if cached and cached[0] == self.labels.version(t) else None
            self.labels.update(t, change.box, lambda region: change.paste(region, after=after))
            if known is not None:  # the frame's IDs from the change alone (a 4K frame: 48 ms)
                ids = ids_after_change(known, change, after, lambda: self.labels.read(t))
                self._ids[t] = (self.labels.version(t), ids)
        self._clicks.set(t, change.clicks_after if after else change.clicks_before)
        status = change.status_after if after else change.status_before
        if status == FrameStatus.EMPTY:
            self._status.pop(t, None)
        else:
            self._status[t] = status
        review = change.review_after if after else change.review_before
        if review is not None:
            self._review_reasons[t] = dict(review)
        marks = change.marks_after if after else change.marks_before
        if marks is not None:
            self._carried[t], self._painted[t] = set(marks.carried), set(marks.painted)
            self._absent[t], self._derived[t] = set(marks.absent), set(marks.derived)
            if marks.accepted:
                self._accepted.add(t)
            else:
                self._accepted.discard(t)
        self._meta_dirty.add(t)


def ids_after_change(
    ids: frozenset[int], change: FrameChange, after: bool, frame: Callable[[], np.ndarray]
) -> frozenset[int]:
    """The object IDs of a frame that held ``ids`` once ``change`` was applied (``after``) or
    undone: those written come in, those overwritten go unless ``frame()`` (the frame now)
    still holds them elsewhere."""
    written, replaced = (
        (change.labels_after, change.labels_before)
        if after
        else (change.labels_before, change.labels_after)
    )
    gained = ids_in(written)
    gone = ids_in(replaced) - gained
    if gone:
        now = frame()
        gone = frozenset(i for i in gone if not (now == i).any())
    return (ids | gained) - gone


_Result = TypeVar("_Result")


def run_to_end(steps: Generator[Any, None, _Result]) -> _Result:
    """Exhaust the generator ``steps``; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
