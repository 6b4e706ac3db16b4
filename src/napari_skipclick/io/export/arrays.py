"""numpy arrays: all exported labels in one ``(N, H, W)`` uint32 file, per split."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import numpy as np

from .common import ExportError, Plan
from .images import FrameImages
from .png import objects_doc
from .run import ExportRun


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def write_numpy(plan: Plan, out: Path, run_args: dict, images: FrameImages | None) -> list[Path]:
    """Write ``[SPLIT_]labels.npy`` (N, H, W) uint32, ``[SPLIT_]frames.npy`` (N,) (frame
    indices), ``objects.json`` and, with ``images``, ``[SPLIT_]images.npy`` (N, H, W, 3)."""
    shapes = {(s.video.height, s.video.width) for s in plan.stores}
    if len(shapes) > 1:
        raise ExportError(f"one numpy array cannot hold frames of sizes {sorted(shapes)}")
    height, width = shapes.pop()
    prefix = {s: f"{s}_" if s else "" for s in plan.splits}
    kinds = ["labels", "frames"] + (["images"] if images else [])
    names = [f"{prefix[s]}{k}.npy" for s in plan.splits for k in kinds] + ["objects.json"]
    with ExportRun(out, names, len(plan.items), **run_args) as run:
        for split in plan.splits:
            items = [i for i in plan.items if i.split == split]
            final = out / f"{prefix[split]}labels.npy"
            labels = _array(run.staged(final), (len(items), height, width), np.uint32)
            held = []  # the items the export holds (a frame may be left out as it is read)
            for item in items:
                taken = plan.read(item)
                if taken is not None:
                    labels[len(held)] = taken
                    held.append(item)
                run.step()
            labels.flush()
            del labels
            if len(held) < len(items):
                _shrink(run.staged(final), len(held))
            if images is not None:
                final = out / f"{prefix[split]}images.npy"
                array = _array(run.staged(final), (len(held), height, width, 3), np.uint8)
                for k, item in enumerate(held):
                    array[k] = images.frame(item.store, item.t)
                array.flush()
                del array
            frames = np.asarray([i.t for i in held], dtype=np.int64)
            run.write(out / f"{prefix[split]}frames.npy", _npy_bytes(frames))
        run.write(out / "objects.json", objects_doc(plan))
    return [out / n for n in names]


def _array(path: Path, shape: tuple[int, ...], dtype: type) -> np.memmap:
    """A new array file at ``path``, mapped, its disk space taken (``_reserve``)."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    _reserve(path, array.offset)
    return array


def _shrink(path: Path, rows: int) -> None:
    """Keep only the first ``rows`` rows of the array file at ``path`` (row by row: memory
    stays bounded)."""
    old = np.load(path, mmap_mode="r")
    part = path.with_name(f"{path.name}.part")
    new = _array(part, (rows, *old.shape[1:]), old.dtype)
    for k in range(rows):
        new[k] = old[k]
    new.flush()
    del new, old
    os.replace(part, path)


def _reserve(path: Path, offset: int) -> None:
    """Give the array file its disk blocks now: a memory map written onto a full disk kills
    the process (SIGBUS, the napari of the widget's export with it) instead of raising
    ``OSError`` (no space left)."""
    size = path.stat().st_size
    with open(path, "r+b") as file:
        try:
            os.posix_fallocate(file.fileno(), 0, size)
            return
        except (AttributeError, OSError) as exc:  # no posix_fallocate, or not on this disk
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise
        file.seek(offset)
        zeros = bytes(1 << 22)
        for start in range(offset, size, len(zeros)):
            file.write(zeros[: min(len(zeros), size - start)])
        file.flush()
