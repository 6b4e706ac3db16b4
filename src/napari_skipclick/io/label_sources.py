"""Labels that exist, read for an import: another annotation store, label PNGs (index or
palette) or per-object mask PNGs, COCO json (RLE or polygons), YOLO segmentation datasets (both
in ``label_instances``), numpy or zarr arrays.

``read_labels_source(path, shape)`` opens the labels and their objects; ``frame_labels`` reads
one frame's labels, checked (size, values); ``labels_import`` checks and writes them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..checks import label_values_problem
from ..types import DEFAULT_CLASS, UNCHECKED
from .store import AnnotationStore, StoreError, is_store

if TYPE_CHECKING:
    from ..session.imports import FrameStates


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
    #: the store the labels were exported from (the same provenance), if known
    store: str | None = None
    #: frame -> the file name of its photo, from an export of a frame folder (the same
    #: provenance's ``original_file_names``); empty when unknown
    originals: dict[int, str] = field(default_factory=dict)
    #: what a store read as the labels says of its frames (statuses, reasons for review,
    #: propagation's clicks); None for labels from anywhere else
    states: FrameStates | None = None

    def note_provenance(self, provenance: Any, name: str | None = None) -> None:
        """The video and store that one of our exports' provenance names (the video called
        ``name``, or its only one): None each when unknown."""
        videos = provenance.get("videos") if isinstance(provenance, dict) else None
        found = [
            v
            for v in (videos if isinstance(videos, list) else [])
            if isinstance(v, dict) and (name is None or v.get("name") == name)
        ]
        entry = found[0] if len(found) == 1 else {}
        self.video = entry.get("video") if isinstance(entry.get("video"), dict) else None
        self.store = str(entry["store"]) if isinstance(entry.get("store"), str) else None
        names = entry.get("original_file_names")
        names = names if isinstance(names, dict) else {}
        self.originals = {int(t): str(n) for t, n in names.items() if str(t).isdigit()}


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
        source.note_provenance(doc.get("info"), wanted)
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


def _store(path: Path) -> LabelSource:
    """Another annotation store's labels, objects and classes, the video it is of, and its
    frames' statuses, reasons for review and propagation's clicks (as a store's layer opened
    by the reader carries them to the widget's *Import labels*)."""
    from ..session.imports import FrameStates

    store = AnnotationStore.open(path)  # read-only: no lock, nothing to close
    statuses = store.statuses()
    derived = {t: store.clicks(t) for t, s in statuses.items() if s in UNCHECKED}
    return LabelSource(
        path,
        {t: partial(store.read_labels, t) for t in store.annotated_frames()},
        {o.id: (o.name, o.class_name) for o in store.objects()},
        store.classes(),
        video=asdict(store.video),
        store=str(store.path),
        states=FrameStates(statuses, store.review_reasons(), derived),
    )


def read_labels_source(
    path: str | Path, shape: tuple[int, int], void: int | None = None
) -> LabelSource:
    """Open labels at ``path`` for a video of frame size ``shape`` = (H, W); ``void``: a
    label value read as background (an index image's void, 255 in DAVIS-style masks).

    ``path`` is another annotation store (with what it says of its frames: ``states``), a
    folder of label PNGs (index or palette; frame number from the file name) or of per-object
    masks (``FRAME_objID_NAME.png``), a COCO json (RLE or polygons), a YOLO
    segmentation dataset (folder with ``data.yaml``), a ``.npy`` file or a zarr array of shape
    (T, H, W) (an exported ``labels.npy`` maps its rows to frames with the ``frames.npy``
    beside it).
    """
    path = Path(path)
    if not path.exists():
        raise LabelsImportError(f"{path} does not exist")
    if is_store(path):
        return _store(path)
    if path.suffix == ".json":
        from .label_instances import coco_source

        return coco_source(path, shape)
    if (path / "data.yaml").is_file():
        from .label_instances import yolo_source

        return yolo_source(path, shape)
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
