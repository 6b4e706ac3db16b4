"""Zarr v3 annotation store: labels per frame, objects, classes, statuses, clicks and provenance.

Every write is durable when the call returns; a crash at any moment leaves each frame either
as it was or as committed. The file layout is documented in ``docs/store-format.md``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import zarr

from ...types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo
from . import courses
from .checks import check_labels, load_objects, objects_doc
from .edit_journal import EditJournal
from .errors import DECODE_ERRORS, StoreCorruptError, StoreError, StoreLockedError
from .files import DurableLocalStore, read_json, write_json
from .frame_record import frame_record, status_record
from .layout import (
    LABELS,
    MANIFEST,
    OBJECTS,
    PHOTOS,
    REPAIRS,
    TAKEN_IN,
    check_new_location,
    create_layout,
    is_store,
    load_manifest,
    note_engine_used,
    note_photos,
    open_labels,
    opened_for_writing,
    remove_new_store,
    resume_manifest,
    video_from_doc,
)
from .lock import StoreLock
from .records import FrameRecords
from .txn import FrameJournal, frame_name, parse_frame_record, read_frame_records

__all__ = ["AnnotationStore"]


class AnnotationStore(FrameRecords):
    """One video's annotations on disk; open with :meth:`open_or_create` or :meth:`open`."""

    def __init__(self, path: Path, manifest: dict, readonly: bool, lock: StoreLock | None) -> None:
        self.path = path
        self.readonly = readonly
        #: whether ``open_or_create`` made it (under its lock: not another process)
        self.created = False
        self._notes: list[str] = []  # problems found on opening
        #: what opening the store for annotation repaired, in words (empty: nothing)
        self.repairs: list[str] = manifest.pop(REPAIRS, [])
        #: what opening the store for annotation took in that is no repair, in words (photos
        #: new in its folder: ``layout.grow_with_folder``; empty: nothing)
        self.taken_in: list[str] = manifest.pop(TAKEN_IN, [])
        self._write_lock = threading.RLock()  # one write at a time from any thread
        self._manifest = manifest
        self._lock = lock
        self._owner: weakref.ref | None = None  # the session saving into this store
        self._finalizer = weakref.finalize(self, lock.release) if lock else None
        self.video = video_from_doc(manifest.get("video"), path / MANIFEST)
        self._labels = open_labels(path, self.video, readonly, self.repairs)
        self._labels_ro = self._labels if readonly else None
        self._journal = FrameJournal(path, self._labels, readonly)
        if manifest.get("damaged"):
            self._notes.append(manifest["damaged"])
        self._edit = EditJournal(path)
        if not readonly:
            self._journal.recover_all()
            self.repairs += [done] if (done := self._edit.recover()) else []
        else:
            self._notes += self._journal.describe_interrupted()
            self._notes += [note] if (note := self._edit.describe()) else []
            self._labels.store.redirect = self._journal.read_instead
        self.refresh()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_or_create(
        cls,
        path: str | Path,
        video: VideoInfo,
        *,
        engine_key: str | None = None,
        checkpoint_sha256: str | None = None,
    ) -> AnnotationStore:
        """Create a store for ``video`` at ``path``, or resume the one already there.

        A relative ``video.path`` that exists from the working folder is recorded absolute, so
        the store finds its video from any folder."""
        if video.n_frames < 1 or video.height < 1 or video.width < 1:
            raise ValueError(f"a video needs at least one frame of at least 1x1 pixels: {video}")
        if video.path and not os.path.isabs(video.path) and os.path.exists(video.path):
            video = replace(video, path=os.path.abspath(video.path))
        p = Path(path).expanduser().absolute()
        new = not p.exists()
        if not is_store(p):
            check_new_location(p)
            try:
                p.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the store directory {p}: {e.strerror or e}") from e

        created = [False]

        def manifest() -> dict:
            if is_store(p):  # decided under the lock: another process may just have created it
                return resume_manifest(p, video, engine_key, checkpoint_sha256)
            created[0] = True
            return create_layout(p, video, engine_key, checkpoint_sha256)

        try:
            store = cls._open_locked(p, manifest)
        except BaseException:  # refused or cut short (a full disk): leave no new store behind
            if created[0]:
                remove_new_store(p)
            elif new:
                with contextlib.suppress(OSError):
                    p.rmdir()  # made above, empty once the lock's file is gone
            raise
        store.created = created[0]
        return store

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = True) -> AnnotationStore:
        """Open an existing store; writable opens take the lock, finish interrupted commits and
        record the opening in the manifest (``modified``, ``package_version``)."""
        p = Path(path).expanduser().absolute()
        if not p.exists():
            raise StoreError(f"{p} does not exist")
        if not is_store(p):
            raise StoreError(f"{p} is not a napari-skipclick store (no {MANIFEST} and {LABELS}/)")
        if readonly:
            return cls(p, load_manifest(p, fallback=True), True, None)
        return cls._open_locked(p, lambda: opened_for_writing(p, load_manifest(p, fallback=False)))

    @classmethod
    def _open_locked(cls, p: Path, manifest: Callable[[], dict]) -> AnnotationStore:
        """Take the lock, then open writable with ``manifest()``; release the lock on any error."""
        lock = StoreLock(p)
        lock.acquire()
        try:
            return cls(p, manifest(), False, lock)
        except OSError as e:
            lock.release()
            raise StoreError(f"cannot write the store {p}: {e.strerror or e}") from e
        except BaseException:
            lock.release()
            raise

    def refresh(self) -> None:
        """Reload objects, statuses and clicks from disk (e.g. while another viewer writes)."""
        records, damaged = read_frame_records(self.path)
        try:
            objects: dict | StoreCorruptError = load_objects(self.path / OBJECTS, self.path)
        except StoreCorruptError as e:
            objects = e
        self._records, self._damaged, self._objects_doc = records, damaged, objects
        #: frames whose record names objects and whose labels file is gone (deleted by hand)
        self._missing = {
            t: f"the labels of frame {t} ({self.chunk_path(t)}) are missing: its record says "
            f"it holds objects {r['ids']}"
            for t, r in records.items()
            if r["labels"] and r.get("ids") and not self.chunk_path(t).exists()
        }

    # ------------------------------------------------------------------ reading
    @property
    def labels(self) -> zarr.Array:
        """(T, H, W) uint32 zarr array, one chunk per frame; read-only."""
        if self._labels_ro is None:
            self._labels_ro = zarr.open_array(
                DurableLocalStore(self.path, read_only=True), path=LABELS, mode="r"
            )
        return self._labels_ro

    def _check_frame(self, t: int) -> int:
        if not isinstance(t, (int, np.integer)) or not 0 <= t < self.video.n_frames:
            raise IndexError(f"frame {t!r} is outside 0..{self.video.n_frames - 1}")
        return int(t)

    def chunk_path(self, t: int) -> Path:
        """File holding frame ``t``'s labels."""
        return self._journal.chunk_path(self._check_frame(t))

    def read_labels(self, t: int) -> np.ndarray:
        """(H, W) uint32 labels of frame ``t``; zeros if never written."""
        t = self._check_frame(t)
        if t in self._missing:
            raise StoreCorruptError(self._missing[t], str(self.chunk_path(t)))
        try:
            return np.asarray(self._labels[t], dtype=np.uint32)
        except OSError as e:  # the disk or the permissions, not the data
            chunk = self._journal.chunk_path(t)
            raise StoreError(f"cannot read the labels of frame {t} ({chunk}): {e}") from e
        except DECODE_ERRORS as e:
            chunk = self._journal.chunk_path(t)
            raise StoreCorruptError(
                f"the labels of frame {t} ({chunk}) are damaged or truncated: {e}", str(chunk)
            ) from e

    def read_courses(self, t: int) -> dict[int, dict[str, np.ndarray]]:
        """Frame ``t``'s saved courses (``write_courses``); empty when none or unreadable."""
        return courses.read_courses(courses.course_path(self.path, self._check_frame(t)))

    def course_index(self) -> dict[int, dict[int, set[str]]]:
        """Frame -> object ID -> the names of its saved courses (no array is read)."""
        return courses.course_index(self.path, self.video.n_frames)

    @property
    def manifest(self) -> dict:
        """Provenance: format version, times, package version, video, engines."""
        return dict(self._manifest)

    @property
    def photos(self) -> bool:
        """Whether the store's folder is annotated as separate photos (its manifest says)."""
        return bool(self._manifest.get(PHOTOS))

    # ------------------------------------------------------------------ writing
    def note_photos(self, photos: bool) -> None:
        """Record whether the folder is annotated as separate photos (durable)."""
        with self._writing(f"cannot write to the store {self.path}"):
            note_photos(self.path, self._manifest, photos)

    @contextlib.contextmanager
    def _writing(self, failed: str) -> Iterator[None]:
        """Under the write lock of a store open for writing; an ``OSError`` in the block is a
        :class:`StoreError` that says ``failed`` and why."""
        self._check_writable()
        with self._write_lock:
            self._check_writable()
            try:
                yield
            except OSError as e:
                raise StoreError(f"{failed}: {e.strerror or e}") from e

    def _check_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"the store {self.path} is open read-only")
        if self._lock is None or not self._lock.held:
            raise StoreError(f"the store {self.path} is closed")

    def commit_frame(self, t: int, labels: np.ndarray, record: FrameRecord) -> None:
        """Write frame ``t``'s labels with ``record`` (its status, clicks and marks, replacing
        what was saved; each mark read back by ``FrameRecords``), durable on return.
        ``ValueError`` for bad input, :class:`StoreError` when the disk refuses the write (the
        frame keeps its previous commit; a retry may follow)."""
        self._check_writable()
        t = self._check_frame(t)
        data = check_labels(labels, (self.video.height, self.video.width))
        engine_key = record.engine_key
        used = engine_key if engine_key is not None else self._engine_key()
        saved = frame_record(t, data, record, used)
        with self._write_lock:
            self._check_writable()
            try:
                note_engine_used(self.path, self._manifest, engine_key)
                self._journal.commit(t, data, saved)
            except OSError as e:
                self._reload_record(t)
                raise StoreError(
                    f"could not save frame {t} to the store {self.path}: {e.strerror or e}; "
                    "the frame on disk is as it was before"
                ) from e
            self._records[t] = saved
            self._damaged.pop(t, None)
            self._missing.pop(t, None)

    def begin_edit(self, what: str, frames: Sequence[int]) -> None:
        """Open an edit of ``frames`` (``what``: the edit, in words) to commit whole: a crash
        before ``end_edit`` puts them and the object list back as before it when the store
        is next opened for writing (``edit_journal``); durable on return."""
        frames = [self._check_frame(t) for t in frames]
        with self._writing(f"could not begin saving {what}"):
            self._edit.begin(what, frames)

    def end_edit(self) -> None:
        """Every commit of the edit opened by ``begin_edit`` went: it stays (durable)."""
        with self._writing("could not end saving an edit"):
            self._edit.end()

    def set_status(self, t: int, status: FrameStatus) -> None:
        """Change frame ``t``'s status (durable); its labels and clicks are kept."""
        self._check_writable()
        t = self._check_frame(t)
        status = FrameStatus(status)
        with self._write_lock:
            self._check_writable()
            labels = self._journal.chunk_path(t).exists()
            record = status_record(t, self._records.get(t), labels, status)
            try:
                self._journal.recover(t)
                write_json(self.path / "frames" / frame_name(t), record)
            except OSError as e:
                self._reload_record(t)
                raise StoreError(
                    f"could not save the status of frame {t}: {e.strerror or e}"
                ) from e
            self._records[t] = record
            self._damaged.pop(t, None)
            self._missing.pop(t, None)

    def write_courses(self, t: int, record: Mapping[int, Mapping[str, np.ndarray]]) -> None:
        """Replace frame ``t``'s courses (durable; an empty ``record`` removes them): per object
        ID, named arrays (``session.track.Courses.records``; ``courses``)."""
        path = courses.course_path(self.path, self._check_frame(t))
        with self._writing(f"could not save frame {t}'s courses"):
            courses.write_courses(path, record)

    def write_objects(
        self,
        objects: Sequence[ObjectInfo],
        classes: Sequence[str],
        leaving: Sequence[int] = (),
        next_id: int = 1,
        dropped: Sequence[str] | None = None,
    ) -> None:
        """Replace the object and class lists (durable); ``leaving``: IDs of listed objects
        whose deletion is being written (their frames follow); ``next_id``: the ID the next
        object gets (never below the one kept: a deleted object's ID is not given again);
        ``dropped``: class names renamed away or removed (None: the ones kept)."""
        self._check_writable()
        kept = self.dropped_classes() if dropped is None else dropped
        doc = objects_doc(objects, classes, leaving, max(next_id, self.next_object_id()), kept)
        with self._writing("could not save the object list"):
            if isinstance(self._objects_doc, StoreCorruptError):  # kept, not overwritten
                os.replace(self.path / OBJECTS, self.path / f"{OBJECTS}.damaged")
            write_json(self.path / OBJECTS, doc)
            self._objects_doc = load_objects(self.path / OBJECTS, self.path)

    def _engine_key(self) -> str | None:
        return (self._manifest.get("engine") or {}).get("key")

    def _reload_record(self, t: int) -> None:
        path = self.path / "frames" / frame_name(t)
        self._records.pop(t, None)
        try:
            self._records[t] = parse_frame_record(read_json(path, self.path), path)
        except FileNotFoundError:
            pass
        except StoreCorruptError as e:
            self._damaged[t] = e

    @contextlib.contextmanager
    def hold_commits(self) -> Iterator[AnnotationStore]:
        """Hold every write of this store, from any thread, until the block ends.

        What is read inside the block is one committed state: each frame's record and labels
        chunk from the same commit, every frame as of the same moment (exports use it).
        """
        with self._write_lock:
            yield self

    # ------------------------------------------------------------------ closing
    def claim(self, owner: object) -> None:
        """Note that ``owner`` (an ``AnnotationSession``) saves into this store until the store
        is closed. ``StoreLockedError`` when another one, alive, does (two sessions on one
        store give the same IDs to different objects, and each commit overwrites the other's
        object list)."""
        with self._write_lock:
            current = self._owner() if self._owner is not None else None
            if current is not None and current is not owner:
                raise StoreLockedError(
                    f"the store {self.path} is in use by another session in this process: "
                    "close that session first (session.close())"
                )
            self._owner = weakref.ref(owner)

    def close(self) -> None:
        """Release the writer lock (after a write in progress in another thread finishes) and
        the session that saved into the store."""
        with self._write_lock:
            self._owner = None
            if self._lock is not None and self._lock.held:
                self._lock.release()

    def __enter__(self) -> AnnotationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "writable"
        return f"AnnotationStore({str(self.path)!r}, {mode}, {self.video.n_frames} frames)"
