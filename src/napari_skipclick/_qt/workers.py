"""Background work of the widget: click edits and propagation (features: ``feature_loader``).

Results come back to the GUI thread through Qt signals, tagged so that late results of a
replaced session, engine or request are dropped.

- ``EditQueue``: a click on frame ``t`` becomes a request keyed by (frame, object) holding that
  object's full click list; a newer request for the same key replaces an older one. A request
  waits until ``session.has_features(t)``; then ``session.compute`` runs in a plain worker (no
  progress bar: decodes are short) and ``session.apply`` on the GUI thread. A result made stale
  by another edit or an engine switch is recomputed. When an engine's decodes are known to be
  short (the p90 of its last ``RECENT_DECODES`` decodes under ``SYNC_DECODE_S``), the frame's
  features are cached and nothing else waits, a click is decoded at once on the GUI thread
  instead (one click, no thread hand-over, never an encode): that is the low-latency path.
- ``PropagationRun``: one ``session.propagate`` run, a ``stoppable.StoppableWorker`` (closing
  waits for its thread to end) with no bar in napari's activity dock: the Frame panel's strip
  and the status line show each frame as it comes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from napari.qt.threading import GeneratorWorker
from qtpy.QtCore import QCoreApplication, QEventLoop, QObject, Signal

from ..cancel import EncodeCancelled, stopping_when
from ..checks import describe_error
from ..session import (
    AnnotationSession,
    EditResult,
    FeaturesNotReady,
    PropagationStep,
    StaleResultError,
)
from ..types import Click
from .stoppable import StoppableWorker, WorkerThread

#: decodes known to take less than this run at once on the GUI thread (one click at a time)
SYNC_DECODE_S = 0.05
#: decodes an engine's recent speed is judged on (its p90 must be under ``SYNC_DECODE_S``)
RECENT_DECODES = 5


@dataclass(frozen=True)
class EditRequest:
    """The clicks an object should have on a frame, whether to zoom in, whether its mask may
    take pixels that other objects own (``override``), and when it was asked for among the
    session's edits (``stamp``: ``History.tick``; its undo step keeps it)."""

    frame: int
    obj_id: int
    clicks: tuple[Click, ...]
    zoom: bool
    serial: int
    override: bool = False
    stamp: int = 0


#: what a decode gives back: the session it ran for, the request, its result or its error
_Outcome = tuple[AnnotationSession, EditRequest, EditResult | Exception]


class EditQueue(QObject):
    """Requests waiting for features or being decoded, and the worker that decodes them."""

    #: an ``EditResult`` that was applied to the session
    applied = Signal(object)
    #: frame, object id, error message (the request is dropped)
    failed = Signal(int, int, str)
    #: True while requests are waiting or running
    busy_changed = Signal(bool)
    #: frames whose requests wait for features that nobody computes (e.g. dropped from the cache)
    waiting = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._requests: OrderedDict[tuple[int, int], EditRequest] = OrderedDict()
        self._session: AnnotationSession | None = None
        self._serial = 0
        self._worker: Any = None
        self._thread: WorkerThread | None = None  # the worker's, to stop it (``stop``)
        self._stopping = threading.Event()  # set: the worker's encode stops (``stop``)
        self._again = False
        #: engine key -> seconds of its recent decodes (decide where the next one runs)
        self._decode_seconds: dict[str, deque[float]] = {}

    def set_session(self, session: AnnotationSession | None) -> None:
        """Drop every request (they belong to the previous session)."""
        self.discard()
        self._session = session

    @property
    def busy(self) -> bool:
        return bool(self._requests) or self._worker is not None

    def submit(
        self,
        t: int,
        obj_id: int,
        clicks: list[Click],
        *,
        zoom: bool = False,
        override: bool = False,
        stamp: int | None = None,
    ) -> None:
        """Ask for ``clicks`` to become the object's clicks on frame ``t`` (newest ask wins),
        asked for now (``stamp``: None) or at ``stamp`` (``History.tick``)."""
        if stamp is None:
            stamp = 0 if self._session is None else self._session.history.tick()
        with self._lock:
            self._serial += 1
            key = (int(t), int(obj_id))
            self._requests.pop(key, None)
            clicked = tuple(clicks)
            request = EditRequest(*key, clicked, zoom, self._serial, override, stamp)
            self._requests[key] = request
        if not self._decode_now(request):
            self.kick()

    def decodes_are_fast(self, engine_key: str) -> bool:
        """Whether the engine's recent decodes were well under the GUI thread's budget: at
        least 3 known and their p90 under ``SYNC_DECODE_S`` (of 3 to 5 decodes the p90 is the
        slowest: one slow decode among the last ``RECENT_DECODES`` sends the next ones to the
        worker)."""
        with self._lock:
            recent = sorted(self._decode_seconds.get(engine_key, ()))
        return len(recent) >= 3 and recent[min(len(recent) - 1, int(0.9 * len(recent)))] < (
            SYNC_DECODE_S
        )

    def _decode_now(self, request: EditRequest) -> bool:
        """Decode one click at once on the GUI thread when this engine's decodes are known to
        be short (``decodes_are_fast``), nothing else is queued and the features are cached."""
        session = self._session
        if session is None or request.zoom or self._worker is not None or len(self._requests) > 1:
            return False
        if not self.decodes_are_fast(session.engine.key) or not session.has_features(request.frame):
            return False
        outcome = self._compute(session, request, cached_only=True)
        if isinstance(outcome[2], FeaturesNotReady):
            return False  # evicted since the check: the worker encodes it, never this thread
        self._on_yielded(outcome)
        if not self.busy:
            self.busy_changed.emit(False)
        return True

    def _compute(
        self, session: AnnotationSession, request: EditRequest, cached_only: bool = False
    ) -> _Outcome:
        """``session.compute`` for the request (any thread); remembers how long decodes take."""
        start = time.perf_counter()
        try:
            result = session.compute(
                request.frame,
                request.obj_id,
                list(request.clicks),
                zoom=request.zoom,
                cached_only=cached_only,
            )
        except Exception as exc:
            return session, request, exc
        if not request.zoom:
            seconds = time.perf_counter() - start
            with self._lock:
                recent = self._decode_seconds.setdefault(
                    session.engine.key, deque(maxlen=RECENT_DECODES)
                )
                recent.append(seconds)
        return session, request, result

    def pending(self, t: int, obj_id: int) -> list[Click] | None:
        """The clicks waiting (or running) for (frame, object), or None."""
        with self._lock:
            request = self._requests.get((int(t), int(obj_id)))
        return None if request is None else list(request.clicks)

    def newest(self) -> EditRequest | None:
        """The newest request still waiting or running, or None."""
        with self._lock:
            requests = list(self._requests.values())
        return max(requests, key=lambda r: r.serial, default=None)

    def finish(self, timeout: float, stop: Callable[[], bool]) -> list[int]:
        """Run Qt's event loop until every request is applied or failed, ``stop()`` or
        ``timeout`` s (a modal dialog of the caller's takes the user's input); returns the
        frames of those still waiting."""
        app = QCoreApplication.instance()
        deadline = time.monotonic() + timeout
        while self.busy and not stop() and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        return self.waiting_frames()

    def waiting_frames(self) -> list[int]:
        with self._lock:
            return sorted({t for t, _ in self._requests})

    def discard(self, t: int | None = None, obj_id: int | None = None) -> None:
        """Forget requests (all, or those of one frame/object); running results are dropped."""
        with self._lock:
            for key in list(self._requests):
                if (t is None or key[0] == t) and (obj_id is None or key[1] == obj_id):
                    del self._requests[key]
        if not self.busy:
            self.busy_changed.emit(False)

    def stop(self, timeout: float) -> bool:
        """Drop every request, stop a zoom crop's encode in progress at its next step (as
        ``FeatureLoader.stop`` does: ``cancel.stopping_when``; nothing of it is cached) and
        wait until the worker's thread has ended, if it started (``WorkerThread.end``; the
        session closes); False when it still runs after ``timeout`` s."""
        self._stopping.set()
        self.discard()
        if self._worker is None or self._thread is None:
            return True
        self._worker.quit()
        if not self._thread.end(timeout):
            return False
        self._worker = None  # its end, told later, is no news
        self.busy_changed.emit(False)
        return True

    def kick(self) -> None:
        """Start the worker (or make it look again) for requests whose features are ready."""
        if self._session is None:
            return
        if self._worker is not None:
            self._again = True
            return
        if not self._requests:
            return
        self._stopping = threading.Event()
        worker = GeneratorWorker(self._run, self._session, self._stopping)
        worker.yielded.connect(self._on_yielded)
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker, self._thread = worker, WorkerThread(worker)
        self._again = False
        self.busy_changed.emit(True)
        worker.start()

    # -- worker thread ---------------------------------------------------------------------------

    def _take(self, session: AnnotationSession, done: set[int]) -> EditRequest | None:
        with self._lock:
            requests = [r for r in self._requests.values() if r.serial not in done]
        for request in requests:
            if request.zoom or session.has_features(request.frame):
                return request
        return None

    def _run(self, session: AnnotationSession, stopping: threading.Event) -> Iterator[_Outcome]:
        done: set[int] = set()
        while (request := self._take(session, done)) is not None:
            done.add(request.serial)
            with stopping_when(stopping):
                outcome = self._compute(session, request)
            if isinstance(outcome[2], EncodeCancelled):
                return  # stopped: its requests were dropped
            yield outcome

    # -- GUI thread ------------------------------------------------------------------------------

    def _on_yielded(self, item: _Outcome) -> None:
        session, request, result = item
        key = (request.frame, request.obj_id)
        with self._lock:
            current = self._requests.get(key)
        if session is not self._session or current is None or current.serial != request.serial:
            return  # replaced by a newer request or discarded
        if isinstance(result, Exception):
            with self._lock:
                self._requests.pop(key, None)
            self.failed.emit(request.frame, request.obj_id, f"{type(result).__name__}: {result}")
            return
        try:
            session.apply(replace(result, stamp=request.stamp), override=request.override)
        except StaleResultError:
            clicks, zoom, override = list(request.clicks), request.zoom, request.override
            self.submit(*key, clicks, zoom=zoom, override=override, stamp=request.stamp)
            return
        except Exception as exc:
            with self._lock:
                self._requests.pop(key, None)
            self.failed.emit(request.frame, request.obj_id, describe_error(exc))
            return
        with self._lock:
            self._requests.pop(key, None)
        self.applied.emit(result)

    def _on_finished(self, worker: Any) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        if self._again:
            self.kick()
        elif self._requests:
            self.waiting.emit(self.waiting_frames())
        if not self.busy:
            self.busy_changed.emit(False)


class PropagationRun(QObject, StoppableWorker):
    """One propagation (``session.propagate``; ``session.fill`` when the options hold an
    ``end`` keyframe, ``session.fill_all`` when they hold ``every_gap=True``) iterated in a
    background thread; cancellable."""

    doing = "propagation runs"
    #: a ``PropagationStep``
    step = Signal(object)
    #: error message
    failed = Signal(str)
    #: cancelled?
    finished = Signal(bool)

    def __init__(
        self, session: AnnotationSession, obj_ids: list[int], start: int, **options: Any
    ) -> None:
        #: what it is, for the user: a fill between keyframes, or a propagation
        self.what = "Fill" if options.get("every_gap") or "end" in options else "Propagation"
        # PyQt passes the keywords QObject does not take on to StoppableWorker
        super().__init__(run=self._run, args=(session, obj_ids, start, options), progress=None)
        self.session = session
        #: the frames its steps wrote so far (the controller adds them as the steps arrive)
        self.frames: set[int] = set()
        #: why objects stopped before the run's end, or that it ended where they are marked
        #: absent, as the controller words them
        self.stops: list[str] = []
        #: each of those in full (``stops`` gives the gist of a long reason)
        self.reasons: list[str] = []
        #: the gaps between keyframes that *Fill all* left as they were (filled already)
        self.left = 0
        self.worker.yielded.connect(self._on_yielded)
        self.worker.errored.connect(self._on_error)  # reported once, there
        self.worker.finished.connect(lambda: self.finished.emit(self.cancelled))

    def _run(
        self, session: AnnotationSession, obj_ids: list[int], start: int, options: dict[str, Any]
    ) -> Iterator[PropagationStep]:
        end = options.pop("end", None)  # a fill between two keyframes
        if options.pop("every_gap", False):
            steps = session.fill_all(obj_ids, **options)
        elif end is None:
            steps = session.propagate(obj_ids, start, **options)
        else:
            steps = session.fill(obj_ids, start, end, **options)
        try:
            for step in steps:
                yield step
                if self.cancelled:
                    return
        finally:
            steps.close()

    def _on_error(self, exc: BaseException) -> None:
        """Report every error; after a cancel, only a stale step (the engine switch or edit
        that cancelled the run also made its last step stale) goes unsaid."""
        if self.cancelled and isinstance(exc, StaleResultError):
            return
        self.failed.emit(describe_error(exc))

    def _on_yielded(self, step: PropagationStep) -> None:
        pbar = getattr(self.worker, "pbar", None)
        if pbar is not None:
            if pbar.total != step.total:
                pbar.total = step.total
            pbar.update(step.done - pbar.n)
        self.step.emit(step)
