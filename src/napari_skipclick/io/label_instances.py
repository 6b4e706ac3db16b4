"""Instance annotations of other tools, read for an import: COCO json (RLE or polygons) and
Ultralytics YOLO segmentation datasets; each instance becomes an object of the import
(``label_sources.read_labels_source`` opens them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .label_sources import LabelsImportError, LabelSource, frame_number


def _one_video(path: Path, videos: list[str]) -> None:
    """``LabelsImportError`` for an export of several videos (their frames would mix)."""
    if len(set(videos)) > 1:
        names = ", ".join(sorted(set(videos))[:4])
        raise LabelsImportError(
            f"{path} holds frames of several videos ({names}): import each video's labels "
            "from an export of its store alone"
        )


def coco_source(path: Path, shape: tuple[int, int]) -> LabelSource:
    from pycocotools import mask as mask_utils

    try:
        doc = json.loads(path.read_text())
        images, annotations = doc["images"], doc["annotations"]
        categories = {int(c["id"]): str(c["name"]) for c in doc["categories"]}
    except (ValueError, KeyError, TypeError) as e:
        raise LabelsImportError(f"{path} is not a COCO instances file: {e!r}") from e
    height, width = shape
    _one_video(path, [str(im["video"]) for im in images if im.get("video") is not None])
    frame_of: dict[int, int] = {}
    for im in images:
        t = im.get("frame_index", im.get("frame"))
        t = int(t) if t is not None else frame_number(im["file_name"])
        if t in frame_of.values():
            raise LabelsImportError(
                f"{path}: two images are frame {t} ({im['file_name']} and another): frames of "
                "several videos? Import each video's frames from an export of its store alone"
            )
        frame_of[im["id"]] = t
        if (im.get("height", height), im.get("width", width)) != (height, width):
            raise LabelsImportError(
                f"{path}: image {im['file_name']} is {im['width']}x{im['height']}, "
                f"the video {width}x{height}"
            )
    per_frame: dict[int, list[dict]] = {}
    for ann in annotations:
        if ann.get("iscrowd"):  # a crowd region: no instance to carry over
            continue
        if ann["category_id"] not in categories:
            raise LabelsImportError(
                f"{path}: annotation {ann.get('id')} has category id {ann['category_id']}, "
                f"which the file does not define (known: {sorted(categories)})"
            )
        if ann["image_id"] not in frame_of:
            raise LabelsImportError(f"{path}: annotation {ann.get('id')} names no known image")
        per_frame.setdefault(frame_of[ann["image_id"]], []).append(ann)

    def decode(ann: dict) -> np.ndarray:
        seg = ann["segmentation"]
        if isinstance(seg, list):  # polygons
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, height, width))
        elif isinstance(seg.get("counts"), list):  # uncompressed RLE
            rle = mask_utils.frPyObjects(seg, height, width)
        else:
            rle = seg
        return mask_utils.decode(rle).astype(bool)

    for anns in per_frame.values():
        for ann in anns:
            ann["decode"] = lambda ann=ann: decode(ann)
    source = _instances(path, per_frame, categories)
    source.note_provenance(doc.get("info"))  # our exports say which video
    return source


def yolo_source(path: Path, shape: tuple[int, int]) -> LabelSource:
    """An Ultralytics segmentation dataset: ``data.yaml`` and ``labels/**/*.txt`` polygons."""
    import yaml

    from .export.polygons import polygon_to_mask
    from .export.yolo import PROVENANCE_LINE

    try:
        text = (path / "data.yaml").read_text(encoding="utf-8")
        names = yaml.safe_load(text)["names"]
        names = dict(enumerate(names)) if isinstance(names, list) else names
        categories = {int(k) + 1: str(v) for k, v in names.items()}
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as e:
        raise LabelsImportError(f"{path / 'data.yaml'} has no valid class names: {e!r}") from e
    height, width = shape
    per_frame: dict[int, list[dict]] = {}
    for file in sorted((path / "labels").rglob("*.txt")):
        t = frame_number(file.name)
        if t in per_frame:
            raise LabelsImportError(f"{path}: two label files for frame {t}")
        per_frame[t] = []
        for n, line in enumerate(file.read_text().splitlines(), start=1):
            values = line.split()
            if not values:
                continue
            try:
                category = int(values[0]) + 1
                xy = np.asarray(values[1:], dtype=float).reshape(-1, 2)
            except ValueError:
                raise LabelsImportError(f"{file}:{n}: not 'class x1 y1 x2 y2 ...'") from None
            if category not in categories:
                raise LabelsImportError(
                    f"{file}:{n}: class {category - 1} is not named in data.yaml "
                    f"(known: {sorted(k - 1 for k in categories)})"
                )
            polygon = np.stack([xy[:, 1] * height, xy[:, 0] * width], axis=1)
            mask = polygon_to_mask(polygon, shape)
            per_frame[t].append(
                {"category_id": category, "area": int(mask.sum()), "decode": lambda m=mask: m}
            )
    if not per_frame:
        raise LabelsImportError(f"{path / 'labels'} holds no label files")
    source = _instances(path, per_frame, categories)
    lines = [line for line in text.splitlines() if line.startswith(PROVENANCE_LINE)]
    try:  # our exports say which video in a comment line
        source.note_provenance(json.loads(lines[0][len(PROVENANCE_LINE) :]))
    except (IndexError, ValueError):
        source.note_provenance(None)
    return source


def _instances(
    path: Path, per_frame: dict[int, list[dict]], categories: dict[int, str]
) -> LabelSource:
    """A source of instance masks (dicts with ``category_id``, ``area``, ``decode()`` and an
    optional track id), drawn larger first, so that where instances overlap the smaller one
    (a pole in front of a skier) keeps the pixels, as Ultralytics rasterises them."""
    source = LabelSource(path, {}, classes=list(categories.values()))
    ids = _object_ids(per_frame, categories, source)
    for t in sorted(per_frame):
        anns = sorted(per_frame[t], key=lambda a: -float(a.get("area", 0)))
        source.frames[t] = lambda anns=anns: [(ids[id(a)], a["decode"]()) for a in anns]
    return source


def _object_ids(
    per_frame: dict[int, list[dict]], categories: dict[int, str], source: LabelSource
) -> dict[int, int]:
    """Object id of each annotation: its track id if it has one, else the k-th instance of its
    category on the frame (largest first) is object "CATEGORY k" on every frame."""
    ids: dict[int, int] = {}
    keys: dict[tuple, int] = {}
    for _t, anns in sorted(per_frame.items()):
        rank: dict[int, int] = {}
        for ann in sorted(anns, key=lambda a: -float(a.get("area", 0))):
            track = ann.get("object_id", ann.get("track_id", ann.get("instance_id")))
            category = categories[ann["category_id"]]
            if track is None:
                rank[ann["category_id"]] = rank.get(ann["category_id"], 0) + 1
                key: tuple = (category, rank[ann["category_id"]])
            else:
                key = ("track", int(track))
            if key not in keys:
                oid = int(track) if track is not None and int(track) > 0 else 0
                if oid == 0 or oid in keys.values():
                    oid = max([0, *keys.values()]) + 1
                keys[key] = oid
                name = ann.get("object_name") or (
                    f"{category} {key[1]}" if key[0] != "track" else f"{category} {oid}"
                )
                source.objects[oid] = (str(name), category)
            ids[id(ann)] = keys[key]
    return ids
