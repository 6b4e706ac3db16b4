"""napari writer: save a labels layer as a SkipClick annotation store (a ``*.zarr`` directory)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from ._layer_data import SAVED_IN, STATUSES, STORE, PaintedLabels, labels_video_info
from .checks import label_values_problem
from .colors import color_for
from .frame_lists import frames_named
from .types import DEFAULT_CLASS, FrameRecord, FrameStatus, ObjectInfo


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


def write_labels(
    path: str,
    data: Any,
    meta: dict,
    *,
    only: Collection[int] | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> list[str]:
    """Save labels (H, W) or (T, H, W) into the store at ``path``; return the written path.

    ``only``: the frames to read and write (None: all); a session's frames left out are those
    it never changed. ``on_frame`` is called with each of them as its turn comes (progress).

    A new store gets every labelled frame. A frame whose labels equal those of the store the
    layer was read from (the reader's layer) is copied with all its commit holds (clicks,
    status, engine, propagation's marks and courses); any other frame is committed with the
    status the layer's metadata gives it, else the store's, else "clicked" (frames painted in
    napari: "clicked"), and no clicks. Saved back into the store it was read from, a layer
    writes the frames painted in napari alone (what others saved there since stays). Into
    another existing store of the same video it writes only what looks like an edit of it: a
    store with a frame the layer holds none of the objects of (and its own store never
    annotated), or naming an ID otherwise, is refused (``StoreError``), as is a store of
    another video; a plain layer's store is overwritten, as napari overwrites a file. Labels
    that are no object IDs (floats, negative, past 65535) are refused before anything is
    written; errors are ``StoreError``s, which napari shows (a ``ValueError`` would read as
    "not a writer").
    """
    from .io.export import object_ids_in
    from .io.store import AnnotationStore, StoreError
    from .io.store.frame_copy import copy_frame, same_commit
    from .io.store.frame_files import record_frame_files
    from .io.store.layout import same_place

    if isinstance(data, (list, tuple)):  # multiscale: the full-resolution level
        data = data[0]
    if data.ndim not in (2, 3):  # StoreError: napari would take a ValueError for "not mine"
        raise StoreError(f"a SkipClick store holds (T, H, W) or (H, W) labels, not {data.shape}")
    frames = data[None] if data.ndim == 2 else data
    wanted = range(frames.shape[0]) if only is None else sorted(only)
    for t in wanted:  # checked before the store is made or changed
        problem = label_values_problem(np.asarray(frames[t]))
        if problem is not None:
            raise StoreError(f"cannot save the labels as a SkipClick store: frame {t}: {problem}")
    metadata = dict(meta.get("metadata") or {})
    # a store opened by the reader: the frames napari painted into since (the widget's own
    # layer's frames changed since saved are session edits of any kind, not paint)
    reader_paint = isinstance(data, PaintedLabels) and STORE in metadata
    painted = set(data.volume.dirty_frames()) if reader_paint else set()
    video = labels_video_info(metadata, tuple(int(s) for s in frames.shape))
    with AnnotationStore.open_or_create(path, video) as store, _source(metadata, store) as source:
        names = None if source is None else source.frame_files()  # a frame folder's names
        if names is not None:
            record_frame_files(store.path, replace(store.video, frame_files=names))
        own = reader_paint and same_place(metadata[STORE], store.path)
        layer_objects = _objects(metadata, [], ())
        source_frames = set(source.annotated_frames()) if source is not None else set()
        if not own and not store.video.labels_only:  # a plain layer's store: napari's overwrite
            _check_nothing_lost(store, frames, layer_objects, source_frames)
        ids: set[int] = set()
        annotated = set(store.annotated_frames())
        statuses = {**store.statuses(), **_layer_statuses(metadata)}
        for t in sorted(painted) if own else wanted:
            if on_frame is not None:
                on_frame(t)
            labels = np.asarray(frames[t])
            ids.update(object_ids_in(labels))
            if t in annotated and np.array_equal(labels, store.read_labels(t)):
                continue
            if t not in painted and t in source_frames and same_commit(source, t, labels):
                copy_frame(source, store, t, labels)  # a frame of absent marks alone too
                continue
            if t not in annotated and not labels.any():
                continue
            status = FrameStatus.CLICKED if t in painted else statuses.get(t, FrameStatus.CLICKED)
            absent = _absent_kept(store if own else source, t, labels)
            store.commit_frame(t, labels, FrameRecord(status, absent=absent))
        if own:  # the store's objects as they are now, with any the paint added
            known = store.objects()
            added = [o for o in layer_objects if o.id in ids - {k.id for k in known}]
            objects = _objects({}, [*known, *added], ids)
        else:
            objects = _objects(metadata, store.objects(), ids)
        classes = list(
            dict.fromkeys(
                [*(metadata.get("classes") or store.classes()), *(o.class_name for o in objects)]
            )
        )
        store.write_objects(objects, classes)
        return [str(store.path)]


def _absent_kept(source: Any, t: int, labels: np.ndarray) -> list[int]:
    """The objects the frame's record in ``source`` (None: none) marks not on frame ``t`` that
    ``labels`` still holds no pixel of: painting another object there keeps those marks."""
    from .io.export import object_ids_in
    from .io.store import StoreError

    try:
        record = None if source is None else source.frame_record(t)
    except StoreError:
        return []
    held = set(object_ids_in(labels))
    return [obj for obj in (record or {}).get("absent", ()) if obj not in held]


@contextmanager
def _source(metadata: dict, target: Any) -> Iterator[Any]:
    """The store the layer was read from or its session saves into, opened read-only (None:
    none, it is gone, it is ``target``, or it is another video's)."""
    from .io.fingerprints import same_video
    from .io.store import AnnotationStore, StoreError, is_store
    from .io.store.layout import same_place

    where = metadata.get(STORE) or metadata.get(SAVED_IN)
    if not where or same_place(where, target.path) or not is_store(Path(where)):
        yield None
        return
    try:
        source = AnnotationStore.open(where)
    except StoreError:
        yield None
        return
    with source:
        yield source if same_video(source.video, target.video) else None


def _check_nothing_lost(
    store: Any, frames: Any, objects: list[ObjectInfo], cleared: set[int]
) -> None:
    """``StoreError`` if saving ``frames`` into ``store`` (a video's, not the layer's own)
    would leave a frame it annotates with none of its objects, or give an ID another name: a
    layer of other annotations. An edit is no loss: an object erased from a frame that holds
    others, or a frame the layer's own store annotated (``cleared``: it was cleared since)."""
    from .io.export import object_ids_in
    from .io.store import StoreError

    known = {o.id: o for o in store.objects()}
    renamed = [
        f"object {o.id} is {known[o.id].name!r} there, {o.name!r} in the layer"
        for o in objects
        if o.id in known and (o.name, o.class_name) != (known[o.id].name, known[o.id].class_name)
    ]
    lost = []
    for t in store.annotated_frames():
        held = store.frame_ids(t)
        held = held if held is not None else frozenset(object_ids_in(store.read_labels(t)))
        if t not in cleared and held and not held & set(object_ids_in(np.asarray(frames[t]))):
            lost.append(t)  # none of its objects left: another annotation, not an erased one
    if renamed or lost:
        verb = "holds" if len(lost) == 1 else "hold"
        held = [f"{frames_named(lost)} {verb} objects the layer has none of"] * bool(lost)
        raise StoreError(
            f"{store.path} already holds other annotations ({'; '.join(held + renamed[:3])}): "
            "saving this layer into it would erase or rename them; save it as a new store"
        )
