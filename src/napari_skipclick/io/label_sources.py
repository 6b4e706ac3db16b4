"""Labels that exist, read for an import: label PNGs (index or palette) or per-object mask PNGs,
COCO json (RLE or polygons), YOLO segmentation datasets, numpy or zarr arrays.

``read_labels_source(path, shape)`` opens the labels and their objects; ``frame_labels`` reads
one frame's labels, checked (size, values); ``labels_import`` checks and writes them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import label_values_problem
from ..types import DEFAULT_CLASS
from .store import StoreError


class LabelsImportError(StoreError):
    """Labels that cannot be imported; the message says which file or frame and why."""


@dataclass
class LabelSource:
    """Labels read from ``path``: frame -> its labels (read and checked by ``frame_labels``),
    and the objects' names."""

    path: Path
    frames: dict[int, Callable[[], np.ndarray]]  # frame -> reads its labels
    objects: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (name, class)
    classes: list[str] = field(default_factory=list)
    #: a label value that marks void, read as background (255 in DAVIS-style masks)
    void: int | None = None
    #: the video the labels were exported from (``objects.json``'s provenance), if known
    video: dict | None = None


def frame_number(name: str) -> int:
    """The frame index in a file name: its last group of digits (``00012.png`` -> 12)."""
    digits = re.findall(r"\d+", Path(name).stem)
    if not digits:
        raise LabelsImportError(f"{name}: no frame number in the file name")
    return int(digits[-1])


#: a per-object mask file: ``FRAME_objID[_NAME].png`` (``00000_obj2_poles.png``)
_OBJECT_FILE = re.compile(r"^(\d+)_obj(\d+)(?:_(.+))?$")


def _png_folder(path: Path) -> LabelSource:
    files = sorted(path.glob("*.png"))
    if not files:
        raise LabelsImportError(f"{path} holds no PNG label images")
    if all(_OBJECT_FILE.match(f.stem) for f in files):
        return _object_masks(path, files)
    frames: dict[int, Callable[[], np.ndarray]] = {}
    for file in files:
        t = frame_number(file.name)
        if t in frames:
            raise LabelsImportError(f"{path}: two label images for frame {t}")
        frames[t] = lambda file=file: _png(file)
    return LabelSource(path, frames)


def _object_masks(path: Path, files: list[Path]) -> LabelSource:
    """One mask per object and frame, ``FRAME_objID[_NAME].png`` (0 background, 255 void, any
    other value the object); the object ``ID`` is named and classed ``NAME``. On a frame the
    larger masks are drawn first, so where two overlap the smaller keeps the pixels."""
    source = LabelSource(path, {})
    per_frame: dict[int, list[tuple[int, Path]]] = {}
    for file in files:
        frame, oid, name = _OBJECT_FILE.match(file.stem).groups()  # type: ignore[union-attr]
        if int(oid) == 0:
            raise LabelsImportError(f"{file}: object ID 0 is the background")
        per_frame.setdefault(int(frame), []).append((int(oid), file))
        # a name is the object's class too; unnamed, it is an object of the default class
        named = (name, name) if name else (f"object {int(oid)}", DEFAULT_CLASS)
        source.objects.setdefault(int(oid), named)
    for t, masks in per_frame.items():
        source.frames[t] = lambda masks=masks: _larger_first(masks)
    source.classes = list(dict.fromkeys(c for _, c in source.objects.values()))
    return source


def _larger_first(masks: list[tuple[int, Path]]) -> list[tuple[int, np.ndarray]]:
    """The objects' masks of one frame, read, larger first."""
    read = []
    for oid, file in masks:
        png = _png(file)
        read.append((oid, (png != 0) & (png != 255)))
    return sorted(read, key=lambda item: -int(item[1].sum()))


def _png(file: Path) -> np.ndarray:
    """The labels of one PNG; ``LabelsImportError`` naming the file if it cannot be read."""
    from PIL import Image

    try:
        with Image.open(file) as image:
            return np.array(image)
    except (OSError, ValueError) as e:  # PIL: truncated, not an image, bad chunk
        raise LabelsImportError(f"{file}: not a readable PNG ({e})") from e


def _name_objects(source: LabelSource) -> None:
    """Names and classes of the ids from the ``objects.json`` of our exports, if one is near.

    It is looked for beside the labels and up to two folders above (DAVIS sequences); with
    several videos in one export, the objects of the video named like a folder on the way.
    """
    folder = source.path if source.path.is_dir() else source.path.parent
    for place in (folder, folder.parent, folder.parent.parent):
        doc_path = place / "objects.json"
        if not doc_path.is_file():
            continue
        try:
            doc = json.loads(doc_path.read_text())
            objects = [
                (int(o["id"]), o["name"], o["class_name"], o.get("video")) for o in doc["objects"]
            ]
        except (ValueError, KeyError, TypeError) as e:
            raise LabelsImportError(f"{doc_path} does not describe objects: {e!r}") from e
        videos = {o[3] for o in objects}
        # a split DAVIS export names its sequences VIDEO-NNNNN (a block of the video's frames)
        names = [n for p in (source.path, folder) for n in (p.name, re.sub(r"-\d+$", "", p.name))]
        wanted = next((n for n in names if n in videos), None)
        if wanted is None and len(videos - {None}) > 1:
            return  # several videos, none of them this one's: no names rather than wrong ones
        for oid, name, class_name, video in objects:
            if wanted is None or video == wanted:
                source.objects[oid] = (str(name), str(class_name))
        source.classes = [str(c["name"]) for c in doc.get("categories", [])]
        source.video = exported_video(doc.get("info"), wanted)
        return


def _array(path: Path) -> LabelSource:
    if path.suffix == ".npy":
        try:  # never unpickles: object arrays and other files are refused
            array = np.load(path, mmap_mode="r")
        except (ValueError, OSError, EOFError) as e:
            raise LabelsImportError(f"{path} is not a readable .npy array of labels: {e}") from e
    else:
        import zarr

        try:
            array = zarr.open_array(str(path), mode="r")
        except Exception as e:  # zarr raises several kinds for a folder that is no array
            raise LabelsImportError(f"{path} is not a zarr array: {e}") from e
    if array.ndim != 3 or np.dtype(array.dtype).kind not in "iub":
        raise LabelsImportError(
            f"{path} holds a {array.ndim}-D {array.dtype} array; expected (T, H, W) integers"
        )
    frames = list(range(array.shape[0]))
    index = path.with_name(path.name.replace("labels", "frames"))
    if path.suffix == ".npy" and index != path and index.is_file():  # our numpy export
        frames = [int(t) for t in np.load(index)]
        twice = sorted(t for t, n in Counter(frames).items() if n > 1)
        if twice:
            raise LabelsImportError(
                f"{index} lists frames {twice[:5]} more than once: an export of several "
                "videos; import each video's labels from an export of its store alone"
            )
        if len(frames) != array.shape[0]:
            raise LabelsImportError(
                f"{index} lists {len(frames)} frames, {path} holds {len(array)}"
            )
    return LabelSource(path, {t: (lambda k=k: array[k]) for k, t in enumerate(frames)})


def _one_video(path: Path, videos: list[str]) -> None:
    """``LabelsImportError`` for an export of several videos (their frames would mix)."""
    if len(set(videos)) > 1:
        names = ", ".join(sorted(set(videos))[:4])
        raise LabelsImportError(
            f"{path} holds frames of several videos ({names}): import each video's labels "
            "from an export of its store alone"
        )


def exported_video(provenance: Any, name: str | None = None) -> dict | None:
    """The video (``VideoInfo`` as a dict) that one of our exports' provenance names: the one
    called ``name``, or its only one; None when unknown."""
    videos = provenance.get("videos") if isinstance(provenance, dict) else None
    if not isinstance(videos, list):
        return None
    found = [v.get("video") for v in videos if isinstance(v, dict)]
    if name is not None:
        found = [v.get("video") for v in videos if isinstance(v, dict) and v.get("name") == name]
    return found[0] if len(found) == 1 and isinstance(found[0], dict) else None


def _coco(path: Path, shape: tuple[int, int]) -> LabelSource:
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
    source.video = exported_video(doc.get("info"))  # our exports say which video
    return source


def _yolo(path: Path, shape: tuple[int, int]) -> LabelSource:
    """An Ultralytics segmentation dataset: ``data.yaml`` and ``labels/**/*.txt`` polygons."""
    import yaml

    from .export.polygons import polygon_to_mask
    from .export.yolo import PROVENANCE_LINE

    try:
        text = (path / "data.yaml").read_text()
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
        source.video = exported_video(json.loads(lines[0][len(PROVENANCE_LINE) :]))
    except (IndexError, ValueError):
        source.video = None
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


def read_labels_source(
    path: str | Path, shape: tuple[int, int], void: int | None = None
) -> LabelSource:
    """Open labels at ``path`` for a video of frame size ``shape`` = (H, W); ``void``: a
    label value read as background (an index image's void, 255 in DAVIS-style masks).

    ``path`` is a folder of label PNGs (index or palette; frame number from the file name) or
    of per-object masks (``FRAME_objID_NAME.png``), a COCO json (RLE or polygons), a YOLO
    segmentation dataset (folder with ``data.yaml``), a ``.npy`` file or a zarr array of shape
    (T, H, W) (an exported ``labels.npy`` maps its rows to frames with the ``frames.npy``
    beside it).
    """
    path = Path(path)
    if not path.exists():
        raise LabelsImportError(f"{path} does not exist")
    if path.suffix == ".json":
        return _coco(path, shape)
    if (path / "data.yaml").is_file():
        return _yolo(path, shape)
    if path.suffix == ".npy" or (path / "zarr.json").is_file():
        source = _array(path)
    elif path.is_dir():
        source = _png_folder(path)
    else:
        raise LabelsImportError(
            f"{path}: not a folder of PNGs, a COCO .json, a YOLO dataset, a .npy file or a "
            "zarr array"
        )
    _name_objects(source)
    source.void = void
    return source


def frame_labels(source: LabelSource, t: int, shape: tuple[int, int]) -> tuple[np.ndarray, int]:
    """Frame ``t``'s labels checked against ``shape``, and its pixels claimed twice (COCO)."""
    raw = source.frames[t]()
    if isinstance(raw, list):  # instances, larger first: a smaller one drawn later wins
        labels, overlap = np.zeros(shape, np.uint32), 0
        for oid, mask in raw:
            if mask.shape != shape:
                raise LabelsImportError(f"{source.path}: frame {t} mask is {mask.shape}")
            overlap += int((mask & (labels != 0)).sum())
            labels[mask] = oid
        return labels, overlap
    labels = np.asarray(raw)
    if source.void is not None:
        labels = np.where(labels == source.void, 0, labels)
    if labels.shape != shape:
        raise LabelsImportError(
            f"{source.path}: frame {t} labels have shape {labels.shape}, the video {shape}"
        )
    problem = label_values_problem(labels)
    if problem is not None:
        raise LabelsImportError(f"{source.path}: frame {t}: {problem}")
    return labels.astype(np.uint32), 0
