"""Undo and redo in the controller, and showing any change made at once to the session.

A mixin of ``AnnotationController`` (it uses the controller's session, layers, edit queue and
signals). The session's undo is a cheap patch write; what the GUI thread does after it is kept
to what changed: the frame of the edit is shown (napari reads it), the labels layer is
refreshed only when the frame on screen changed, the object table only when the object list
changed (else only the Frames column of the changed frames), and saving goes through the
store writer.
"""

from __future__ import annotations

from typing import Any


class ControllerHistory:
    """Undo and redo of the ``AnnotationController``."""

    session: Any
    layers: Any
    edits: Any
    saving: Any
    current_object: int | None
    _frame: int

    def undo(self) -> None:
        self._history_step(redo=False)

    def redo(self) -> None:
        self._history_step(redo=True)

    def _history_step(self, *, redo: bool) -> None:
        if self.session is None or self._refuse_while_busy("undo or redo"):
            return
        waiting = self.edits.pending(self._frame, self.current_object or 0)
        if not redo and waiting is not None:
            self.edits.discard(self._frame, self.current_object)
            self._sync_prompts()
            self._say("Undid clicks that were waiting for features")
            return
        session = self.session
        with session.locked():  # a worker (an import) may push an edit meanwhile
            frames, objects = session.history.next_frames(redo=redo), session.objects
            t = session.redo() if redo else session.undo()
        if t is None:
            self._say("Nothing to redo" if redo else "Nothing to undo")
            return
        for changed in frames:
            self.edits.discard(t=changed)
        self._after_history_change(t, frames, objects)
        self._say(f"{'Redid' if redo else 'Undid'} an edit on frame {t}")

    def _after_history_change(
        self, t: int | None, frames: list[int] | None = None, objects: list | None = None
    ) -> None:
        """Show a change made at once to the session (undo, redo, import, deletion): go to
        frame ``t`` and refresh only what changed: the ``frames`` (None: any) and the object
        list unless it still equals ``objects`` (None: it may have changed)."""
        session = self.session
        if objects is None or session.objects != objects:
            ids = [o.id for o in session.objects]
            if self.current_object not in ids:
                self.current_object = ids[0] if ids else None
                self.current_object_changed.emit()
            self.layers.set_objects(session.objects)
            self.objects_changed.emit()
        else:
            self.annotations_changed.emit(frames)
        if t is not None and t != self._frame:
            self.go_to_frame(t)  # napari reads the new frame of every layer
        elif frames is None or self._frame in frames:
            self.layers.refresh_labels()
        self._sync_prompts()
        self.statuses_changed.emit()
        self.saving.schedule()
