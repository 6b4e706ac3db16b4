"""Label images: one indexed PNG per frame (pixel value = object id), and DAVIS/VOS folders."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ...colors import color_for
from .common import ExportError, Plan
from .images import FrameImages
from .run import ExportRun


def palette() -> list[int]:
    """256 RGB entries: 0 black, every other ID its colour (``colors.color_for``)."""
    return [0, 0, 0, *(int(c) for i in range(1, 256) for c in color_for(i))]


def label_png(labels: np.ndarray, mode: str, colours: list[int]) -> bytes:
    """PNG bytes of ``labels``: a palette image (ids < 256) or 16-bit greyscale."""
    from PIL import Image

    if mode == "palette":
        image = Image.fromarray(labels.astype(np.uint8), mode="P")
        image.putpalette(colours)
    else:
        image = Image.fromarray(labels.astype(np.uint16))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _largest_id(plan: Plan) -> int:
    """The largest label id the export can write (``TakenObjects.ids``, taken once: an
    object's pixels written meanwhile, the annotator beside, never exceed it)."""
    return max((max(taken.ids, default=0) for taken in plan.objects), default=0)


def objects_doc(plan: Plan, **extra: object) -> bytes:
    """``objects.json``: objects with their category, categories, frames and provenance."""
    objects = []
    for store, taken in zip(plan.stores, plan.objects, strict=True):
        name = next((i.video for i in plan.items if i.store is store), store.path.stem)
        for o in taken.objects:
            objects.append({**asdict(o), "category_id": taken.category(o.id), "video": name})
    doc = {
        "objects": objects,
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(plan.names)],
        "frames": [
            {"video": i.video, "frame": i.t, "split": i.split, **plan.original(i)}
            for i, _ in plan.exported
        ],
        "info": plan.provenance(),
        **extra,
    }
    return json.dumps(doc, indent=1).encode("utf-8")


def write_png(plan: Plan, out: Path, run_args: dict, images: FrameImages | None) -> list[Path]:
    """Write ``labels/[SPLIT/]NAME.png`` per frame, ``objects.json`` and optionally images.

    Palette ("P") PNGs coloured like the objects when every id the export can write (the
    objects taken, ``_largest_id``) is below 256, otherwise 16-bit greyscale PNGs (ids up to
    65535; larger ids: use numpy).
    """
    names = ["labels", "objects.json"] + (["images"] if images else [])
    with ExportRun(out, names, len(plan.items), **run_args) as run:
        top = _largest_id(plan)
        if top > 65535:
            raise ExportError(f"label id {top} does not fit a 16-bit PNG; export to numpy instead")
        mode = "palette" if top < 256 else "uint16"
        colours = palette()
        written = []
        for item in plan.items:
            labels = plan.read(item)
            if labels is None:  # its status changed since the export began
                run.step()
                continue
            stem = "/".join(filter(None, [item.split, item.stem(plan.multi)]))
            data = label_png(labels, mode, colours)
            written.append(run.write(out / "labels" / f"{stem}.png", data))
            if images is not None:
                path = out / "images" / f"{stem}{images.suffix}"
                written.append(run.write(path, images.encode(item.store, item.t)))
            run.step()
        written.append(run.write(out / "objects.json", objects_doc(plan, png_mode=mode)))
        return written


def write_davis(plan: Plan, out: Path, run_args: dict, images: FrameImages | None) -> list[Path]:
    """Write DAVIS/VOS folders: ``JPEGImages/SEQ/NNNNN.jpg``, ``Annotations/SEQ/NNNNN.png``.

    Annotations are palette PNGs whose values are the object ids. A sequence is a video, or
    with a frame split one contiguous block of it (``VIDEO-NNNNN``, its first frame);
    ``ImageSets/SPLIT.txt`` lists the sequences of each split.
    """
    names = ["Annotations", "ImageSets", "objects.json"] + (["JPEGImages"] if images else [])
    with ExportRun(out, names, len(plan.items), **run_args) as run:
        top = _largest_id(plan)
        if top > 255:
            instead = "png (16-bit label PNGs) or coco" if top <= 65535 else "coco or numpy"
            raise ExportError(
                f"label id {top} does not fit a DAVIS palette PNG (ids up to 255): export "
                f"with --format {instead} instead, which keep every id"
            )
        colours = palette()
        sequences: dict[str, list[str]] = {s: [] for s in plan.splits}
        written, previous, sequence = [], None, ""
        for item in plan.items:
            labels = plan.read(item)
            if labels is None:  # its status changed since the export began
                run.step()
                continue
            if (item.video, item.split) != previous:  # a new run of frames: a new sequence
                blocks = item.split and plan.split_by == "frames"
                sequence = f"{item.video}-{item.t:05d}" if blocks else item.video
                sequences[item.split].append(sequence)
            previous = (item.video, item.split)
            data = label_png(labels, "palette", colours)
            name = f"{item.t:05d}"
            written.append(run.write(out / "Annotations" / sequence / f"{name}.png", data))
            if images is not None:
                path = out / "JPEGImages" / sequence / f"{name}{images.suffix}"
                written.append(run.write(path, images.encode(item.store, item.t)))
            run.step()
        for split, listed in sequences.items():
            text = "".join(f"{s}\n" for s in listed).encode()
            written.append(run.write(out / "ImageSets" / f"{split or 'all'}.txt", text))
        written.append(run.write(out / "objects.json", objects_doc(plan)))
        return written
