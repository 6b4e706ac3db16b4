"""What a store holds, in one document: its video, objects, frame statuses and the frames that
need review and why (``skipclick info``)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..checks import made_by_user
from ..types import FrameStatus, VideoInfo
from ._folders import FRAME_FOLDER_SUFFIXES, TIFF_SUFFIXES
from .store import AnnotationStore, StoreError


def summarise(store: AnnotationStore, progress: Callable[[int, int], None] | None = None) -> dict:
    """A JSON-ready summary of ``store``.

    Args:
        store: an open store (read-only is enough).
        progress: called with (frames read, frames to read) while the annotated frames' labels
            are read to count each object's frames and pixels.

    Returns:
        ``store`` (path), ``video`` (path, whether it is ``missing`` from there, frames,
        height, width, fps: None for images, which carry none; a frame folder's
        first and last file names when the store records them), ``objects`` (id, name,
        class, frames with pixels, pixels, the clicks the user made, not those
        propagation derived, and the frames where the user marked it not on the frame),
        ``classes``, ``statuses`` (status ->
        number of frames), ``annotated`` (frames with labels), ``needs_review`` (frame ->
        object id -> reason; empty for a frame whose reasons the store does not hold),
        ``labels_without_object`` (label values on frames that no object owns) and
        ``problems`` (what is damaged or unfinished, and the frames whose labels could not be
        read). A damaged part is left out and named in ``problems``; the rest is summarised.
    """
    problems = list(store.problems)
    try:
        objects, classes = store.objects(), store.classes()
    except StoreError:  # the object list is damaged: named in ``problems`` already
        objects, classes = [], []
    frames = store.annotated_frames()
    area: Counter[int] = Counter()
    seen: Counter[int] = Counter()
    for done, t in enumerate(frames, start=1):
        try:
            values, counts = np.unique(store.read_labels(t), return_counts=True)
        except StoreError as e:
            if str(e) not in problems:  # a frame the store found damaged on opening: once
                problems.append(str(e))
            continue
        finally:
            if progress is not None:
                progress(done, len(frames))
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            if value:
                area[value] += count
                seen[value] += 1
    statuses = store.statuses()
    derived = store.carried_masks() | store.derived_marks()  # ``Marks.clicks_derived``
    clicks: Counter[int] = Counter()
    for t in statuses:
        for obj, made in store.clicks(t).items():
            clicks[obj] += sum(made_by_user([c[3] for c in made], (t, obj) in derived))
    absent: dict[int, list[int]] = {}
    for t, obj in sorted(store.absent_marks()):
        absent.setdefault(obj, []).append(t)
    reasons = store.review_reasons()
    needs_review = {
        t: reasons.get(t) or {} for t, s in statuses.items() if s == FrameStatus.NEEDS_REVIEW
    }
    video = store.video
    files = store.frame_files()
    known = {o.id for o in objects}
    return {
        "store": str(store.path),
        "video": {
            "path": video.path,
            "missing": bool(video.path) and not os.path.exists(video.path),
            "frames": video.n_frames,
            "height": video.height,
            "width": video.width,
            "fps": video.fps if has_frame_rate(video, files) else None,
            **({"first_file": files[0], "last_file": files[-1]} if files else {}),
        },
        "classes": classes,
        "objects": [
            {
                "id": o.id,
                "name": o.name,
                "class": o.class_name,
                "frames": seen[o.id],
                "pixels": area[o.id],
                "clicks": clicks[o.id],
                "absent": absent.get(o.id, []),
            }
            for o in objects
        ],
        "annotated": len(frames),
        "statuses": dict(Counter(s.value for s in statuses.values())),
        "needs_review": needs_review,
        "labels_without_object": sorted(set(seen) - known),
        "problems": problems,
    }


def has_frame_rate(video: VideoInfo, files: tuple[str, ...] | None) -> bool:
    """Whether ``video`` (with its recorded frame ``files``) is a video file, which has a frame
    rate: a frame folder, a photo or a TIFF has none (``open_video`` takes a stand-in), nor has
    a napari Labels layer saved as a store."""
    path = Path(video.path)
    images = bool(files) or path.suffix.lower() in FRAME_FOLDER_SUFFIXES + TIFF_SUFFIXES
    return video.fps > 0 and not video.labels_only and not images and not path.is_dir()
