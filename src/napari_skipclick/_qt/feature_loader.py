"""``FeatureLoader``: frame features computed in one background thread, most urgent first.

Runs of ``PROGRESS_FROM`` frames or more show their progress in napari's activity dock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from napari.qt.threading import create_worker
from qtpy.QtCore import QObject, Signal

from ..cancel import EncodeCancelled, stopping_when
from ..checks import describe_error
from ..session import AnnotationSession
from .activity import ActivityProgress
from .stoppable import WorkerThread

#: frames a feature request needs for a progress bar in napari's activity dock
PROGRESS_FROM = 8


class FeatureLoader(QObject):
    """Computes frame features in one background thread: the frames asked for, in that order."""

    #: frame whose features are ready for the current engine
    ready = Signal(int)
    #: frame, error message
    failed = Signal(int, str)
    #: True while the worker runs
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._queue: list[int] = []
        self._session: AnnotationSession | None = None
        self._epoch = 0
        self._worker: Any = None
        self._thread: WorkerThread | None = None  # the worker's, to stop it (``stop``)
        self._stopping = threading.Event()  # set: the worker's encode stops (``stop``)
        self._bar: ActivityProgress | None = None  # the progress bar of a long run
        #: frames reported ready for the current engine (a hint: the cache may drop them, then
        #: the edit queue reports the frames it waits for and they are ``refetch``-ed)
        self.ready_frames: set[int] = set()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def set_session(self, session: AnnotationSession | None) -> None:
        """Forget queued and ready frames; drop results still running for the previous
        session or engine."""
        self.cancel()
        self.ready_frames.clear()
        self._session = session

    def refetch(self, frames: list[int]) -> None:
        """Compute ``frames`` again (first): their features are no longer in the cache."""
        self.ready_frames.difference_update(frames)
        self.request(frames)

    def request(self, frames: Iterable[int], *, only: bool = False) -> None:
        """Put ``frames`` at the head of the queue (first = most urgent) and start if idle;
        with ``only`` they become the whole queue (the slider moved on: the frames it passed
        over are not wanted any more)."""
        if self._session is None:
            return
        frames = [int(t) for t in frames if 0 <= int(t) < self._session.n_frames]
        with self._lock:
            rest = [] if only else [t for t in self._queue if t not in frames]
            self._queue = list(dict.fromkeys(frames)) + rest
        if self._worker is None and frames:
            self._start()
        elif self._worker is not None and getattr(self._worker, "pbar", None) is not None:
            self._worker.pbar.total = self._worker.pbar.n + len(self._queue)

    def cancel(self) -> None:
        """Empty the queue and stop after the frame in progress (whose result is then dropped)."""
        with self._lock:
            self._queue.clear()
            self._epoch += 1
        if self._worker is not None:
            self._worker.quit()

    def stop(self, timeout: float) -> bool:
        """``cancel``, stop the frame in progress at the encode's next step (the SkipClick
        backbone's next block: ``cancel.stopping_when``; nothing of it is cached) and wait
        until the worker's thread has ended, if it started (``WorkerThread.end``; the session
        closes: a thread still computing a frame when Python exits emits into signals deleted
        by then, "RuntimeError in aborted thread"); False when it still runs after
        ``timeout`` s."""
        self._stopping.set()
        self.cancel()
        if self._worker is None or self._thread is None:
            return True
        if not self._thread.end(timeout):
            return False
        self._worker = None  # its end, told later, is no news
        self.busy_changed.emit(False)
        return True

    def _take(self, epoch: int) -> int | None:
        with self._lock:
            if epoch != self._epoch or not self._queue:
                return None
            return self._queue.pop(0)

    def _run(
        self, session: AnnotationSession, epoch: int, stopping: threading.Event
    ) -> Iterator[tuple[int, int, str | None]]:
        while (t := self._take(epoch)) is not None:
            try:
                with stopping_when(stopping):
                    session.features(t)
            except EncodeCancelled:
                return
            except Exception as exc:
                yield epoch, t, describe_error(exc)
            else:
                yield epoch, t, None

    def _start(self) -> None:
        with self._lock:
            total, epoch = len(self._queue), self._epoch
        # napari's activity dock shows long runs; its progress bar costs the GUI thread
        # 150-250 ms to create, too much at every frame change (the frame and the next ones)
        self._stopping = threading.Event()
        worker = create_worker(self._run, self._session, epoch, self._stopping)
        # kept here: a signal holds only a weak reference to a bound method's object
        self._bar = None
        if total >= PROGRESS_FROM:
            self._bar = ActivityProgress("SkipClick: frame features", total)
            worker.yielded.connect(self._bar.advance)
            worker.finished.connect(self._bar.close)
        worker.yielded.connect(self._on_yielded)
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker, self._thread = worker, WorkerThread(worker)
        self.busy_changed.emit(True)
        worker.start()

    def _on_yielded(self, item: tuple[int, int, str | None]) -> None:
        epoch, t, error = item
        if epoch != self._epoch:
            return
        if error is None:
            self.ready_frames.add(t)
            self.ready.emit(t)
        else:
            self.failed.emit(t, error)

    def _on_finished(self, worker: Any) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        with self._lock:
            pending = bool(self._queue)
        if pending:
            self._start()
        else:
            self.busy_changed.emit(False)
