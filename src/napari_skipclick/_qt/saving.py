"""Saving off the GUI thread: one ordered store writer, the autosave, the pending/saved state.

- ``StoreWriter``: a single background thread that runs store jobs in the order they were
  asked for: the session's commits (``commit_all``) and exports. A save asked for while one
  waits joins it; a save asked for while one runs is queued after it.
- ``Autosave``: the controller's saving: saves a while after the last edit, on frame change
  and after propagation or undo (always through the writer), retries after a failure, and
  says what is pending (``SaveState``). A frame it calls saved is on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from qtpy.QtCore import QObject, QTimer, Signal

from ..frame_lists import counted
from ..session import AnnotationSession

#: milliseconds after the last edit before changed frames are written to the store
AUTOSAVE_MS = 1500
#: milliseconds before a failed save is tried again
RETRY_MS = 5000


class StoreWriter(QObject):
    """One thread that writes to the store: saves and exports, one at a time, in order."""

    #: a save ended: the session, the frames it wrote, the error message (None: saved)
    saved = Signal(object, list, object)
    #: a job started or the queue emptied (True while a job runs or waits)
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="skipclick-store-writer")
        self._lock = threading.Lock()
        self._queued: tuple[AnnotationSession, Future] | None = None  # a save not started yet
        self._jobs = 0

    @property
    def busy(self) -> bool:
        """Whether a job runs or waits."""
        return self._jobs > 0

    def save(self, session: AnnotationSession) -> Future:
        """Write everything ``session`` has not saved (``commit_all``) after the jobs queued.

        The future's result is the frames written; it raises the store's error.
        """
        with self._lock:
            if self._queued is not None and self._queued[0] is session:
                return self._queued[1]
            future, started = self._submit_locked(self._save, session)
            self._queued = (session, future)
        if started:
            self.busy_changed.emit(True)
        return future

    def submit(self, job: Callable[..., Any], *args: Any) -> Future:
        """Run ``job(*args)`` on the writer thread after the jobs queued before it."""
        with self._lock:
            future, started = self._submit_locked(job, *args)
        if started:
            self.busy_changed.emit(True)
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every job queued so far has ended (TimeoutError after ``timeout`` s)."""
        self.submit(lambda: None).result(timeout)

    def _submit_locked(self, job: Callable[..., Any], *args: Any) -> tuple[Future, bool]:
        """Queue ``job``; also whether the writer was idle before (call under ``_lock``)."""
        self._jobs += 1
        return self._pool.submit(self._run, job, *args), self._jobs == 1

    def _run(self, job: Callable[..., Any], *args: Any) -> Any:
        try:
            return job(*args)
        finally:
            with self._lock:
                self._jobs -= 1
                idle = self._jobs == 0
            if idle:
                self.busy_changed.emit(False)

    def _save(self, session: AnnotationSession) -> list[int]:
        with self._lock:
            if self._queued is not None and self._queued[0] is session:
                self._queued = None  # running now: a save asked for from here on queues anew
        try:
            frames = session.commit_all()
        except Exception as exc:
            self.saved.emit(session, [], f"{exc}")
            raise
        self.saved.emit(session, frames, None)
        return frames


@dataclass(frozen=True)
class SaveState:
    """What the store holds compared with the session.

    Attributes:
        store: whether the session saves to a store at all.
        pending: frames (plus one for a changed object list) not on disk yet.
        saving: whether the writer is writing or about to.
        error: why the last save failed (None: it did not).
        running: whether a session runs at all.
    """

    store: bool = False
    pending: int = 0
    saving: bool = False
    error: str | None = None
    running: bool = True

    @property
    def saved(self) -> bool:
        """Everything is on disk."""
        return self.store and self.pending == 0 and not self.saving and self.error is None

    def text(self) -> str:
        """One line for the widget."""
        if not self.running:
            return "No session running"
        if not self.store:
            return "Not saved: no store chosen"
        n = counted(self.pending, "frame")
        if self.error is not None:
            return (
                f"NOT SAVED: {self.error}. {n} kept in memory; retrying every {RETRY_MS // 1000} s"
            )
        if self.pending == 0:
            return "Saving …" if self.saving else "All changes saved"
        return f"Saving {n} …" if self.saving else f"{n} pending …"


class Autosave(QObject):
    """The controller's saving: when to save, through one ``StoreWriter``, and its state."""

    #: the ``SaveState`` changed
    state_changed = Signal(object)
    #: a save failed with this message (once per new failure)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, edits: Any = None) -> None:
        super().__init__(parent)
        self.writer = StoreWriter()
        self.session: AnnotationSession | None = None
        #: the clicks waiting to be decoded (``workers.EditQueue``): pending too, not saved
        self.edits = edits
        if edits is not None:
            edits.busy_changed.connect(self._on_busy)
        self.paused = False  # while a propagation runs (it writes its own frames)
        self._error: str | None = None
        self._state = SaveState()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save)
        self.writer.saved.connect(self._on_saved)
        self.writer.busy_changed.connect(self._on_busy)

    @property
    def state(self) -> SaveState:
        return self._state

    def set_session(self, session: AnnotationSession | None) -> None:
        self._timer.stop()
        self.session, self._error = session, None
        self.refresh(force=True)

    def schedule(self) -> None:
        """Save a while after the last change (each change restarts the wait)."""
        self.refresh()
        if self.session is not None and self.session.store is not None:
            self._timer.start(RETRY_MS if self._error is not None else AUTOSAVE_MS)

    def save(self) -> Future | None:
        """Write what changed now, in the background (nothing while paused)."""
        self._timer.stop()
        session = self.session
        if session is None or session.store is None or self.paused:
            return None
        future = self.writer.save(session)
        self.refresh()
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything now and wait for it (scripts, tests, closing); False if it failed
        (the error is in the state and was reported)."""
        future = self.save()
        if future is None:
            self.writer.flush(timeout)
            return self.session is None or self.session.unsaved == 0
        try:
            future.result(timeout)
        except Exception:
            return False
        finally:
            self.refresh()
        return True

    def refresh(self, force: bool = False) -> None:
        """Recount what is pending and tell the widget if anything changed (or ``force``)."""
        session = self.session
        store = session is not None and session.store is not None
        state = SaveState(
            store=store,
            pending=self._pending(session) if store else 0,
            saving=store and self.writer.busy,
            error=self._error if store else None,
            running=session is not None,
        )
        if force or state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def _pending(self, session: AnnotationSession) -> int:
        """Frames changed and not on disk, those whose clicks wait to be decoded among them,
        plus one for a changed object list."""
        waiting = self.edits.waiting_frames() if self.edits is not None else []
        return len({*session.dirty_frames(), *waiting}) + int(session.objects_dirty)

    def _on_busy(self, _busy: bool) -> None:
        self.refresh()

    def _on_saved(self, session: AnnotationSession, _frames: list[int], error: str | None) -> None:
        if session is not self.session:
            return
        new_error = error is not None and error != self._error
        self._error = error
        self.refresh()
        if error is not None:
            self._timer.start(RETRY_MS)
            if new_error:
                self.failed.emit(error)
        elif session.unsaved:
            self.schedule()  # changed while it was written
