"""Workers the GUI thread can stop between items and wait for (before closing the session).

- ``StoppableWorker``: a generator in napari's ``thread_worker``, progress in the activity
  dock; the propagation run and the labels import are such workers.
- ``SessionEditWorker``: one that edits the session through a generator that puts back what it
  did when cancelled (a deletion, the undo or redo of a large edit).
- ``end_event``: what the GUI thread waits on for a worker's thread to end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

from napari.qt.threading import create_worker
from qtpy.QtCore import Qt

from .activity import ActivityProgress


def end_event(worker: Any) -> threading.Event:
    """An event set in ``worker``'s own thread once it has ended, which the GUI thread can
    wait for without running Qt's event loop (keep it: the signal holds it weakly)."""
    ended = threading.Event()
    worker.finished.connect(ended.set, Qt.ConnectionType.DirectConnection)
    return ended


class StoppableWorker:
    """A generator run in napari's ``thread_worker`` (progress in the activity dock) that the
    GUI thread can stop between items (``cancel``; the generator checks ``cancelled``) and wait
    for (``wait``, e.g. before closing the session). Errors are left to the caller's handler of
    ``worker.errored``.

    Args:
        run: the generator function, called with ``args`` in the worker thread.
        args: its arguments.
        progress: the progress bar's ``desc`` and ``total`` (0 or left out: unknown); each
            item the generator yields is one step (``activity.ActivityProgress``).
    """

    #: what it does, for the widget's messages ("objects are deleted")
    doing = "work runs"

    def __init__(self, run: Callable[..., Iterator[Any]], args: tuple, progress: dict) -> None:
        self._stop = threading.Event()
        self._progress = progress
        self.bar: ActivityProgress | None = None  # shown from ``start``
        self.worker = create_worker(run, *args, _ignore_errors=True)
        self._ended = end_event(self.worker)

    def start(self) -> None:
        """Show the progress bar and start the worker (on the GUI thread)."""
        # kept here: a signal holds only a weak reference to a bound method's object
        self.bar = ActivityProgress(self._progress["desc"], self._progress.get("total", 0))
        self.worker.yielded.connect(self.bar.advance)
        self.worker.finished.connect(self.bar.close)
        self.worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker's thread has ended (True) or ``timeout`` s passed (False)."""
        return self._ended.wait(timeout)

    def cancel(self) -> None:
        """Stop after the item in progress."""
        self._stop.set()
        self.worker.quit()

    def stop(self, timeout: float) -> None:
        """``cancel`` and wait until the worker's thread has ended (before closing the
        session); ``TimeoutError`` saying what it does (``doing``) after ``timeout`` seconds."""
        self.cancel()
        if not self.wait(timeout):
            raise TimeoutError(f"did not stop within {timeout:.0f} s: {self.doing}")

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()


class SessionEditWorker(StoppableWorker):
    """A ``StoppableWorker`` that edits the session's frames through session generators that
    put back what they did when closed early (``AnnotationSession.deleting``, ``undoing``).
    ``cancel`` does not quit the worker: it must resume once, in its thread, to put things
    back."""

    def cancel(self) -> None:
        """Stop after the frame in progress; what the current step did is put back."""
        self._stop.set()

    def until_cancelled(
        self, steps: Generator[Any, None, Any]
    ) -> Generator[Any, None, tuple[bool, Any]]:
        """Yield what ``steps`` yields; when cancelled, close it (it puts back what it did).
        Returns whether it ran to its end, and its return value (None when cancelled)."""
        while True:
            try:
                item = next(steps)
            except StopIteration as stop:
                return True, stop.value
            yield item
            if self.cancelled:
                steps.close()
                return False, None
