"""Writing a session to its store: commits, the object list, closing, saving to another store.

Rules:

- A change lives in memory, marked dirty, until a commit writes it; a failed commit keeps it
  dirty (nothing is lost) and the next commit retries it.
- Commits of one session run one at a time (``_commit_lock``), each from a copy taken under
  the session lock; the store write itself runs outside the session lock, so a long write
  never blocks the thread that edits. A frame is marked clean only if it did not change while
  it was written.
- ``close`` never drops unsaved changes silently: it raises :class:`UnsavedChangesError` and
  keeps the store open unless told to discard.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engines.base import Engine
    from ..types import FrameStatus
    from .clicks import ClickTable
    from .labels import LabelVolume
    from .state import ObjectRegistry
    from .store_protocol import Store
    from .track import Courses


class UnsavedChangesError(RuntimeError):
    """Changes could not be written to the store; they are still in memory.

    Attributes:
        frames: the frames not saved.
        objects: whether the object and class lists are not saved.
        store: where the session was saving.
        cause: why the write failed (the store's error).
    """

    def __init__(self, frames: list[int], objects: bool, store: Path | None, cause: object):
        self.frames, self.objects, self.store, self.cause = list(frames), objects, store, cause
        what = [f"{len(self.frames)} frame(s)"] + (["the object list"] * objects)
        super().__init__(
            f"{' and '.join(what)} could not be saved to {store}: {cause}. They are kept in "
            "memory: save again, save to another store, or close discarding them"
        )


class SessionSaving:
    """The store half of ``AnnotationSession`` (a mixin: it uses the session's state)."""

    store: Store | None
    engine: Engine
    labels: LabelVolume
    registry: ObjectRegistry
    _clicks: ClickTable
    courses: Courses
    _status: dict[int, FrameStatus]
    _carried: dict[int, set[int]]
    _review_reasons: dict[int, dict[int, str]]
    _lock: Any

    def _init_saving(self) -> None:
        self._commit_lock = threading.RLock()
        self._meta_dirty: set[int] = set()
        self._objects_dirty = False
        self._objects_version = 0

    def dirty_frames(self) -> list[int]:
        """Frames changed since their last commit (labels, clicks or status)."""
        with self._lock:
            return sorted(set(self.labels.dirty_frames()) | self._meta_dirty)

    @property
    def objects_dirty(self) -> bool:
        """Whether the object and class lists changed since they were last written."""
        return self._objects_dirty and self.store is not None

    @property
    def unsaved(self) -> int:
        """How many frames (plus one for the object list) are not in the store yet."""
        if self.store is None:
            return 0
        return len(self.dirty_frames()) + int(self.objects_dirty)

    def commit(self, t: int) -> None:
        """Write frame ``t`` (labels, clicks, status, which masks propagation made) durably to
        the store, and the courses that changed since the last commit (``Courses.records``);
        no-op without one."""
        if self.store is None:
            return
        t = self.labels.frame_index(t)
        with self._commit_lock:
            with self._lock:
                clicks = {
                    obj: [(c.y, c.x, c.positive, when) for c, when in timed]
                    for obj, timed in self._clicks.on(t).items()
                    if timed
                }
                labels = self.labels.read(t)  # read-only: later writes replace, never change it
                status, engine_key, version = self.status(t), self.engine.key, self._version(t)
                carried = sorted(self._carried.get(t, ()))
                review = {
                    obj: reason
                    for obj, reason in self._review_reasons.get(t, {}).items()
                    if obj in self.registry
                }
            self.store.commit_frame(
                t, labels, status, clicks, engine_key=engine_key, carried=carried, review=review
            )
            courses = self.courses.records()
            for frame, record in courses.items():
                try:
                    self.store.write_courses(frame, record)
                except Exception:
                    self.courses.unsaved([f for f in courses if f >= frame])
                    raise
            with self._lock:
                if self._version(t) == version:  # not changed while writing
                    self.labels.mark_clean(t)
                    self._meta_dirty.discard(t)

    def commit_all(self) -> list[int]:
        """Commit the object list if it changed, then every frame changed since its last
        commit; returns those frames. Raises the store's error at the first failed write."""
        self.commit_objects()
        frames = self.dirty_frames() if self.store is not None else []
        for t in frames:
            self.commit(t)
        return frames

    def commit_objects(self) -> None:
        """Write the object and class lists to the store if they changed (raises on failure)."""
        if self.store is None:
            return
        with self._commit_lock:
            with self._lock:
                if not self._objects_dirty:
                    return
                objects, classes = self.registry.objects, self.registry.classes
                version = self._objects_version
            self.store.write_objects(objects, classes)
            with self._lock:
                if self._objects_version == version:
                    self._objects_dirty = False

    def close(self, *, discard: bool = False) -> None:
        """Commit everything, then release the store.

        Raises :class:`UnsavedChangesError` when a commit fails: the store stays open and the
        changes stay in memory, to save again or ``save_to`` another store. With ``discard``
        what cannot be saved is dropped and the store is released anyway.
        """
        if self.store is None:
            return
        try:
            self.commit_all()
        except Exception as exc:
            if not discard:
                raise UnsavedChangesError(
                    self.dirty_frames(), self.objects_dirty, self.store.path, exc
                ) from exc
        self.store.close()

    def save_to(self, store: Store) -> None:
        """Write the whole annotation (every frame, the object list, the courses) into
        ``store`` and save there from now on; the previous store is released.

        For a store that cannot be written (full disk, lost drive): frames it still holds are
        read from it. Raises the new store's error and keeps the previous store if it fails.
        """
        with self._commit_lock:
            self.courses.resave_all()  # read from the old store before the switch
            with self._lock:
                old = self.store
                frames = set(self.labels.stored_frames()) | set(self.labels.in_memory())
                frames |= set(self._status) | self._clicks.frames()
                self.store = store
                self._meta_dirty |= frames
                self._mark_objects_changed()
            try:
                self.commit_all()  # clean frames are read from the old store meanwhile
            except Exception:
                with self._lock:
                    self.store = old
                raise
            with self._lock:
                self.labels.use_store(store)
                self._clicks.use_store(store)
        if old is not None:
            old.close()

    def _mark_objects_changed(self) -> None:
        """The object or class list changed: it is written by the next ``commit_all``."""
        self._objects_version += 1
        self._objects_dirty = True
