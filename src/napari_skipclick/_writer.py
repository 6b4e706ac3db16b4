"""napari writer: save a labels layer as a SkipClick annotation store (a ``*.zarr`` directory)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import numpy as np

from ._layer_data import STATUSES, STORE, PaintedLabels, labels_video_info
from .checks import label_values_problem
from .colors import color_for
from .types import DEFAULT_CLASS, FrameStatus, ObjectInfo


def _objects(metadata: dict, existing: list[ObjectInfo], ids: Iterable[int]) -> list[ObjectInfo]:
    """Objects from the layer metadata, else those already stored, plus one per unknown id."""
    given = []
    for o in metadata.get("objects") or []:
        o = asdict(o) if isinstance(o, ObjectInfo) else o
        given.append(
            ObjectInfo(
                int(o["id"]),
                str(o["name"]),
                str(o["class_name"]),
                tuple(int(c) for c in o["color"]),
            )
        )
    objects = {o.id: o for o in (given or existing)}
    for oid in sorted(set(ids) - set(objects)):
        objects[oid] = ObjectInfo(oid, f"object {oid}", DEFAULT_CLASS, color_for(oid))
    return sorted(objects.values(), key=lambda o: o.id)


def _layer_statuses(metadata: dict) -> dict[int, FrameStatus]:
    """Frame statuses a layer's metadata gives (the reader's, from a store); none if unreadable."""
    try:
        return {int(t): FrameStatus(s) for t, s in (metadata.get(STATUSES) or {}).items()}
    except (TypeError, ValueError, AttributeError):
        return {}


def write_labels(path: str, data: Any, meta: dict) -> list[str]:
    """Save labels (H, W) or (T, H, W) into the store at ``path``; return the written path.

    Frames whose labels differ from the store are committed, with the status the layer's
    metadata gives them (a store's layer: the reader's), else the store's, else "clicked";
    frames painted in napari since the store was opened become "clicked", as in a session.
    Clicks are kept only where the labels are unchanged. The store may already exist
    for the same video (it is updated); one for another video is refused. Labels that are no
    object IDs (floats, negative, past 65535) are refused before anything is written; errors
    are ``StoreError``s, which napari shows (a ``ValueError`` would read as "not a writer").
    """
    from .io.export import object_ids_in
    from .io.store import AnnotationStore, StoreError

    if isinstance(data, (list, tuple)):  # multiscale: the full-resolution level
        data = data[0]
    if data.ndim not in (2, 3):  # StoreError: napari would take a ValueError for "not mine"
        raise StoreError(f"a SkipClick store holds (T, H, W) or (H, W) labels, not {data.shape}")
    frames = data[None] if data.ndim == 2 else data
    for t in range(frames.shape[0]):  # checked before the store is made or changed
        problem = label_values_problem(np.asarray(frames[t]))
        if problem is not None:
            raise StoreError(f"cannot save the labels as a SkipClick store: frame {t}: {problem}")
    metadata = dict(meta.get("metadata") or {})
    # a store opened by the reader: the frames napari painted into since (the widget's own
    # layer's frames changed since saved are session edits of any kind, not paint)
    reader_paint = isinstance(data, PaintedLabels) and STORE in metadata
    painted = set(data.volume.dirty_frames()) if reader_paint else set()
    video = labels_video_info(metadata, tuple(int(s) for s in frames.shape))
    with AnnotationStore.open_or_create(path, video) as store:
        ids: set[int] = set()
        annotated = set(store.annotated_frames())
        statuses = {**store.statuses(), **_layer_statuses(metadata)}
        for t in range(video.n_frames):
            labels = np.asarray(frames[t])
            ids.update(object_ids_in(labels))
            if t in annotated and np.array_equal(labels, store.read_labels(t)):
                continue
            if t not in annotated and not labels.any():
                continue
            status = FrameStatus.CLICKED if t in painted else statuses.get(t, FrameStatus.CLICKED)
            store.commit_frame(t, labels, status, {})
        objects = _objects(metadata, store.objects(), ids)
        classes = list(
            dict.fromkeys(
                [*(metadata.get("classes") or store.classes()), *(o.class_name for o in objects)]
            )
        )
        store.write_objects(objects, classes)
        return [str(store.path)]
