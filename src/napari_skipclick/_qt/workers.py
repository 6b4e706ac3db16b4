"""Background work of the widget: frame features (encode + prefetch) and propagation runs.

Both run in napari ``thread_worker`` threads with progress in the activity dock; results come
back to the GUI thread through Qt signals, tagged so that late results of a replaced session
or engine are dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from napari.qt.threading import create_worker
from qtpy.QtCore import QObject, Signal


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


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
        self._session: Any = None
        self._epoch = 0
        self._worker: Any = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def set_session(self, session: Any) -> None:
        """Forget queued frames and drop results still running for the previous session/engine."""
        self.cancel()
        self._session = session

    def request(self, frames: Iterable[int]) -> None:
        """Put ``frames`` at the head of the queue (first = most urgent) and start if idle."""
        if self._session is None:
            return
        frames = [int(t) for t in frames if 0 <= int(t) < self._session.n_frames]
        with self._lock:
            rest = [t for t in self._queue if t not in frames]
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

    def _take(self, epoch: int) -> int | None:
        with self._lock:
            if epoch != self._epoch or not self._queue:
                return None
            return self._queue.pop(0)

    def _run(self, session: Any, epoch: int) -> Iterator[tuple[int, int, str | None]]:
        while (t := self._take(epoch)) is not None:
            try:
                session.features(t)
            except Exception as exc:
                yield epoch, t, _describe(exc)
            else:
                yield epoch, t, None

    def _start(self) -> None:
        with self._lock:
            total, epoch = len(self._queue), self._epoch
        worker = create_worker(
            self._run,
            self._session,
            epoch,
            _progress={"total": total, "desc": "SkipClick: frame features"},
        )
        worker.yielded.connect(self._on_yielded)
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker = worker
        self.busy_changed.emit(True)
        worker.start()

    def _on_yielded(self, item: tuple[int, int, str | None]) -> None:
        epoch, t, error = item
        if epoch != self._epoch:
            return
        if error is None:
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


class PropagationRun(QObject):
    """One propagation (``session.propagate``) iterated in a background thread; cancellable."""

    #: a ``PropagationStep``
    step = Signal(object)
    #: error message
    failed = Signal(str)
    #: cancelled?
    finished = Signal(bool)

    def __init__(self, session: Any, obj_ids: list[int], start: int, **options: Any) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._worker = create_worker(
            self._run,
            session,
            obj_ids,
            start,
            options,
            _progress={"total": 0, "desc": "SkipClick: propagation"},
        )
        self._worker.yielded.connect(self._on_yielded)
        self._worker.errored.connect(self._on_error)
        self._worker.finished.connect(lambda: self.finished.emit(self._stop.is_set()))

    def start(self) -> None:
        self._worker.start()

    def cancel(self) -> None:
        """Stop after the step in progress."""
        self._stop.set()
        self._worker.quit()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def _run(
        self, session: Any, obj_ids: list[int], start: int, options: dict[str, Any]
    ) -> Iterator[Any]:
        steps = session.propagate(obj_ids, start, **options)
        try:
            for step in steps:
                yield step
                if self._stop.is_set():
                    return
        finally:
            steps.close()

    def _on_error(self, exc: BaseException) -> None:
        if not self._stop.is_set():  # a cancelled run may end with the error that stopped it
            self.failed.emit(_describe(exc))

    def _on_yielded(self, step: Any) -> None:
        pbar = getattr(self._worker, "pbar", None)
        if pbar is not None:
            if pbar.total != step.total:
                pbar.total = step.total
            pbar.update(step.done - pbar.n)
        self.step.emit(step)
