"""Undo and redo in the controller, and showing any change made at once to the session.

A mixin of ``AnnotationController`` (it uses the controller's session, layers, edit queue and
signals). An undo or redo of a few frames (a click edit, a short propagation) is a cheap patch
write and runs at once on the GUI thread; a larger one (a long propagation run, a deletion on
a long video, whose frames may have to be read back from the store) runs frame by frame in a
worker (``HistoryStep``, progress in the activity dock, Escape cancels it: nothing changes).
What the GUI thread does after it is kept to what changed: the frame of the edit is shown
(napari reads it), the labels layer is refreshed only when the frame on screen changed, the
object table only when the object list changed (else only the Frames column of the changed
frames), and saving goes through the store writer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from ..frame_lists import counted, frame_ranges
from ..session import AnnotationSession
from ..session.history import ClassListChange, Edit, shown_frame
from .stoppable import SessionEditWorker

#: an undo or redo that changes more frames than this runs in a worker
SYNC_FRAMES = 8


class HistoryStep(SessionEditWorker):
    """One undo (``redo``: redo) running frame by frame in a worker thread (``cancel`` stops
    it between frames and puts back what it changed). Its result: whether it ran to its end,
    and the frame ``AnnotationSession.undo`` returns."""

    def __init__(self, session: AnnotationSession, redo: bool, near: int) -> None:
        self.redo, self.near = redo, near
        #: undos (False) and redos (True) asked for while it runs, taken in order after it
        self.queued: list[bool] = []
        self.doing = f"an edit is {'redone' if redo else 'undone'}"
        changes = sum(len(e.changes) for e in session.history.next_edits(redo))
        desc = (
            f"SkipClick: {'redoing' if redo else 'undoing'} an edit of {counted(changes, 'frame')}"
        )
        super().__init__(self._run, (session,), {"total": changes, "desc": desc})

    def _run(self, session: AnnotationSession) -> Generator[int, None, tuple[bool, Any]]:
        return (yield from self.until_cancelled(session.undoing(redo=self.redo, near=self.near)))


class ControllerHistory:
    """Undo and redo of the ``AnnotationController``."""

    session: Any
    layers: Any
    edits: Any
    saving: Any
    current_object: int | None
    current_before: dict[int, int | None]  # the controller's
    _frame: int
    background_edit: Any
    _on_stroke_end: Callable[[], None]  # the controller's (``ControllerPainting``)

    def undo(self) -> None:
        self._history_step(redo=False)

    def redo(self) -> None:
        self._history_step(redo=True)

    def _history_step(self, *, redo: bool) -> HistoryStep | None:
        """Undo (``redo``: redo) at once, or in a worker when large (returned); while such a
        worker runs, the step is queued after it (Ctrl+Z held down on a long run's undo)."""
        running = self.background_edit
        if isinstance(running, HistoryStep) and not running.cancelled:
            running.queued.append(redo)
            self._say(f"{'Redo' if redo else 'Undo'} queued: {running.doing}")
            return None
        if self.session is None or self._refuse_while_busy("undo or redo"):
            return None
        self._on_stroke_end()  # a stroke napari never ended: its dabs fold, one patch to undo
        session = self.session
        # clicks not decoded yet go first, the newest first, when made after the edit the undo
        # would take back (a *Not here* made while they wait goes first)
        waiting = self.edits.newest()
        if not redo and waiting is not None and waiting.stamp > session.history.newest_stamp:
            self.edits.discard(waiting.frame, waiting.obj_id)
            self._sync_prompts()
            self._say(
                f"Undid clicks on frame {waiting.frame} that were waiting for features",
                frame=waiting.frame,
            )
            return None
        with session.locked():  # a worker (an import) may push an edit meanwhile
            edits = session.history.next_edits(redo=redo)
            frames, objects = session.history.next_frames(redo=redo), session.objects
            large = len(frames) > SYNC_FRAMES
            if edits and not large:
                step = session.redo if redo else session.undo
                step(near=self._frame)
        if large:
            # clicks still waiting would push edits while the undo stacks are taken apart
            self.edits.discard()
            return self._start_history_step(redo, edits, objects)
        self._show_history_step(redo, edits, objects)
        return None

    def _start_history_step(self, redo: bool, edits: list[Edit], objects: list) -> HistoryStep:
        run = HistoryStep(self.session, redo, self._frame)

        def done(result: tuple[bool, Any]) -> None:
            if not result[0]:  # Escape: the steps queued after it go too
                self._say(f"{'Redo' if redo else 'Undo'} cancelled: nothing changed")
                return
            self._show_history_step(redo, edits, objects)
            queued = list(run.queued)
            while queued:
                later = self._history_step(redo=queued.pop(0))
                if later is not None:  # a large one again: the rest waits for it
                    later.queued.extend(queued)
                    break

        self._start_background_edit(run, done, "redo" if redo else "undo")
        return run

    def _show_history_step(self, redo: bool, edits: list[Edit], objects: list) -> None:
        """Show the undo (``redo``: redo) of ``edits`` (the objects were ``objects`` before)."""
        if not edits:
            self._say("Nothing to redo" if redo else "Nothing to undo")
            return
        frames = sorted({c.frame for edit in edits for c in edit.changes})
        for changed in frames:
            self.edits.discard(t=changed)
        for gone in {o.id for o in objects} - {o.id for o in self.session.objects}:
            self.edits.discard(obj_id=gone)  # its clicks waiting for a mask
        t = shown_frame(edits if redo else edits[::-1], self._frame)
        if any(edit.classes is not None for edit in edits):
            objects = None  # the class list changed: the Objects panel shows it again
        unadded = set() if redo else {info.id for edit in edits for info in edit.added_objects}
        self._after_history_change(t, frames, objects, unadded)
        self._say(f"{'Redid' if redo else 'Undid'} {step_words(edits, t)}", frame=t)

    def _current_instead(
        self, gone: int | None, ids: list[int], listed: list[int], unadded: set[int]
    ) -> int | None:
        """The object current instead of ``gone``, which left the ``ids`` (``listed`` before):
        if an undo took back its addition (``unadded``), the one current when it was added
        (None too: a first click made it) if it is still there; else its neighbour in the
        list (``neighbour``: it was deleted)."""
        if gone in unadded and gone in self.current_before:
            before = self.current_before[gone]
            if before is None or before in ids:
                return before
        return neighbour(gone, listed, ids)

    def _after_history_change(
        self,
        t: int | None,
        frames: list[int] | None = None,
        objects: list | None = None,
        unadded: set[int] | None = None,
    ) -> None:
        """Show a change made at once to the session (undo, redo, import, deletion): go to
        frame ``t`` and refresh only what changed: the ``frames`` (None: any) and the object
        list unless it still equals ``objects`` (None: it may have changed); ``unadded``: the
        objects whose addition an undo took back."""
        session = self.session
        if objects is None or session.objects != objects:
            ids = [o.id for o in session.objects]
            if self.current_object not in ids:
                listed = [o.id for o in objects or ()]
                gone, unadded = self.current_object, unadded or set()
                self.current_object = self._current_instead(gone, ids, listed, unadded)
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


def neighbour(gone: int | None, listed: list[int], ids: list[int]) -> int | None:
    """The object after ``gone`` in the list before (``listed``) that is still among the
    ``ids``, else the nearest before it, as a list selects the next row once one is deleted;
    the first of the ``ids`` when ``gone`` was not listed (None when there is none)."""
    if gone in listed:
        k = listed.index(gone)
        for other in [*listed[k + 1 :], *reversed(listed[:k])]:
            if other in ids:
                return other
    return ids[0] if ids else None


def step_words(edits: list[Edit], t: int | None) -> str:
    """What ``edits`` did, in words, for the status line after their undo or redo ("an edit on
    frame 4 and adding object 7 (skis 7)", "an edit of 19 frames (21-39)", "deleting object
    3 (skis) from 12 frames": those where it had pixels or clicks, not those where only a
    review note of it went); ``t``: the frame that it shows (one frame changed)."""
    frames = sorted({change.frame for edit in edits for change in edit.changes})
    removed = [edit.removed_object for edit in edits if edit.removed_object is not None]
    if removed:
        words = [f"deleting {_objects_words(removed)}"]
        held = {
            change.frame
            for edit in edits
            if edit.removed_object is not None
            for change in edit.changes
            if change.held(edit.removed_object.id)
        }
        if held:
            words[0] += f" from {len(held)} frame{'s' * (len(held) > 1)}"
    elif len(frames) > 1:
        words = [f"an edit of {len(frames)} frames ({frame_ranges(frames)})"]
    else:
        words = [] if t is None else [f"an edit on frame {t}"]
    added = [info for edit in edits for info in edit.added_objects]
    if added:
        words.append(f"adding {_objects_words(added)}")
    for before, after in (pair for edit in edits for pair in edit.renamed):
        if before.name != after.name:
            words.append(f"renaming object {after.id} ({before.name} → {after.name})")
        if before.class_name != after.class_name:
            words.append(
                f"changing object {after.id}'s class ({before.class_name} → {after.class_name})"
            )
    words += [_class_words(edit.classes) for edit in edits if edit.classes is not None]
    return " and ".join(words) or "an edit"


def _objects_words(objects: list) -> str:
    """Objects in words ("object 7 (skis 7)", "objects 3 (ski), 4 (pole) …")."""
    shown = ", ".join(f"{info.id} ({info.name})" for info in objects[:3])
    return f"object{'s' * (len(objects) > 1)} {shown}{' …' if len(objects) > 3 else ''}"


def _class_words(step: ClassListChange) -> str:
    """A change of the class list in words ("adding class ski")."""
    if step.new_name is not None:
        return f"renaming class {step.name} → {step.new_name}"
    return f"{'removing' if step.removed else 'adding'} class {step.name}"
