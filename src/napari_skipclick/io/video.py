"""Lazy video reading: a ``(T, H, W, 3) uint8`` array-like that decodes only the frames asked for.

``open_video`` reads video files with PyAV and folders of JPEG/PNG frames. Opening indexes the
file by demuxing it (no decoding) and decodes frame 0 to validate it; every other frame is
decoded on demand: seek to the keyframe before it, decode forward, keep a small LRU of RGB frames.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ..types import VideoInfo
from ._folders import FRAME_FOLDER_SUFFIXES, VIDEO_SUFFIXES, Folder, is_frame_folder, is_video_file
from ._frame_sources import FrameSource, VideoError
from ._image_sources import PAGED_SUFFIXES, FrameFolderSource, is_label_image, natural_key
from ._video_file import VideoFileSource

__all__ = [
    "FRAME_FOLDER_SUFFIXES",
    "VIDEO_SUFFIXES",
    "VideoArray",
    "VideoError",
    "frame_hash",
    "is_frame_folder",
    "is_video_file",
    "open_video",
]

_DEFAULT_CACHE_BYTES = 128 * 2**20


def is_label_folder(path: str | Path) -> bool:
    """True if ``path`` is a frame folder of label images, not frames: five images spread over
    it (first, last and between, in name order) are all label images (``is_label_image``; one
    is not enough: a camera's first frame may be black)."""
    if not is_frame_folder(path):
        return False
    files = sorted(Folder.of(path).images, key=lambda p: natural_key(p.name))
    spread = sorted({round(k * (len(files) - 1) / 4) for k in range(5)})
    return all(is_label_image(files[i]) for i in spread)


def open_video(
    path: str | Path, *, fps: float = 25.0, cache_bytes: int = _DEFAULT_CACHE_BYTES
) -> VideoArray:
    """Open a video file, a folder of frames (JPEG/PNG, or TIFF without those), one image
    (JPEG/PNG, a video of one frame) or a TIFF (a video of its pages) lazily; raise
    ``VideoError`` if it cannot be read.

    ``fps`` is used for frame folders only (they carry no frame rate); ``cache_bytes`` bounds the
    memory of decoded RGB frames kept for re-use. The video's ``info.path`` is absolute, so a
    store that records it finds the video from any working folder.
    """
    path = Path(os.path.abspath(Path(path).expanduser()))
    image_suffixes = FRAME_FOLDER_SUFFIXES + PAGED_SUFFIXES
    held = Folder.of(path)
    if held is not None and held.is_videos:  # the images beside its videos (a cover) are no video
        raise VideoError(
            f"{path}: a folder of videos, not of frames (no more images than videos: video "
            "files, subfolders of frames or videos): open one of them"
        )
    if path.is_dir() or (path.is_file() and path.suffix.lower() in image_suffixes):
        # a folder of frames, one photo (a video of one frame) or a TIFF stack (of its pages)
        suffixes = held.frame_suffixes if held is not None else FRAME_FOLDER_SUFFIXES
        source: FrameSource = FrameFolderSource(path, suffixes, fps=fps)
    elif path.exists() and not path.is_file():
        raise VideoError(f"{path} is neither a regular file nor a directory")
    elif not path.exists():
        raise VideoError(f"{path} does not exist")
    elif path.stat().st_size == 0:
        raise VideoError(f"{path.name}: the file is empty")
    else:
        source = VideoFileSource(path)
    reopen = (lambda: VideoFileSource(path)) if isinstance(source, VideoFileSource) else None
    return VideoArray(source, cache_bytes=cache_bytes, reopen=reopen, fps=fps)


#: every open video, to make each one a decoder of its own in a forked child process
_OPEN: weakref.WeakSet[VideoArray] = weakref.WeakSet()
#: decoders a forked child inherited: never used nor freed there (FFmpeg's free waits for the
#: parent's decoding threads, which a fork does not copy: a DataLoader worker hung for ever)
_INHERITED: list[Any] = []


def _after_fork_in_child() -> None:
    for video in list(_OPEN):
        video._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def frame_hash(frame: np.ndarray) -> str:
    """32 hex digits of sha256 over a frame's shape, dtype and pixel bytes (keys feature caches)."""
    frame = np.ascontiguousarray(frame)
    digest = hashlib.sha256(f"{frame.shape}|{frame.dtype.str}|".encode())
    digest.update(memoryview(frame).cast("B"))
    return digest.hexdigest()[:32]


class VideoArray:
    """Read-only ``(T, H, W, 3) uint8`` view of a video; frames are decoded when indexed.

    Integer indexing returns a read-only frame shared with the cache; slices, lists and tuples
    return new arrays. Thread-safe: one lock serialises decoding, another (held only for
    dictionary operations) guards the cache, so ``peek`` never waits for a decode.
    """

    dtype = np.dtype(np.uint8)
    ndim = 4
    #: ``np.asarray(video)`` refuses videos larger than this (index frames instead)
    max_array_bytes = 2**30

    def __init__(
        self,
        source: FrameSource,
        *,
        cache_bytes: int = _DEFAULT_CACHE_BYTES,
        reopen: Any = None,
        fps: float = 25.0,
    ) -> None:
        self._source = source
        #: makes the same source anew (a forked child's own decoder); None: the source has none
        self._reopen, self._stale = reopen, False
        self._open_args = (cache_bytes, fps)
        self._lock = threading.RLock()  # decoding (the source)
        self._cache_lock = threading.Lock()  # the cache's dictionary and ``_last``
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        frame_bytes = source.height * source.width * 3
        self._cache_frames = max(2, cache_bytes // frame_bytes)
        self._backfill = min(16, self._cache_frames // 2)
        self._last: int | None = None  # the frame asked for last
        self._closed = False
        # the file handle is released when the array is closed or garbage-collected (a napari
        # layer removed from the viewer), whichever comes first
        self._release = weakref.finalize(self, source.close)
        self.shape = (source.n_frames, source.height, source.width, 3)
        #: what a user should know of the file (a header that declares frames it lacks)
        self.notes = list(source.notes)
        try:
            self.info = VideoInfo(
                path=str(source.path),
                n_frames=source.n_frames,
                height=source.height,
                width=source.width,
                fps=source.fps,
                fingerprint=source.fingerprint(),
                former=source.former_fingerprints(),
                frame_files=source.frame_files(),
            )
            self._remember(0, source.read(0))  # decoded while opening (validates the codec)
        except BaseException:
            self._release()
            raise
        _OPEN.add(self)

    def __reduce__(self) -> tuple:
        """Pickled as its path: a process of its own (a DataLoader worker started by spawn)
        opens the video again."""
        cache_bytes, fps = self._open_args
        return (_reopened, (str(self.path), fps, cache_bytes))

    def _forked(self) -> None:
        """In a forked child: new locks (a thread of the parent may have held them), and a
        decoder of its own on the next read; the inherited one is kept, never freed here."""
        self._lock, self._cache_lock = threading.RLock(), threading.Lock()
        if self._reopen is not None and not self._closed:
            _INHERITED.append(self._source)
            self._release.detach()
            self._stale = True

    def _fresh_source(self) -> None:
        """Open the child's own decoder (the lock held)."""
        if self._stale:
            self._source = self._reopen()
            self._release = weakref.finalize(self, self._source.close)
            self._stale = False

    @property
    def path(self) -> Path:
        """The video file or frame folder."""
        return self._source.path

    @property
    def fps(self) -> float:
        """Frames per second (exact for video files; the given default for frame folders)."""
        return self.info.fps

    @property
    def size(self) -> int:
        """Number of elements, as for a numpy array."""
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        """Bytes the whole video would take in memory, decoded."""
        return self.size

    @property
    def cached_nbytes(self) -> int:
        """Bytes of decoded frames kept for the next reads (bounded by ``cache_bytes``)."""
        with self._cache_lock:
            return sum(frame.nbytes for frame in self._cache.values())

    @property
    def n_decoded(self) -> int:
        """How many frames the decoder has produced so far (including frames skipped over)."""
        return self._source.n_decoded

    @property
    def n_seeks(self) -> int:
        """How many times the reader has seeked in the file."""
        return self._source.n_seeks

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"VideoArray({str(self.path)!r}, shape={self.shape}, fps={self.fps:g})"

    def frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as a read-only ``(H, W, 3) uint8`` array (negative ``t`` counts back)."""
        t = _normalise_index(t, len(self))
        cached = self.peek(t)
        if cached is not None:
            return cached
        with self._lock:
            if self._closed:
                raise VideoError(f"{self.path.name}: the video has been closed")
            cached = self.peek(t)  # decoded by another thread while this one waited
            if cached is not None:
                return cached
            self._fresh_source()
            last = self._last
            if last is not None and t < last:
                # stepping back: decoding from the keyframe passes the frames before t anyway,
                # so keep a few of them for the next steps back
                start = max(self._source.keyframe_before(t), t - self._backfill + 1)
                for i in range(start, t):
                    if not self.is_decoded(i):
                        self._remember(i, self._source.read(i))
            rgb = self._remember(t, self._source.read(t))
            with self._cache_lock:
                self._last = t
            return rgb

    def peek(self, t: int) -> np.ndarray | None:
        """Frame ``t`` if it is decoded already, else None; never decodes, never waits for a
        decode in another thread (a frame shown while a worker reads others)."""
        t = _normalise_index(t, len(self))
        with self._cache_lock:
            if self._closed:
                raise VideoError(f"{self.path.name}: the video has been closed")
            cached = self._cache.get(t)
            if cached is not None:
                self._cache.move_to_end(t)
                self._last = t
            return cached

    def is_decoded(self, t: int) -> bool:
        """Whether frame ``t`` is in the cache (no effect on which frames it keeps)."""
        with self._cache_lock:
            return _normalise_index(t, len(self)) in self._cache

    def _remember(self, t: int, rgb: np.ndarray) -> np.ndarray:
        rgb.flags.writeable = False
        with self._cache_lock:
            self._cache[t] = rgb
            self._cache.move_to_end(t)
            while len(self._cache) > self._cache_frames:
                self._cache.popitem(last=False)
        return rgb

    def __getitem__(self, key: Any) -> np.ndarray:
        key = _expand_key(key)
        head, rest = key[0], key[1:]
        if isinstance(head, (int, np.integer)):
            frame = self.frame(int(head))
            return frame[rest] if rest else frame
        indices = _frame_indices(head, len(self))
        if not indices:
            return np.empty((0, *self.shape[1:]), dtype=self.dtype)[(slice(None), *rest)]
        per_frame = np.broadcast_to(np.zeros((), self.dtype), self.shape[1:])[rest].nbytes
        if len(indices) * per_frame > self.max_array_bytes:  # napari's 3D view asks for all
            raise VideoError(
                f"{self.path.name}: refusing to load {len(indices)} frames "
                f"({len(indices) * per_frame / 2**30:.1f} GiB) into memory at once (napari's "
                "3D view asks for every frame): view the video in 2D"
            )
        frames = [self.frame(t)[rest] if rest else self.frame(t) for t in indices]
        return np.stack(frames)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError("a VideoArray cannot be viewed as an array without copying")
        if self.nbytes > self.max_array_bytes:
            raise VideoError(
                f"{self.path.name}: refusing to load all {len(self)} frames "
                f"({self.nbytes / 2**30:.1f} GiB) into memory; index frames instead"
            )
        data = self[:]
        return data if dtype is None else data.astype(dtype)

    def close(self) -> None:
        """Release the file handle and the cached frames."""
        with self._lock:
            with self._cache_lock:
                self._closed = True
                self._cache.clear()
            self._release()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self) -> VideoArray:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _normalise_index(t: int, n: int) -> int:
    t = int(t)
    if not -n <= t < n:
        raise IndexError(f"frame {t} is out of range for a video of {n} frames")
    return t % n


def _expand_key(key: Any) -> tuple:
    """Return ``key`` as a tuple with any Ellipsis replaced by full slices (4 axes)."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is None for k in key):
        raise IndexError("VideoArray does not support np.newaxis")
    n_ellipsis = sum(k is Ellipsis for k in key)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_ellipsis:
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = (slice(None),) * (4 - len(key) + 1)
        key = key[:at] + fill + key[at + 1 :]
    if len(key) > 4:
        raise IndexError(f"too many indices for a 4-D video: {len(key)}")
    return key if key else (slice(None),)


def _frame_indices(head: Any, n: int) -> list[int]:
    """Frame numbers selected by a slice, an integer sequence or a boolean mask."""
    if isinstance(head, slice):
        return list(range(*head.indices(n)))
    arr = np.asarray(head)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise IndexError(f"boolean frame mask must have shape ({n},), got {arr.shape}")
        return [int(i) for i in np.flatnonzero(arr)]
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise IndexError(f"unsupported frame index: {head!r}")
    return [_normalise_index(int(i), n) for i in arr]


def _reopened(path: str, fps: float, cache_bytes: int) -> VideoArray:
    """``VideoArray.__reduce__``: the video at ``path`` opened again."""
    return open_video(path, fps=fps, cache_bytes=cache_bytes)
