"""Workers the GUI thread can stop between items and wait for (before closing the session).

- ``StoppableWorker``: a generator in napari's ``thread_worker``, progress in the activity
  dock (or none: a propagation run shows its own on the Frame panel); the propagation run,
  the labels import, the engine build and the weights download are such workers.
- ``SessionEditWorker``: one that edits the session through a generator that puts back what it
  did when cancelled (a deletion, the undo or redo of a large edit).
- ``WorkerThread``: whether a worker's thread started and ended, which the GUI thread waits on
  (``end``: only for a thread that started).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

from napari.qt.threading import GeneratorWorker, create_worker
from qtpy.QtCore import Qt

from .activity import ActivityProgress


class WorkerThread:
    """Whether a napari generator worker's thread started and ended, seen from the GUI thread.

    Inside Qt's event loop napari starts a worker from a timer on the GUI thread: a GUI thread
    that waits for a worker it asked to start just now waits for a thread that cannot start
    (closing right after Apply or a frame change waited the whole timeout). ``end`` quits a
    worker whose thread has not started (it then ends as it starts, its generator untouched)
    and waits only for one that started. Keep this object: the signals hold it weakly.
    """

    def __init__(self, worker: GeneratorWorker) -> None:
        self._worker = worker
        self._lock = threading.Lock()
        self._started = False
        self._ended = threading.Event()
        # both called in the worker's own thread, which the GUI thread may be blocked waiting on
        worker.started.connect(self._on_started, Qt.ConnectionType.DirectConnection)
        worker.finished.connect(self._ended.set, Qt.ConnectionType.DirectConnection)

    def _on_started(self) -> None:
        with self._lock:
            self._started = True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker's thread has ended (True) or ``timeout`` s passed (False)."""
        return self._ended.wait(timeout)

    def end(self, timeout: float) -> bool:
        """Make sure the worker runs nothing more: quit it if its thread has not started (its
        generator never runs; nothing to wait for), else wait until its thread has ended;
        False when it still runs after ``timeout`` s."""
        with self._lock:  # the thread cannot start in between: a quit worker never runs
            if not self._started:
                self._worker.quit()
                return True
        return self.wait(timeout)


class StoppableWorker:
    """A generator run in napari's ``thread_worker`` (progress in the activity dock) that the
    GUI thread can stop between items (``cancel``; the generator checks ``cancelled``) and wait
    for (``wait``, e.g. before closing the session). Errors are left to the caller's handler of
    ``worker.errored``.

    Args:
        run: the generator function, called with ``args`` in the worker thread.
        args: its arguments.
        progress: the progress bar's ``desc`` and ``total`` (0 or left out: unknown); each
            item the generator yields is one step (``activity.ActivityProgress``). None: no
            bar (napari builds one on the GUI thread: up to 300 ms with software
            OpenGL, docs/benchmarks.md).
    """

    #: what it does, for the widget's messages ("objects are deleted")
    doing = "work runs"

    def __init__(
        self, run: Callable[..., Iterator[Any]], args: tuple, progress: dict | None
    ) -> None:
        self._stop = threading.Event()
        self._progress = progress
        self.bar: ActivityProgress | None = None  # shown from ``start``
        self.worker = create_worker(run, *args, _ignore_errors=True)
        self._thread = WorkerThread(self.worker)

    def start(self) -> None:
        """Show the progress bar, if any, and start the worker (on the GUI thread)."""
        if self._progress is not None:
            # kept here: a signal holds only a weak reference to a bound method's object
            self.bar = ActivityProgress(self._progress["desc"], self._progress.get("total", 0))
            self.worker.yielded.connect(self.bar.advance)
            self.worker.finished.connect(self.bar.close)
        self.worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker's thread has ended (True) or ``timeout`` s passed (False)."""
        return self._thread.wait(timeout)

    def cancel(self) -> None:
        """Stop after the item in progress."""
        self._stop.set()
        self.worker.quit()

    def stop(self, timeout: float) -> None:
        """``cancel`` and wait until the worker's thread has ended, if it started (before
        closing the session: ``WorkerThread.end``); ``TimeoutError`` saying what it does
        (``doing``) after ``timeout`` seconds."""
        self.cancel()
        if not self._thread.end(timeout):
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
