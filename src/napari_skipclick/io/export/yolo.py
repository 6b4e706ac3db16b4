"""Ultralytics YOLO segmentation datasets: images/, labels/*.txt polygons, data.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from .common import ExportError, Plan, object_ids_in
from .images import FrameImages
from .png import objects_doc
from .polygons import mask_to_polygon
from .run import ExportRun

#: the comment line of ``data.yaml`` that holds the export's provenance (JSON)
PROVENANCE_LINE = "# provenance: "


def label_lines(plan: Plan, item, labels) -> list[str]:
    """One ``class x1 y1 x2 y2 ...`` line per object (class index from 0, coordinates in 0..1)."""
    height, width = labels.shape
    lines = []
    for oid in object_ids_in(labels):
        polygon = mask_to_polygon(labels == oid)
        if len(polygon) < 3:
            continue
        # pixel-edge coordinates: a mask of the whole image runs from 0 to 1 (kept within)
        xy = [f"{_unit(x / width)} {_unit(y / height)}" for y, x in polygon]
        lines.append(f"{plan.category(item, oid) - 1} {' '.join(xy)}")
    return lines


def _unit(value: float) -> str:
    """``value`` within 0..1, written with 6 decimals."""
    return f"{min(max(value, 0.0), 1.0):.6f}"


def split_folders(plan: Plan) -> tuple[str, str, dict[str, str]]:
    """The image folders of ``data.yaml``'s ``train`` and ``val`` and of every split.

    ``train`` is the ``train`` split, else the first split not named ``val``, ``valid`` or
    ``test``; splits without one are an ``ExportError`` (it trained on the validation images).
    ``val`` is the ``val`` or ``valid`` split, else the first split other than ``train`` and
    ``test`` (else the training images).
    """
    splits = [s for s in plan.splits if s] or [""]
    folders = {s: f"images/{s}" if s else "images" for s in splits}
    trainable = [s for s in splits if s not in ("val", "valid", "test")]
    if not trainable:
        raise ExportError(
            f"yolo-seg: the splits {', '.join(splits)} leave no images to train on (data.yaml's "
            "train); name a split train, e.g. train=0.8,val=0.2"
        )
    train = folders["train" if "train" in folders else trainable[0]]
    others = [f for s, f in folders.items() if s not in ("train", "test") and f != train]
    val = folders.get("val", folders.get("valid", others[0] if others else train))
    return train, val, folders


def data_yaml(plan: Plan) -> str:
    """``data.yaml``: the image folder of each split (``split_folders``), class names,
    provenance.

    No ``path`` key: Ultralytics then takes the yaml's own folder as the dataset root, from any
    working folder (``path: .`` would mean the folder it is run from). The provenance is one
    JSON line in a comment (YAML readers ignore it).
    """
    train, val, folders = split_folders(plan)
    lines = [f"train: {train}", f"val: {val}"]
    if "test" in folders:
        lines.append(f"test: {folders['test']}")
    lines += [f"# {s}: {f}" for s, f in folders.items() if f not in (train, val) and s != "test"]
    lines.append("names:")
    # JSON strings are YAML double-quoted ones; unescaped, as YAML reads no \u surrogate pairs
    lines += [f"  {i}: {json.dumps(n, ensure_ascii=False)}" for i, n in enumerate(plan.names)]
    lines.append(f"{PROVENANCE_LINE}{json.dumps(plan.provenance())}")
    return "\n".join(lines) + "\n"


def write_yolo(plan: Plan, out: Path, run_args: dict, images: FrameImages | None) -> list[Path]:
    """Write ``images/[SPLIT/]NAME.jpg``, ``labels/[SPLIT/]NAME.txt``, ``data.yaml`` and
    ``objects.json`` (as the other formats but COCO: the objects, and each frame exported with,
    from a folder of photos, its original file name; Ultralytics reads only ``data.yaml``).

    Frames without objects get an empty label file (Ultralytics reads them as background).
    """
    names = ["labels", "data.yaml", "objects.json"] + (["images"] if images else [])
    split_folders(plan)  # its refusal before anything is written
    with ExportRun(out, names, len(plan.items), **run_args) as run:
        written = []
        for item in plan.items:
            labels = plan.read(item)
            if labels is None:  # its status changed since the export began
                run.step()
                continue
            stem = "/".join(filter(None, [item.split, item.stem(plan.multi, sep="_")]))
            lines = label_lines(plan, item, labels)
            text = "".join(f"{line}\n" for line in lines).encode("ascii")
            written.append(run.write(out / "labels" / f"{stem}.txt", text))
            if images is not None:
                path = out / "images" / f"{stem}{images.suffix}"
                written.append(run.write(path, images.encode(item.store, item.t)))
            run.step()
        written.append(run.write(out / "data.yaml", data_yaml(plan).encode("utf-8")))
        written.append(run.write(out / "objects.json", objects_doc(plan)))
        return written
