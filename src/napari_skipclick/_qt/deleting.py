"""Delete objects in a worker: every frame that may hold one is read, on a long video many
from the store, which would pause the viewer for seconds on the GUI thread.

The worker runs ``session.deleting`` object after object (progress in napari's activity
dock; Escape or closing the session cancels it between frames: the object being deleted is
put back, those deleted before stay deleted, each its own undoable step). The GUI thread
only shows the result. Escape on the deletion that opening a store finishes (a crash cut it
short) keeps the object for good; closing the session leaves that deletion to the next
opening.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from ..session import AnnotationSession
from .stoppable import SessionEditWorker


class ObjectsDelete(SessionEditWorker):
    """The deletion of ``ids`` running in a worker thread; ``cancel`` stops it between frames
    (the object being deleted is put back).

    Its result is the IDs deleted, in order.
    """

    doing = "objects are deleted"

    def __init__(self, session: AnnotationSession, ids: Sequence[int]) -> None:
        self.ids = list(ids)
        total = len(session.frames_with_labels()) * len(self.ids)
        names = ", ".join(session.object(i).name for i in self.ids)
        progress = {"total": total, "desc": f"SkipClick: deleting {names}"}
        super().__init__(self._run, (session,), progress)

    def _run(self, session: AnnotationSession) -> Generator[int, None, list[int]]:
        deleted: list[int] = []
        for obj_id in self.ids:
            ended, _ = yield from self.until_cancelled(session.deleting(obj_id))
            if not ended:
                return deleted
            deleted.append(obj_id)
        return deleted


def start_delete(controller: Any, ids: Sequence[int]) -> ObjectsDelete:
    """Delete the objects ``ids`` of the controller's session in a worker (each one undoable
    step), then show the result on the GUI thread."""
    run = ObjectsDelete(controller.session, ids)
    listed = list(controller.session.objects)  # a deleted current object's neighbour follows

    def done(deleted: list[int]) -> None:
        # a deletion a crash cut short, cancelled: the object is kept, so a later opening must
        # not delete it (nor what is done on it meanwhile)
        given_up = controller.session.keep_objects(set(run.ids) - set(deleted))
        controller._after_history_change(None, objects=listed)
        left = len(run.ids) - len(deleted)
        cancelled = f"; cancelled, {left} object(s) kept" if left else ""
        if given_up:
            cancelled += " (as the crash left them: their deletion is given up)"
        controller._say(f"Deleted {len(deleted)} object(s){cancelled}")

    controller._start_background_edit(run, done, "delete")
    return run
