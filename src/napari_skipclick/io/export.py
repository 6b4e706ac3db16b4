"""Exports of a store for training: COCO instances (RLE), indexed PNG per frame, numpy arrays.

Each export reads the store frame by frame (memory stays bounded), reports progress through
``progress(done, total)`` and stops when ``cancel()`` returns true, removing what it wrote.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import __version__
from ..checks import ids_in
from ..types import FrameStatus, ObjectInfo
from .store import AnnotationStore, StoreError
from .store.files import write_atomic

FORMATS = ("coco", "png", "numpy")
#: category given to label ids that have no object entry in the store
UNLABELLED = "unlabelled"

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class ExportError(StoreError):
    """An export cannot be written (existing files, ids a format cannot hold, the disk)."""


class ExportCancelled(ExportError):
    """The export was cancelled; the files it had written are removed."""


def categories(store: AnnotationStore) -> tuple[list[str], dict[int, int]]:
    """Class names (category ``i + 1`` is ``names[i]``) and object id -> category id.

    Classes of objects missing from the class list are appended; label ids without an object
    entry map to the category :data:`UNLABELLED`, added only when needed (see ``category_of``).
    """
    names = list(store.classes())
    by_object: dict[int, int] = {}
    for obj in store.objects():
        if obj.class_name not in names:
            names.append(obj.class_name)
        by_object[obj.id] = names.index(obj.class_name) + 1
    return names, by_object


def object_ids_in(labels: np.ndarray) -> list[int]:
    """Sorted non-zero label ids present in ``labels`` (the rule: ``checks.ids_in``)."""
    return sorted(ids_in(labels))


def category_of(oid: int, names: list[str], by_object: dict[int, int]) -> int:
    """Category id of label ``oid``; unknown ids get the :data:`UNLABELLED` category."""
    if oid not in by_object:
        if UNLABELLED not in names:
            names.append(UNLABELLED)
        by_object[oid] = names.index(UNLABELLED) + 1
    return by_object[oid]


def select_frames(
    store: AnnotationStore,
    frames: Iterable[int] | None = None,
    statuses: Iterable[FrameStatus | str] | None = None,
) -> list[int]:
    """Annotated frames to export, optionally only ``frames`` and/or those with ``statuses``."""
    chosen = store.annotated_frames()
    if frames is not None:
        wanted = {int(t) for t in frames}
        chosen = [t for t in chosen if t in wanted]
    if statuses is not None:
        keep = {FrameStatus(s) for s in statuses}
        status_of = store.statuses()
        chosen = [t for t in chosen if status_of.get(t, FrameStatus.EMPTY) in keep]
    return chosen


class _Run:
    """One export in progress: refuses to overwrite, reports progress, undoes on any error."""

    def __init__(
        self,
        out: Path,
        names: Sequence[str],
        total: int,
        overwrite: bool,
        progress: Progress | None,
        cancel: Cancel | None,
    ) -> None:
        self.out, self.total, self.done = out, total, 0
        self.progress, self.cancel = progress, cancel
        self.written: list[Path] = []
        clashes = [n for n in names if (out / n).exists()]
        if clashes and not overwrite:
            raise ExportError(f"{out} already holds {', '.join(clashes)}; choose another folder")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ExportError(f"cannot create the export folder {out}: {e.strerror or e}") from e

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> None:
        if error is None:
            return
        for path in self.written:  # a partial export is worse than none
            path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(f"export to {self.out} failed: {error.strerror or error}") from error

    def step(self) -> None:
        """Count one frame done; raise :class:`ExportCancelled` if cancelled."""
        if self.cancel is not None and self.cancel():
            raise ExportCancelled(f"export to {self.out} cancelled")
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def write(self, path: Path, data: bytes) -> Path:
        """Write one output file atomically (exports can be redone, so no fsync per file)."""
        self.written.append(path)
        write_atomic(path, data, durable=False)
        return path


def _objects_doc(store: AnnotationStore, frames: list[int], **extra: object) -> bytes:
    names, by_object = categories(store)
    doc = {
        "objects": [{**asdict(o), "category_id": by_object[o.id]} for o in store.objects()],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(names)],
        "frames": frames,
        "video": asdict(store.video),
        "store": str(store.path),
        **extra,
    }
    return json.dumps(doc, indent=1).encode("utf-8")


def export_coco(
    store: AnnotationStore,
    out: str | Path,
    *,
    frames: Iterable[int] | None = None,
    statuses: Iterable[FrameStatus | str] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[Path]:
    """Write ``out/annotations.json``: COCO instances, one image per frame, RLE masks."""
    from pycocotools import mask as mask_utils

    out = Path(out)
    chosen = select_frames(store, frames, statuses)
    with _Run(out, ["annotations.json"], len(chosen), overwrite, progress, cancel) as run:
        names, by_object = categories(store)
        info = {o.id: o for o in store.objects()}
        v = store.video
        images, annotations = [], []
        for t in chosen:
            labels = store.read_labels(t)
            images.append(
                {
                    "id": t + 1,
                    "frame_index": t,
                    "file_name": f"frames/{t:06d}.jpg",
                    "height": v.height,
                    "width": v.width,
                }
            )
            for oid in object_ids_in(labels):
                mask = np.asfortranarray(labels == oid, dtype=np.uint8)
                rle = mask_utils.encode(mask)
                obj = info.get(int(oid))
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": t + 1,
                        "category_id": category_of(int(oid), names, by_object),
                        "segmentation": {
                            "size": [int(s) for s in rle["size"]],
                            "counts": rle["counts"].decode("ascii"),
                        },
                        "area": float(mask_utils.area(rle)),
                        "bbox": [float(b) for b in mask_utils.toBbox(rle)],
                        "iscrowd": 0,
                        "object_id": int(oid),
                        "object_name": obj.name if obj else None,
                    }
                )
            run.step()
        doc = {
            "info": {
                "description": f"napari-skipclick export of {store.path.name}",
                "version": __version__,
                "date_created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "video": asdict(v),
                "store": str(store.path),
            },
            "licenses": [],
            "images": images,
            "annotations": annotations,
            "categories": [
                {"id": i + 1, "name": n, "supercategory": "object"} for i, n in enumerate(names)
            ],
        }
        return [run.write(out / "annotations.json", json.dumps(doc).encode("utf-8"))]


def _palette(objects: Sequence[ObjectInfo]) -> list[int]:
    """256 RGB entries: 0 black, object ids their colour, other ids a fixed pseudo-random colour."""
    rng = np.random.default_rng(0)
    table = rng.integers(40, 256, size=(256, 3))
    table[0] = 0
    for o in objects:
        if o.id < 256:
            table[o.id] = o.color
    return [int(c) for c in table.ravel()]


def export_png(
    store: AnnotationStore,
    out: str | Path,
    *,
    frames: Iterable[int] | None = None,
    statuses: Iterable[FrameStatus | str] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[Path]:
    """Write one PNG per frame to ``out/labels/NNNNNN.png`` (pixel value = object id).

    Palette ("P") PNGs coloured like the objects when every exported id is below 256,
    otherwise 16-bit greyscale PNGs (ids up to 65535; larger ids: use numpy).
    ``out/objects.json`` names the ids and gives the mode (``png_mode``).
    """
    from PIL import Image

    out = Path(out)
    chosen = select_frames(store, frames, statuses)
    objects = store.objects()
    names = [f"labels/{t:06d}.png" for t in chosen] + ["objects.json"]
    with _Run(out, names, len(chosen), overwrite, progress, cancel) as run:
        top = max((int(store.read_labels(t).max(initial=0)) for t in chosen), default=0)
        if top > 65535:
            raise ExportError(f"label id {top} does not fit a 16-bit PNG; export to numpy instead")
        mode = "palette" if top < 256 else "uint16"
        palette = _palette(objects)
        written = []
        for t in chosen:
            labels = store.read_labels(t)
            if mode == "palette":
                image = Image.fromarray(labels.astype(np.uint8), mode="P")
                image.putpalette(palette)
            else:
                image = Image.fromarray(labels.astype(np.uint16))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False)
            written.append(run.write(out / "labels" / f"{t:06d}.png", buffer.getvalue()))
            run.step()
        written.append(run.write(out / "objects.json", _objects_doc(store, chosen, png_mode=mode)))
        return written


def export_numpy(
    store: AnnotationStore,
    out: str | Path,
    *,
    frames: Iterable[int] | None = None,
    statuses: Iterable[FrameStatus | str] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[Path]:
    """Write ``out/labels.npy`` (N, H, W) uint32, ``out/frames.npy`` (N,) and ``objects.json``."""
    out = Path(out)
    chosen = select_frames(store, frames, statuses)
    names = ["labels.npy", "frames.npy", "objects.json"]
    v = store.video
    with _Run(out, names, len(chosen), overwrite, progress, cancel) as run:
        tmp = run.out / ".labels.npy.partial"
        run.written.append(tmp)
        array = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.uint32, shape=(len(chosen), v.height, v.width)
        )
        for i, t in enumerate(chosen):
            array[i] = store.read_labels(t)
            run.step()
        array.flush()
        del array
        run.written.append(out / "labels.npy")
        tmp.replace(out / "labels.npy")
        run.write(out / "frames.npy", _npy_bytes(np.asarray(chosen, dtype=np.int64)))
        run.write(out / "objects.json", _objects_doc(store, chosen))
    return [out / n for n in names]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


EXPORTERS = {"coco": export_coco, "png": export_png, "numpy": export_numpy}


def export_store(
    store: AnnotationStore | str | Path, fmt: str, out: str | Path, **options: object
) -> list[Path]:
    """Export ``store`` (an open store or its path) in format ``fmt``; see the ``export_*``."""
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not isinstance(store, AnnotationStore):
        store = AnnotationStore.open(store, readonly=True)
    return EXPORTERS[fmt](store, out, **options)
