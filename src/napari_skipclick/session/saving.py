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
- The store never holds half an edit: while a frame-by-frame edit is open (``saved_whole``: a
  deletion, an undo or redo, an import) commits write nothing, so that a crash meanwhile
  leaves the store as it was before the edit. A ``commit_all`` of several frames is one
  edit of the store (``Store.begin_edit``): a crash before its last frame is written puts
  them all back as before it when the store is next opened for writing. Within a commit,
  an object the store still lists stays listed, marked as leaving, until its frames are
  written: a crash between two writes never leaves pixels of an object the store does not
  list; a session on such a store keeps the mark on what it opened with until it deletes
  them (``finish_deletions``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..colors import color_for
from ..frame_lists import counted
from ..types import DEFAULT_CLASS, FrameRecord, ObjectInfo
from .store_protocol import check_store_fits, check_store_takes

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
        what = [counted(len(self.frames), "frame")] + (["the object list"] * objects)
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
    _painted: dict[int, set[int]]
    _derived: dict[int, set[int]]
    _accepted: set[int]
    _absent: dict[int, set[int]]
    _review_reasons: dict[int, dict[int, str]]
    _in_doubt: Callable[..., list[int]]
    _lock: Any

    def _init_saving(self) -> None:
        self._commit_lock = threading.RLock()
        self._meta_dirty: set[int] = set()
        self._objects_dirty = False
        self._objects_version = 0
        self._wide_version = -1  # the version whose list with the stored objects was written
        self._open_edits = 0  # frame-by-frame edits open (``saved_whole``)
        self._edits_ended: list[str] = []  # those ended since the last whole commit, in words
        self._whole_open = False  # a commit of several frames begun in the store, not ended
        self.closed = False  # its store released by ``close``: edits are refused
        #: the frame the last edit went to (an undo or redo: the frame it showed), and the
        #: one last noted in the store (``Store.note_last_edit``: where it resumes)
        self._last_edit: int | None = None
        self._last_edit_noted: int | None = None
        #: listed objects whose deletion a crash cut short (the store's mark, kept until done)
        self._leaving: set[int] = set(self.store.leaving()) if self.store is not None else set()

    @contextmanager
    def saved_whole(self, what: str) -> Iterator[None]:
        """Open a frame-by-frame edit (``what``: a deletion, an undo, an import, in words) for
        the ``with`` block: until it ends, or is put back, ``commit`` and ``commit_all``
        write nothing (the frames stay dirty), so that the store holds all of the edit or
        none of it; the next ``commit_all`` names it in the store (``Store.begin_edit``)."""
        with self._lock:
            self._open_edits += 1
        try:
            yield
        finally:
            with self._lock:
                self._open_edits -= 1
                if self.store is not None:
                    self._edits_ended.append(what)

    @property
    def edit_open(self) -> bool:
        """Whether a frame-by-frame edit is open (``saved_whole``): nothing is committed."""
        return self._open_edits > 0

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

    def commit(self, t: int) -> bool:
        """Write frame ``t`` (labels, clicks, status, its marks: ``frame_changes.Marks``) durably to
        the store, and the courses that changed since the last commit (``Courses.records``);
        no-op without one. Writes nothing and returns False while an edit is open
        (``saved_whole``). A changed object list is written first, with the objects the store
        still lists."""
        return self._commit(t, mark_clean=True) is not None

    def _commit(self, t: int, *, mark_clean: bool) -> tuple[int, int] | None:
        """``commit``; returns the frame's version written (None: nothing written). Without
        ``mark_clean`` the frame stays to be committed (``save_to`` marks it once all went)."""
        if self.store is None:
            return None
        t = self.labels.frame_index(t)
        with self._commit_lock:
            if not self._write_objects(final=False):
                return None
            with self._lock:
                if self._open_edits:
                    return None
                clicks = {
                    obj: [(c.y, c.x, c.positive, when) for c, when in timed]
                    for obj, timed in self._clicks.on(t).items()
                    if timed
                }
                labels = self.labels.read(t)  # read-only: later writes replace, never change it
                version = self._version(t)
                review, settled = self._stored_reasons(t)
                saved = FrameRecord(
                    self.status(t),
                    clicks,
                    engine_key=self.engine.key,
                    carried=sorted(self._carried.get(t, ())),
                    painted=sorted(self._painted.get(t, ())),
                    accepted=t in self._accepted,
                    absent=sorted(self._absent.get(t, ())),
                    derived=sorted(self._derived.get(t, ())),
                    review=review,
                    settled=settled,
                )
            self.store.commit_frame(t, labels, saved)
            courses = self.courses.records()
            for frame, record in courses.items():
                try:
                    self.store.write_courses(frame, record)
                except Exception:
                    self.courses.unsaved([f for f in courses if f >= frame])
                    raise
            if mark_clean:
                self._mark_committed({t: version})
        return version

    def _stored_reasons(self, t: int) -> tuple[dict[int, str], dict[int, str]]:
        """Frame ``t``'s reasons for review as its commit keeps them: those of the objects
        still in doubt, and those of listed objects no longer in doubt (corrected since), so
        that taking a correction back in a later session restores the reason as it would now
        (``SessionReview``). Call under the session lock."""
        reasons = self._review_reasons.get(t, {})
        doubt = set(self._in_doubt(t))
        review = {obj: why for obj, why in reasons.items() if obj in doubt}
        settled = {
            obj: why for obj, why in reasons.items() if obj not in doubt and obj in self.registry
        }
        return review, settled

    def _mark_committed(self, versions: dict[int, tuple[int, int]]) -> None:
        """Frames written at these versions are clean, unless changed while being written."""
        with self._lock:
            for t, version in versions.items():
                if self._version(t) == version:
                    self.labels.mark_clean(t)
                    self._meta_dirty.discard(t)

    def commit_all(self) -> list[int]:
        """Commit every frame changed since its last commit and the object list if it
        changed, then note the frame of the last edit (where the store resumes); returns the
        frames written. Raises the store's error at the first failed
        write. While an edit is open (``saved_whole``) it writes nothing: [] (an edit opened
        meanwhile stops it after the frames written so far)."""
        if self.store is None:
            return []
        written: list[int] = []
        with self._commit_lock:
            dirty = self.dirty_frames()
            with self._lock:
                named = len(self._edits_ended)
                what = ", ".join(dict.fromkeys(self._edits_ended)) or "changes"
            if (len(dirty) > 1 or self._whole_open) and not self.edit_open:
                self.store.begin_edit(what, dirty)
                self._whole_open = True
            for t in dirty:
                if not self.commit(t):
                    return written
                written.append(t)
            self.commit_objects()
            if self._whole_open:
                self.store.end_edit()
                self._whole_open = False
            with self._lock:
                del self._edits_ended[:named]
                last = self._last_edit
            # noted again after frames written later than the note: the store resumes on the
            # frame saved last when a frame is newer than the note (another writer)
            if last is not None and (written or last != self._last_edit_noted):
                self.store.note_last_edit(last)  # once its frames are saved
                self._last_edit_noted = last
        return written

    def commit_objects(self) -> None:
        """Write the object and class lists to the store if they changed (raises on failure);
        nothing while an edit is open (``saved_whole``)."""
        if self.store is not None:
            self._write_objects(final=True)

    def _write_objects(self, *, final: bool) -> bool:
        """Write the object and class lists if they changed; not ``final``: with the objects
        the store lists and the session no longer has (their pixels may still be in stored
        frames), marked as leaving, once per change. False while an edit is open (nothing
        written)."""
        assert self.store is not None
        with self._commit_lock:
            with self._lock:
                if self._open_edits:
                    return False
                if not self._objects_dirty or (
                    not final and self._wide_version == self._objects_version
                ):
                    return True
                objects, classes = self.registry.objects, self.registry.classes
                next_id, version = self.registry.next_id, self._objects_version
                dropped = self.registry.dropped
                leaving = [o.id for o in objects if o.id in self._leaving]
            gone = [] if final else self._gone_from(objects)
            if gone:
                objects = sorted([*objects, *gone], key=lambda o: o.id)
                classes = list(dict.fromkeys([*classes, *(o.class_name for o in gone)]))
            leaving += [o.id for o in gone]
            self.store.write_objects(
                objects, classes, leaving=leaving, next_id=next_id, dropped=dropped
            )
            with self._lock:
                if self._objects_version == version:
                    if gone:
                        self._wide_version = version
                    else:
                        self._objects_dirty = False
        return True

    def close(self, *, discard: bool = False) -> None:
        """Commit everything, then release the store.

        Raises :class:`UnsavedChangesError` when a commit fails: the store stays open and the
        changes stay in memory, to save again or ``save_to`` another store. With ``discard``
        what cannot be saved is dropped and the store is released anyway. ``RuntimeError``
        while an edit is open (``saved_whole``), unless ``discard``: end or stop it first.
        """
        if self.store is None:
            return
        if not discard:
            self._refuse_open_edit("close the store")
        try:
            self.commit_all()
        except Exception as exc:
            if not discard:
                raise UnsavedChangesError(
                    self.dirty_frames(), self.objects_dirty, self.store.path, exc
                ) from exc
        self.store.close()
        self.closed = True

    def _refuse_closed(self) -> None:
        """``RuntimeError`` once ``close`` released the store: an edit would be saved nowhere."""
        if self.closed:
            raise RuntimeError(
                f"the session was closed (its store {self.store.path} released): "
                "start a new AnnotationSession to edit"
            )

    def save_to(self, store: Store) -> None:
        """Write the whole annotation (every frame, the object list, the courses) into
        ``store`` and save there from now on; the previous store is released.

        For a store that cannot be written (full disk, lost drive): frames it still holds are
        read from it. Raises the new store's error and keeps the previous store if it fails;
        ``RuntimeError`` while an edit is open (``saved_whole``).
        """
        self._refuse_open_edit("save to another store")
        check_store_fits(
            store, (self.n_frames, *self.frame_shape), getattr(self.frames, "info", None)
        )
        with self._lock:
            frames = set(self.labels.stored_frames()) | set(self.labels.in_memory())
            frames |= set(self._status) | self._clicks.frames()
        check_store_takes(store, frames, self.objects)
        store.claim(self)
        with self._commit_lock:
            self.courses.resave_all()  # read from the old store before the switch
            with self._lock:
                old = self.store
                self.store = store
                self._meta_dirty |= frames
                self._mark_objects_changed()
            versions: dict[int, tuple[int, int]] = {}
            try:  # clean frames are read from the old store meanwhile
                for t in self.dirty_frames():
                    version = self._commit(t, mark_clean=False)
                    if version is None:
                        raise RuntimeError("an edit was opened while saving to another store")
                    versions[t] = version
                self.commit_objects()
            except BaseException:  # the old store goes on; every frame is committed again
                with self._lock:
                    self.store = old
                raise
            with self._lock:  # frames are read from the new store, then may leave memory
                self.labels.use_store(store)
                self._clicks.use_store(store)
                self._mark_committed(versions)
                self._last_edit_noted = None  # noted in the new store by the next commit_all
        if old is not None:
            old.close()

    def _gone_from(self, objects: list[ObjectInfo]) -> list[ObjectInfo]:
        """The objects the store lists and ``objects`` lacks."""
        assert self.store is not None
        try:
            stored = self.store.objects()
        except Exception:  # the stored list cannot be read (damaged): ours replaces it
            return []
        kept = {o.id for o in objects}
        return [o for o in stored if o.id not in kept]

    def _list_unlisted_objects(self) -> list[int]:
        """List the objects whose pixels a committed frame holds (as its record noted) but the
        store's list lacks, named so: a crash of an earlier version between two writes could
        leave them. They can then be seen and deleted, and no new object takes their IDs.
        Returns their IDs."""
        assert self.store is not None
        found: set[int] = set()
        for t in self.store.annotated_frames():
            found |= self.store.frame_ids(t) or frozenset()
        unlisted = sorted(found - {o.id for o in self.registry.objects})
        for obj_id in unlisted:
            class_name = (self.registry.classes or [DEFAULT_CLASS])[0]
            name = f"object {obj_id} (pixels with no object)"
            self.registry.restore(ObjectInfo(obj_id, name, class_name, color_for(obj_id)))
            self._mark_objects_changed()
        return unlisted

    def _refuse_open_edit(self, what: str) -> None:
        if self.edit_open:
            raise RuntimeError(
                f"cannot {what} while an edit runs frame by frame (a deletion, an undo or an "
                "import): let it end or stop it first"
            )

    def _mark_objects_changed(self) -> None:
        """The object or class list changed: it is written by the next ``commit_all``."""
        self._objects_version += 1
        self._objects_dirty = True
