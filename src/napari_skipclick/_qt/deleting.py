"""Delete objects in a worker: every frame that may hold one is read, on a long video many
from the store, which would pause the viewer for seconds on the GUI thread.

The worker runs ``session.deleting`` object after object (progress in napari's activity
dock; Escape or closing the session cancels it between frames: the object being deleted is
put back, those deleted before stay deleted, each its own undoable step). The GUI thread
only shows the result.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from ..session import AnnotationSession
from .workers import StoppableWorker


class ObjectsDelete(StoppableWorker):
    """The deletion of ``ids`` running in a worker thread; ``cancel`` stops it between frames.

    Its result is the IDs deleted, in order.
    """

    def __init__(self, session: AnnotationSession, ids: Sequence[int]) -> None:
        self.ids = list(ids)
        total = len(session.frames_with_labels()) * len(self.ids)
        names = ", ".join(session.object(i).name for i in self.ids)
        progress = {"total": total, "desc": f"SkipClick: deleting {names}"}
        super().__init__(self._run, (session,), progress)

    def cancel(self) -> None:
        """Stop after the frame in progress; the object being deleted is put back. The worker
        is not told to quit: it must resume once, in its thread, to put the object back."""
        self._stop.set()

    def _run(self, session: AnnotationSession) -> Generator[int, None, list[int]]:
        deleted: list[int] = []
        for obj_id in self.ids:
            steps = session.deleting(obj_id)
            for t in steps:
                yield t
                if self.cancelled:
                    steps.close()  # puts this object back
                    return deleted
            deleted.append(obj_id)
        return deleted


def start_delete(controller: Any, ids: Sequence[int]) -> ObjectsDelete:
    """Delete the objects ``ids`` of the controller's session in a worker (each one undoable
    step), then show the result on the GUI thread."""
    session = controller.session
    run = ObjectsDelete(session, ids)

    def done(deleted: list[int]) -> None:
        if controller.objects_delete is run:
            controller.objects_delete = None
        if controller.session is not session:
            return  # the session ended meanwhile
        if controller.current_object in deleted:
            controller.current_object = None
        controller._after_history_change(None)
        left = len(run.ids) - len(deleted)
        cancelled = f"; cancelled, {left} object(s) kept" if left else ""
        controller._say(f"Deleted {len(deleted)} object(s){cancelled}")

    def failed(exc: Exception) -> None:
        if controller.objects_delete is run:
            controller.objects_delete = None
        controller._after_history_change(None)
        controller._error(f"Cannot delete: {exc}")

    run.worker.returned.connect(done)
    run.worker.errored.connect(failed)
    run.start()
    return run
