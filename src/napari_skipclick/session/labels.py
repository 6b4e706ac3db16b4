"""``LabelVolume``: a lazy (T, H, W) uint32 label array that napari's Labels layer can show.

Thread safety is copy-on-write per frame: a frame array handed out by ``read`` or indexing is
read-only and never changes afterwards; a write builds a new array for the frame and swaps it
in under the volume's lock. A reader on any thread (napari drawing, a commit, a worker) sees
each frame as it was after some complete write, never half of one. A frame is read from the
store outside the lock (other frames are read and written meanwhile; a second reader of the
frame waits for the read under way), and a read that a write of its frame overtook is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numcodecs import Blosc

from .unreadable import Unreadable

if TYPE_CHECKING:
    from .store_protocol import Store

_MIB = 1 << 20
#: how changed frames past the memory bound are held: LZ4 (a 4K frame in ~14 ms, back in ~25)
_PACKING = Blosc(cname="lz4", clevel=1, shuffle=Blosc.SHUFFLE)


class _Read:
    """A frame's read from the store under way, as of the frame's ``version``: other readers of
    the frame wait for ``done`` and take its ``frame`` (None: the read failed)."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.frame: np.ndarray | None = None
        self.done = threading.Event()


class LabelVolume:
    """Labels of a video, one uint32 frame per time point, with only touched frames in memory.

    Frames never written read as zeros. With a store, committed frames are read from it on
    demand, and clean (committed) frames beyond ``max_mib`` are dropped from memory; changed
    frames stay in memory until committed, those beyond ``max_mib`` compressed (a long
    deletion or undo, saved only once it ended, held every frame it touched whole: gigabytes
    at 4K).

    Writes are copy-on-write per frame (see the module docstring): every frame array that
    ``read`` returns is read-only and stays as it was when read, whatever other threads write.
    """

    dtype = np.dtype(np.uint32)
    ndim = 3
    #: ``np.asarray(labels)`` refuses volumes larger than this (index frames instead)
    max_array_bytes = 1 << 30

    def __init__(
        self, shape: tuple[int, int, int], store: Store | None = None, max_mib: float = 512
    ) -> None:
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"labels need a (T, H, W) shape with positive sizes, got {shape}")
        self.shape = tuple(int(s) for s in shape)
        self.max_bytes = int(max_mib * _MIB)
        self._store = store
        self._stored: set[int] = set(store.annotated_frames()) if store is not None else set()
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._packed: dict[int, bytes] = {}  # changed frames beyond ``max_mib``, compressed
        self._dirty: set[int] = set()
        self._versions: dict[int, int] = {}
        self._lock = threading.RLock()
        self._reading: dict[int, _Read] = {}  # frames being read from the store
        self._zeros = np.zeros(self.shape[1:], self.dtype)
        self._zeros.flags.writeable = False
        #: frames whose saved labels (or record: ``ClickTable``) could not be read (damaged):
        #: read as empty, and why
        self.unreadable = Unreadable()

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        held, dirty = len(self._frames), len(self._dirty)
        return f"LabelVolume(shape={self.shape}, in_memory={held}, dirty={dirty})"

    @property
    def nbytes_in_memory(self) -> int:
        return len(self._frames) * self._zeros.nbytes

    def in_memory(self) -> list[int]:
        """Frames currently held in memory (whole or compressed)."""
        with self._lock:
            return sorted({*self._frames, *self._packed})

    def stored_frames(self) -> list[int]:
        """Frames with labels in the store (committed at least once)."""
        with self._lock:
            return sorted(self._stored)

    def dirty_frames(self) -> list[int]:
        """Frames changed since they were last committed."""
        with self._lock:
            return sorted(self._dirty)

    def is_dirty(self, t: int) -> bool:
        return self.frame_index(t) in self._dirty

    def saved_ids(self, t: int) -> frozenset[int] | None:
        """The object IDs on frame ``t`` as the store noted them when it was saved, while the
        frame is unchanged since it was read (no write in this session); None when unknown
        (then read the frame)."""
        t = self.frame_index(t)
        with self._lock:
            if self._store is None or t not in self._stored or self._versions.get(t, 0):
                return None
            return self._store.frame_ids(t)

    def version(self, t: int) -> int:
        """A counter that grows with every write of frame ``t``."""
        return self._versions.get(self.frame_index(t), 0)

    def frame_index(self, t: int) -> int:
        """``t`` as a frame index in ``[0, T)`` (negative counts from the end); else IndexError."""
        n = self.shape[0]
        if not isinstance(t, (int, np.integer)):
            raise IndexError(f"frame {t!r} is not a frame index (an integer)")
        if not -n <= t < n:
            raise IndexError(f"frame {t} is out of range for {n} frames")
        return int(t) % n

    def read(self, t: int) -> np.ndarray:
        """Frame ``t`` (H, W), read-only: a later write replaces the frame, never this array.

        A frame only the store holds is read without holding the volume's lock: a slow disk
        delays no other frame's read or write, a second reader of the frame waits for the
        read under way (which hands its frame over without the lock), and a write of ``t``
        during the read wins.
        """
        t = self.frame_index(t)
        while True:
            with self._lock:
                frame = self._in_memory(t)
                if frame is not None:
                    return frame
                read = under_way = self._reading.get(t)
                if under_way is None:
                    self._reading[t] = read = _Read(self._versions.get(t, 0))
            if under_way is not None:
                under_way.done.wait()
            else:
                try:
                    read.frame = self._stored_frame(t)
                finally:
                    self._reading.pop(t, None)
                    read.done.set()
            with self._lock:  # not written meanwhile: the frame read is the frame
                if read.frame is not None and self._versions.get(t, 0) == read.version:
                    return self._in_memory(t) if self.held(t) else self._hold(t, read.frame)

    def _in_memory(self, t: int) -> np.ndarray | None:
        """Frame ``t`` if reading it needs no store (call under the lock), else None."""
        frame = self._frames.get(t)
        if frame is not None:
            self._frames.move_to_end(t)
            return frame
        if t in self._packed:  # in memory, compressed
            return self._hold(t, self._load(t))
        return None if t in self._stored else self._zeros

    def held(self, t: int) -> bool:
        """Whether reading frame ``t`` needs no read from the store."""
        t = self.frame_index(t)
        with self._lock:
            return t in self._frames or t in self._packed or t not in self._stored

    def _hold(self, t: int, frame: np.ndarray) -> np.ndarray:
        """Keep ``frame``, just loaded, as frame ``t`` in memory (call under the lock)."""
        frame.flags.writeable = False
        self._frames[t] = frame
        self._evict()
        return frame

    def _load(self, t: int) -> np.ndarray:
        """Frame ``t``, not in memory, as a new array (unpacked, read from the store, or
        zeros: memory the system gives page by page as it is written)."""
        if t in self._packed:
            frame = np.frombuffer(_PACKING.decode(self._packed.pop(t)), self.dtype)
            return frame.reshape(self.shape[1:]).copy()
        if t in self._stored:
            return self._stored_frame(t)
        return np.zeros(self.shape[1:], self.dtype)

    def _stored_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` read from the store (empty when damaged, noted in ``unreadable``)."""
        return self.unreadable.read(
            t,
            "labels",
            lambda: np.array(self._store.read_labels(t), dtype=self.dtype),
            lambda: np.zeros(self.shape[1:], self.dtype),
        )

    def write(self, t: int, box: tuple[int, int, int, int], patch: np.ndarray) -> None:
        """Write ``patch`` into frame ``t`` rows ``box[0]:box[1]``, columns ``box[2]:box[3]``."""
        self.update(t, box, lambda region: np.copyto(region, patch, casting="unsafe"))

    def update(
        self, t: int, box: tuple[int, int, int, int], change: Callable[[np.ndarray], None]
    ) -> None:
        """Let ``change`` write into frame ``t``'s rows ``box[0]:box[1]``, columns
        ``box[2]:box[3]`` (a view it gets), in a new copy of the frame: readers of the frame
        as it was never see it change."""
        t = self.frame_index(t)
        y0, y1, x0, x1 = box
        with self._lock:
            frame = self._copy(t)
            change(frame[y0:y1, x0:x1])
            self._swap(t, frame)

    def set_frame(self, t: int, labels: np.ndarray) -> None:
        """Replace frame ``t`` by ``labels`` (H, W)."""
        labels = np.asarray(labels)
        if labels.shape != self.shape[1:]:
            raise ValueError(f"frame labels must have shape {self.shape[1:]}, got {labels.shape}")
        self.write(t, (0, self.shape[1], 0, self.shape[2]), labels)

    def mark_clean(self, t: int) -> None:
        """Record that frame ``t`` was committed to the store."""
        t = self.frame_index(t)
        with self._lock:
            self._dirty.discard(t)
            self._stored.add(t)
            self._packed.pop(t, None)  # the store holds it now
            self._evict()

    def use_store(self, store: Store) -> None:
        """Read committed frames from ``store`` from now on (which holds every frame committed
        so far: ``AnnotationSession.save_to``)."""
        with self._lock:
            self._store = store
            self._stored = set(store.annotated_frames())

    # -- numpy-like indexing for napari ------------------------------------------------------

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        size = int(np.prod(self.shape)) * self.dtype.itemsize
        if size > self.max_array_bytes:
            raise MemoryError(
                f"labels of {self.shape} need {size / 2**30:.1f} GiB; index frames instead"
            )
        array = self[:]
        return array if dtype is None else array.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = self._split(key)
        if np.ndim(first) == 0 and not isinstance(first, slice):
            return self.read(int(first))[rest]
        if isinstance(first, slice):
            frames = range(self.shape[0])[first]
            if not frames:
                return np.zeros((0, *self._zeros[rest].shape), self.dtype)
            return np.stack([self.read(t)[rest] for t in frames])
        times = np.asarray(first)
        out = np.zeros(times.shape, self.dtype)
        for t in np.unique(times):
            sel = times == t
            out[sel] = self.read(int(t))[tuple(np.asarray(r)[sel] for r in rest)]
        return out

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            for t, (box, _, patch) in self.patches(key, value).items():
                self.write(t, box, patch)

    def patches(
        self, key: Any, value: Any
    ) -> dict[int, tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]]:
        """What ``labels[key] = value`` would do, without doing it: frame index -> (the box
        ``(y0, y1, x0, x1)`` it may change, that box of the frame as it is, read-only, and as
        it would be, a new array). ``key`` is napari's indexing: a frame index, slice or index
        array first; rows and columns as slices give their own box (a brush's dab), anything
        else the whole frame."""
        first, rest = self._split(key)
        box, inner = _box_of(rest, self.shape[1:])
        y0, y1, x0, x1 = box
        times = self._times(first)
        with self._lock:
            if np.ndim(first) == 0 and not isinstance(first, slice):
                values, inners = [value], [inner]
            elif isinstance(first, slice):
                region = self._zeros[y0:y1, x0:x1][inner].shape
                values = np.broadcast_to(value, (len(times), *region))
                inners = [inner] * len(times)
            else:
                given = np.asarray(first)
                every = np.broadcast_to(np.asarray(value), given.shape)
                chosen = [given == t for t in times]
                values = [every[sel] for sel in chosen]
                inners = [tuple(np.asarray(r)[sel] for r in inner) for sel in chosen]
            out = {}
            for t, where, what in zip(times, inners, values, strict=True):
                before = self.read(t)[y0:y1, x0:x1]
                after = before.copy()
                after[where] = what
                out[t] = (box, before, after)
            return out

    def frames_of(self, key: Any) -> list[int]:
        """The frames that ``labels[key] = ...`` writes (napari's indexing, as ``patches``)."""
        return sorted({self.frame_index(t) for t in self._times(self._split(key)[0])})

    # -- internals ---------------------------------------------------------------------------

    def _times(self, first: Any) -> list[int]:
        """The frame indices that the first element of a key names."""
        if np.ndim(first) == 0 and not isinstance(first, slice):
            return [int(first)]
        if isinstance(first, slice):
            return list(range(self.shape[0])[first])
        return [int(t) for t in np.unique(np.asarray(first))]

    def _split(self, key: Any) -> tuple[Any, tuple]:
        if not isinstance(key, tuple):
            key = (key,)
        if not key or key[0] is Ellipsis:
            raise IndexError("index the frame axis explicitly, e.g. labels[t] or labels[a:b]")
        first = key[0]
        if np.ndim(first) == 0 and not isinstance(first, slice):
            first = self.frame_index(int(first))
        return first, tuple(key[1:])

    def _copy(self, t: int) -> np.ndarray:
        """A private, writable copy of frame ``t`` (call under the lock, then ``_swap``): the
        frame in memory is copied, as readers may hold it (``read``); one not in memory (never
        written, packed or stored) is loaded as a new array, which nobody holds."""
        frame = self._frames.get(t)
        return self._load(t) if frame is None else frame.copy()

    def _swap(self, t: int, frame: np.ndarray) -> None:
        """Make ``frame`` frame ``t`` (read-only from now on) and count the write."""
        frame.flags.writeable = False
        self._versions[t] = self._versions.get(t, 0) + 1
        self._packed.pop(t, None)
        if self._store is None and not frame.any():
            self._frames.pop(t, None)  # nothing to keep: without a store, zeros need no memory
            self._dirty.discard(t)
            return
        self._frames[t] = frame
        self._dirty.add(t)
        self._frames.move_to_end(t)
        self._evict()

    def _evict(self) -> None:
        """Past ``max_mib``: drop the least recently used clean frames (the store holds them),
        then compress changed ones (read back whole when used)."""
        excess = self.nbytes_in_memory - self.max_bytes
        if excess <= 0:
            return
        used = list(self._frames)[:-1]  # never the frame just used
        clean = [t for t in used if t not in self._dirty and t in self._stored]
        for t in clean + [t for t in used if t in self._dirty]:
            if excess <= 0:
                break
            frame = self._frames.pop(t)
            if t in self._dirty:
                self._packed[t] = _PACKING.encode(frame)
            excess -= frame.nbytes


def _box_of(rest: tuple, shape: tuple[int, ...]) -> tuple[tuple[int, int, int, int], tuple]:
    """The box ``(y0, y1, x0, x1)`` of a frame of ``shape`` (rows, columns) that the index
    ``rest`` into it may touch, and the index within that box: slices of step 1 give their own
    box, anything else (index arrays, steps) the whole frame and ``rest`` itself."""
    full = [(0, n, 1) for n in shape]
    if len(rest) <= 2 and all(isinstance(r, slice) for r in rest):
        spans = [r.indices(n) for r, n in zip(rest, shape, strict=False)] + full[len(rest) :]
        if all(step == 1 for _, _, step in spans):
            (y0, y1, _), (x0, x1, _) = spans
            return (y0, max(y0, y1), x0, max(x0, x1)), ()
    return (0, shape[0], 0, shape[1]), rest
