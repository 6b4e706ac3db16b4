"""Batch feature precompute: chunks of video frames encoded into the on-disk feature cache.

The functions here run inside dask workers (``skipclick precompute`` submits them) but need no
dask: a task names a video, a frame range, the engine and the cache folder. The worker opens the
video itself, builds the engine once per process, skips frames whose entry is already cached and
valid, and writes the others with the same keys and format the widget reads.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np

from ..checks import check_image
from ..io.video import VideoArray, frame_hash, open_video
from .base import Engine, Features, features_key
from .cache import FeatureCache
from .cache_writes import CacheWriteError, check_writable, not_writable

__all__ = [
    "CacheWriteError",
    "Chunk",
    "ChunkResult",
    "EngineSpec",
    "check_here",
    "encode_chunk",
    "plan_chunks",
    "prepare_worker",
    "video_length",
]

#: videos kept open per worker process (opening indexes the whole file)
_OPEN_VIDEOS = 2


@dataclass(frozen=True)
class EngineSpec:
    """How a worker builds its engine: ``create_engine(name, **options)`` by default.

    ``factory`` (``"module:function"``, called with the options) replaces ``create_engine``,
    e.g. for benchmarks with random weights. Workers keep one engine per spec.
    """

    name: str
    options: tuple[tuple[str, Any], ...] = ()
    factory: str | None = None

    @classmethod
    def of(cls, name: str, factory: str | None = None, **options: Any) -> EngineSpec:
        """A spec from keyword options; a checkpoint path is made absolute, as workers in
        other working folders must read it (a released name stays a name)."""
        from ..model.weights import portable_checkpoint

        if options.get("checkpoint") is not None:
            options["checkpoint"] = portable_checkpoint(options["checkpoint"])
        return cls(name, tuple(sorted(options.items())), factory)

    def build(self) -> Engine:
        """A new engine of this spec."""
        if self.factory is None:
            from . import create_engine

            return create_engine(self.name, **dict(self.options))
        module_name, function = self.factory.split(":")
        return getattr(import_module(module_name), function)(**dict(self.options))


@dataclass(frozen=True)
class Chunk:
    """Frames ``start`` to ``stop - 1`` of one video: the unit of work of a task."""

    video: str
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ChunkResult:
    """What a task did: frames encoded and written, frames found cached, where and how long."""

    chunk: Chunk
    encoded: int
    cached: int
    worker: str
    seconds: float


def plan_chunks(video: str, frames: Sequence[int], chunk: int) -> list[Chunk]:
    """``frames`` of ``video`` cut into chunks of at most ``chunk`` consecutive frames."""
    if chunk < 1:
        raise ValueError(f"chunk size must be >= 1, got {chunk}")
    chunks: list[Chunk] = []
    for t in sorted(set(frames)):
        last = chunks[-1] if chunks else None
        if last is not None and last.stop == t and last.size < chunk:
            chunks[-1] = Chunk(video, last.start, t + 1)
        else:
            chunks.append(Chunk(video, t, t + 1))
    return chunks


# -- inside a worker process ----------------------------------------------------------------

_lock = threading.Lock()
#: engines by spec, with the stamp (``_stamp``) of their checkpoint file when built
_engines: dict[str, tuple[tuple[int, int, int] | None, Engine]] = {}
#: open videos by path, with the stamp (``_stamp``) of the file or folder when it was opened
_videos: OrderedDict[str, tuple[tuple[int, int, int] | None, VideoArray]] = OrderedDict()


def worker_engine(spec: EngineSpec) -> Engine:
    """The engine of ``spec``, built once per process and kept while its checkpoint file is
    unchanged: a checkpoint replaced at the same path (``skipclick download --force``, a new
    training run) builds a new engine."""
    key = repr(spec)  # options may hold dicts (a backbone architecture): not hashable
    stamp = _checkpoint_stamp(spec)
    with _lock:
        entry = _engines.get(key)
        if entry is None or entry[0] != stamp:
            entry = _engines[key] = (stamp, spec.build())
        return entry[1]


def _checkpoint_stamp(spec: EngineSpec) -> tuple[int, int, int] | None:
    """The stamp of the checkpoint file ``spec`` names (a released name: its cached copy), or
    None for an engine without one."""
    from ..model.weights import WeightsError, checkpoint_file

    checkpoint = _options(spec).get("checkpoint")
    if checkpoint is None:
        return None
    try:
        return _stamp(str(checkpoint_file(checkpoint)))
    except WeightsError:  # the cache folder is unusable: building says so
        return None


def _options(spec: EngineSpec) -> dict[str, Any]:
    """The options of ``spec``, with its registry engine's defaults for those not given."""
    options = dict(spec.options)
    if spec.factory is None:
        from .registry import engine_entry

        options = {o.name: o.default for o in engine_entry(spec.name).options} | options
    return options


def _video(path: str) -> VideoArray:
    """The video at ``path``, kept open for the next chunks of the same video while its file (or
    folder) is unchanged: a video replaced or rewritten on disk is opened again."""
    stamp = _stamp(path)  # before opening: a change after it is seen on the next chunk
    with _lock:
        entry = _videos.pop(path, None)
        if entry is None or entry[0] != stamp or entry[1].closed:
            # an old copy is not closed: another thread may be reading it (freed when unused)
            entry = (stamp, open_video(path))
        _videos[path] = entry
        while len(_videos) > _OPEN_VIDEOS:
            _videos.popitem(last=False)[1][1].close()
        return entry[1]


def _stamp(path: str) -> tuple[int, int, int] | None:
    """Modification time, size and inode of a video file or frame folder (a frame added,
    removed or renamed changes a folder's); None if it cannot be read (opening says why)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def prepare_worker(spec: EngineSpec, cache_dir: str) -> str:
    """Build the engine and check the cache folder takes writes; return its features key.

    Marks the folder so that the widget never trims it (:meth:`FeatureCache.keep_all`) and
    removes what writers killed an hour ago or more left there. Raises the engine's own error
    (e.g. a checkpoint that does not load) or ``CacheWriteError``.
    """
    engine = worker_engine(spec)
    _writable_cache(cache_dir).remove_stale_temporaries()
    return features_key(engine)


def check_here(spec: EngineSpec, cache_dir: str) -> None:
    """What would stop :func:`prepare_worker` on this machine, found without building the
    engine: a device it lacks, a checkpoint file that is missing or plainly none (empty, cut
    short: by its first and last bytes), a cache folder that refuses writes (then marked as
    ``prepare_worker`` marks it). Raises ``ValueError``, ``WeightsError`` or
    ``CacheWriteError``."""
    from ..model.checkpoint_bytes import not_a_checkpoint
    from ..model.weights import CHECKPOINTS, resolve_checkpoint

    options = _options(spec)
    device = options.get("device")
    if device not in (None, "auto", "cpu"):  # cpu needs no check (nor torch imported here)
        from ..model.checkpoint import pick_device

        pick_device(device)
    checkpoint = options.get("checkpoint")
    if checkpoint is not None and str(checkpoint) not in CHECKPOINTS:  # a release: downloaded
        path = resolve_checkpoint(checkpoint, download=False)
        problem = not_a_checkpoint(path)
        if problem is not None:
            raise ValueError(f"{path} {problem}")
    _writable_cache(cache_dir)


def _writable_cache(cache_dir: str) -> FeatureCache:
    """The cache at ``cache_dir`` (created) once it takes writes, marked never to be trimmed
    (:meth:`FeatureCache.keep_all`)."""
    check_writable(cache_dir)
    try:
        cache = FeatureCache(max_mib=0, disk_path=cache_dir)
        cache.keep_all()
    except OSError as exc:
        raise not_writable(cache_dir, exc) from exc
    return cache


def video_length(path: str) -> int:
    """Number of frames of a video file or frame folder (``VideoError`` if unreadable)."""
    return len(_video(path))


def encode_chunk(chunk: Chunk, spec: EngineSpec, cache_dir: str, batch: int = 8) -> ChunkResult:
    """Encode and cache the frames of ``chunk`` that have no valid cache entry yet.

    Frames go through the engine's ``encode_batch`` in batches of ``batch`` when it has one.
    Entries are written as soon as their batch is encoded, so an interrupted task keeps them.
    Raises ``CacheWriteError``, with the entries written before, when the folder refuses one.
    """
    began = time.perf_counter()
    engine = worker_engine(spec)
    engine_key = features_key(engine)
    cache = FeatureCache(max_mib=0, disk_path=cache_dir, disk_max_mib=None)
    encoded = 0
    for keys, images in _missing_batches(_video(chunk.video), chunk, cache, engine_key, batch):
        for key, features in zip(keys, _encode(engine, images), strict=True):
            try:
                cache.write_disk(key, engine_key, features)
            except OSError as exc:
                raise not_writable(cache_dir, exc, encoded) from exc
            encoded += 1
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return ChunkResult(chunk, encoded, chunk.size - encoded, worker, time.perf_counter() - began)


def _missing_batches(
    video: VideoArray, chunk: Chunk, cache: FeatureCache, engine_key: str, batch: int
) -> Iterator[tuple[list[str], list[np.ndarray]]]:
    """Batches of (frame keys, images) of the chunk's frames without a valid cache entry."""
    keys: list[str] = []
    images: list[np.ndarray] = []
    for t in range(chunk.start, chunk.stop):
        image = check_image(video[t])
        key = frame_hash(image)
        if cache.get(key, engine_key) is not None:  # read in full: a damaged entry is redone
            continue
        keys.append(key)
        images.append(image)
        if len(keys) >= batch:
            yield keys, images
            keys, images = [], []
    if keys:
        yield keys, images


def _encode(engine: Engine, images: list[np.ndarray]) -> list[Features]:
    encode_batch = getattr(engine, "encode_batch", None)
    if encode_batch is not None and len(images) > 1:
        return list(encode_batch(images))
    return [engine.encode(image) for image in images]
