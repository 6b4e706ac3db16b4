"""Per-frame feature cache keyed by (frame content, engine key): memory LRU, fp16 zarr on disk."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..io.video import frame_hash
from .base import Engine, Features, features_key
from .cache_arrays import fits_half, from_numpy, read_whole, to_numpy
from .cache_writes import CacheWriteError, check_writable, not_writable

__all__ = ["FeatureCache", "frame_hash"]

_MIB = 1 << 20


#: the cache's own names under its folder: ENGINE(16 hex)/FRAME(32 hex).zarr, and the
#: temporaries of one written (``.NAME.zarr.UUID.tmp``) or removed (``.del``). Nothing else in
#: the folder (a project folder given as the cache: its stores, its data) is ever removed.
_ENGINE_DIR = re.compile(r"[0-9a-f]{16}")
_ENTRY = re.compile(r"[0-9a-f]{32}\.zarr")
_TEMPORARY = re.compile(r"\.[0-9a-f]{32}\.zarr\.[0-9a-f]{32}\.(tmp|del)")


def _short_hash(text: str, size: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def _own(folder: Path, name: re.Pattern) -> list[Path]:
    """The paths ``ENGINE/NAME`` under the cache ``folder`` that the cache made."""
    return [
        path
        for engine in folder.iterdir()
        if engine.is_dir() and _ENGINE_DIR.fullmatch(engine.name)
        for path in engine.iterdir()
        if name.fullmatch(path.name)
    ]


#: file in a cache folder whose entries are never removed to keep it in bounds (precompute)
KEEP_ALL_MARKER = "precomputed.json"


#: what reading a damaged entry raises (bad JSON, missing or truncated chunks, missing keys);
#: anything else (a permission error, a bug) is not a miss and propagates
CORRUPT_ENTRY_ERRORS = (ValueError, KeyError, FileNotFoundError, NotADirectoryError)


class FeatureCache:
    """Thread-safe cache of ``Features`` per (frame key, engine key).

    Memory: LRU bounded by ``max_mib`` (counted with ``Features.nbytes``). Disk (optional): one
    zarr group per entry under ``disk_path``, float arrays stored as float16 (unless a value
    would overflow it), bounded by ``disk_max_mib`` (least recently used entries go first;
    ``None``, or a folder marked by :meth:`keep_all`: unbounded). An entry is only returned for
    the exact frame key and engine key it was stored under, checked again when read from disk.

    Disk entries are atomic, also between processes sharing the folder: an entry is written
    under a temporary name and renamed into place (the first complete writer wins), and removed
    by renaming it away first, so a reader sees a complete entry or none.

    A folder that refuses writes (:meth:`check_disk`, or the first failed write) is still read
    but takes no more entries: ``disk_error`` says why, and ``on_disk_error`` is told once.
    """

    def __init__(
        self,
        max_mib: float = 1024,
        disk_path: str | os.PathLike | None = None,
        disk_max_mib: float | None = 20_000,
    ) -> None:
        if max_mib < 0 or (disk_max_mib is not None and disk_max_mib < 0):
            raise ValueError("cache sizes must be >= 0 MiB")
        self.max_bytes = int(max_mib * _MIB)
        self.disk_path = Path(disk_path) if disk_path is not None else None
        self.disk_max_bytes = None if disk_max_mib is None else int(disk_max_mib * _MIB)
        self._memory: OrderedDict[tuple[str, str], Features] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], threading.Event] = {}
        self._disk_lock = threading.Lock()
        self._disk_sizes: dict[Path, int] | None = None
        #: why the disk folder takes no more entries (None: it takes them)
        self.disk_error: CacheWriteError | None = None
        #: told once, from the thread that found it, when the folder refuses writes
        self.on_disk_error: Callable[[CacheWriteError], None] | None = None
        if self.disk_path is not None:
            if self.disk_path.exists() and not self.disk_path.is_dir():
                raise ValueError(f"the feature cache folder {self.disk_path} is a file")
            self.disk_path.mkdir(parents=True, exist_ok=True)
            if (self.disk_path / KEEP_ALL_MARKER).is_file():
                self.disk_max_bytes = None

    def keep_all(self) -> None:
        """Mark the disk folder so that no cache on it ever removes entries to stay in bounds.

        ``skipclick precompute`` marks its folders: hours of video would otherwise be trimmed
        to the widget's bound the first time the widget writes an entry there.
        """
        assert self.disk_path is not None
        marker = self.disk_path / KEEP_ALL_MARKER
        tmp = marker.with_name(f".{marker.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text('{"keep_all": true, "written_by": "skipclick precompute"}\n')
            os.replace(tmp, marker)
        finally:
            tmp.unlink(missing_ok=True)
        self.disk_max_bytes = None

    def check_disk(self) -> None:
        """Check that the disk folder takes writes; if not, stop writing there and say why."""
        if self.disk_path is None:
            return
        try:
            check_writable(self.disk_path)
        except CacheWriteError as exc:
            self._disk_refused(exc)

    def _disk_refused(self, error: CacheWriteError) -> None:
        with self._disk_lock:
            if self.disk_error is not None:
                return
            self.disk_error = error
        if self.on_disk_error is not None:
            self.on_disk_error(error)

    @property
    def nbytes(self) -> int:
        """Bytes of features held in memory."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._memory)

    def clear_memory(self) -> None:
        """Drop every in-memory entry (the disk cache stays)."""
        with self._lock:
            self._memory.clear()
            self._nbytes = 0

    def contains(self, frame_key: str, engine_key: str) -> bool:
        """Whether features for this frame and engine are cached in memory or on disk."""
        with self._lock:
            if (frame_key, engine_key) in self._memory:
                return True
        entry = self._entry_path(frame_key, engine_key)
        return entry is not None and entry.is_dir()

    def get(self, frame_key: str, engine_key: str) -> Features | None:
        """Cached features for exactly this frame and engine, or None."""
        key = (frame_key, engine_key)
        with self._lock:
            features = self._memory.get(key)
            if features is not None:
                self._memory.move_to_end(key)
                return features
        features = self._read_disk(frame_key, engine_key)
        if features is not None:
            self._remember(key, features)
        return features

    def put(self, frame_key: str, engine_key: str, features: Features) -> None:
        """Store features in memory and, when a disk path is set, on disk.

        A failed disk write (full or read-only disk) stops disk writes (``disk_error``); the
        features stay in memory.
        """
        self._remember((frame_key, engine_key), features)
        if self.disk_error is not None:
            return
        try:
            self.write_disk(frame_key, engine_key, features)
        except OSError as exc:
            self._disk_refused(not_writable(self.disk_path or "", exc))

    def get_or_compute(self, frame_key: str, engine: Engine, image: np.ndarray) -> Features:
        """Cached features, or ``engine.encode(image)`` stored under the engine's key.

        Concurrent callers for the same key wait for one encode instead of repeating it.
        """
        engine_key = features_key(engine)
        key = (frame_key, engine_key)
        while True:
            features = self.get(frame_key, engine_key)
            if features is not None:
                return features
            with self._lock:
                event = self._inflight.get(key)
                if event is None:
                    event = self._inflight[key] = threading.Event()
                    break
            event.wait()
        try:
            features = engine.encode(image)
            self.put(frame_key, engine_key, features)
            return features
        finally:
            with self._lock:
                del self._inflight[key]
            event.set()

    def _remember(self, key: tuple[str, str], features: Features) -> None:
        size = features.nbytes
        with self._lock:
            old = self._memory.pop(key, None)
            if old is not None:
                self._nbytes -= old.nbytes
            if size > self.max_bytes:
                return
            self._memory[key] = features
            self._nbytes += size
            while self._nbytes > self.max_bytes:
                _, dropped = self._memory.popitem(last=False)
                self._nbytes -= dropped.nbytes

    # -- disk ------------------------------------------------------------------------------

    def _entry_path(self, frame_key: str, engine_key: str) -> Path | None:
        if self.disk_path is None:
            return None
        return self.disk_path / _short_hash(engine_key) / f"{_short_hash(frame_key, 32)}.zarr"

    def _read_disk(self, frame_key: str, engine_key: str) -> Features | None:
        path = self._entry_path(frame_key, engine_key)
        if path is None or not path.is_dir():
            return None
        import zarr

        try:
            group = zarr.open_group(str(path), mode="r")
            attrs = dict(group.attrs)
            if attrs.get("engine_key") != engine_key or attrs.get("frame_key") != frame_key:
                return None
            metas: dict[str, dict[str, Any]] = attrs["arrays"]
            raw = {name: read_whole(group[name]) for name in metas}
            image_shape = tuple(int(s) for s in attrs["image_shape"])
            scalars = dict(attrs.get("scalars", {}))
        except CORRUPT_ENTRY_ERRORS:  # a torn or damaged entry is a miss: recomputed, rewritten
            _remove_entry(path)
            return None
        with contextlib.suppress(OSError):  # a read-only cache folder is still read
            os.utime(path)  # recency for the disk bound
        arrays = {name: from_numpy(array, metas[name]) for name, array in raw.items()}
        arrays.update(scalars)
        return Features(image_shape=image_shape, arrays=arrays)

    def remove_stale_temporaries(self, max_age_s: float = 3600) -> int:
        """Remove entries half written or half removed more than ``max_age_s`` ago (left by a
        process killed while writing); return how many. Younger ones may still be in progress."""
        if self.disk_path is None:
            return 0
        removed = 0
        now = time.time()
        for path in _own(self.disk_path, _TEMPORARY):
            if now - _mtime(path) > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed

    def write_disk(self, frame_key: str, engine_key: str, features: Features) -> bool:
        """Write an entry to disk atomically; False if it was already there (or no disk path).

        Raises ``OSError`` when the folder cannot take it (full, read-only); nothing of the
        failed entry stays visible.
        """
        path = self._entry_path(frame_key, engine_key)
        if path is None or path.is_dir():
            return False
        import zarr

        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            group = zarr.open_group(str(tmp), mode="w")
            metas, scalars = {}, {}
            for name, value in features.arrays.items():
                if isinstance(value, (int, float, str, bool)):
                    scalars[name] = value
                    continue
                array, meta = to_numpy(value)
                if array.dtype.kind == "f" and fits_half(array):
                    array = array.astype(np.float16)
                group.create_array(
                    name,
                    data=array,
                    chunks=array.shape or "auto",
                    compressors=None,
                    # every chunk on disk, zeros too: a missing chunk then always means damage
                    config={"write_empty_chunks": True},
                )
                metas[name] = meta
            group.attrs.update(
                {
                    "engine_key": engine_key,
                    "frame_key": frame_key,
                    "image_shape": list(features.image_shape),
                    "arrays": metas,
                    "scalars": scalars,
                }
            )
            try:
                os.replace(tmp, path)  # atomic; refused when another writer got there first
            except OSError:
                if path.is_dir():
                    return False
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._track_disk(path)
        return True

    def _track_disk(self, path: Path) -> None:
        """Record a new disk entry and remove least recently used ones beyond the bound."""
        assert self.disk_path is not None
        if self.disk_max_bytes is None:
            return
        with self._disk_lock:
            if self._disk_sizes is None:
                self._disk_sizes = {
                    entry: _dir_size(entry) for entry in _own(self.disk_path, _ENTRY)
                }
            self._disk_sizes[path] = _dir_size(path)
            total = sum(self._disk_sizes.values())
            if total <= self.disk_max_bytes:
                return
            by_age = sorted(self._disk_sizes, key=_mtime)
            for entry in by_age:
                if total <= self.disk_max_bytes:
                    break
                _remove_entry(entry)
                total -= self._disk_sizes.pop(entry)


def _remove_entry(path: Path) -> None:
    """Delete an entry: renamed away first (atomic), so no reader sees it half deleted."""
    trash = path.with_name(f".{path.name}.{uuid.uuid4().hex}.del")
    try:
        os.replace(path, trash)
    except OSError:
        return  # gone already, or the folder is read-only
    shutil.rmtree(trash, ignore_errors=True)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
