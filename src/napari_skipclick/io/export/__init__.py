"""Exports of annotation stores for training tools: COCO, YOLO segmentation, DAVIS, PNG, numpy.

``export_store(stores, fmt, out, ...)`` is the entry point; ``plan_export`` chooses, names and
splits the frames; one module per format writes them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ...types import FrameStatus
from ..store import AnnotationStore
from .arrays import write_numpy
from .coco import write_coco
from .common import (
    SPLIT_BY,
    Cancel,
    ExportCancelled,
    ExportError,
    ExportExists,
    Progress,
    check_video_keys,
    object_ids_in,
    plan_export,
    select_frames,
)
from .images import IMAGE_FORMATS, FrameImages
from .png import write_davis, write_png
from .split import parse_split
from .taken import UNLABELLED, TakenObjects, problem_warnings, read_taken, take_objects
from .yolo import write_yolo

Writer = Callable[..., list[Path]]
#: format -> (writer, whether frames are written as images unless asked not to)
EXPORTERS: dict[str, tuple[Writer, bool]] = {
    "coco": (write_coco, True),
    "yolo-seg": (write_yolo, True),
    "davis": (write_davis, True),
    "png": (write_png, False),
    "numpy": (write_numpy, False),
}
FORMATS = tuple(EXPORTERS)


def export_store(
    stores: AnnotationStore | str | Path | Sequence[AnnotationStore | str | Path],
    fmt: str,
    out: str | Path,
    *,
    frames: str | int | Iterable[int] | None = None,
    statuses: str | Iterable[FrameStatus | str] | None = None,
    split: dict[str, float] | str | None = None,
    split_by: str = "frames",
    seed: int = 0,
    with_images: bool | None = None,
    image_format: str = "jpg",
    quality: int = 95,
    videos: dict[str | Path, Any] | None = None,
    warn: Callable[[str], None] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    counted: Callable[[dict[str, int]], None] | None = None,
) -> list[Path]:
    """Export one or several stores (open, or paths) in format ``fmt`` to the folder ``out``.

    Args:
        stores: a store or several (one video each); paths are opened read-only.
        fmt: one of :data:`FORMATS`.
        out: output folder (created; existing outputs are refused unless ``overwrite``).
        frames: only these frame indices, or the command line's text (``"0-10,15"``,
            ``"100-"``; default: every annotated frame).
        statuses: only frames with these statuses (one, or a list).
        split: e.g. ``{"train": 0.8, "val": 0.2}`` or ``"train=0.8,val=0.2"``.
        split_by: ``"frames"`` (contiguous blocks of frames) or ``"video"`` (whole videos).
        seed: seed of the split's random draw.
        with_images: write the frames as image files (default: on for coco, yolo-seg and
            davis, off for png and numpy).
        image_format: ``"jpg"`` or ``"png"``.
        quality: JPEG quality.
        videos: store path (relative or absolute, str or Path; one of ``stores``) -> where
            to read its frames: a video file or frame folder (a video that has moved), or the
            frames themselves (a `(T, H, W, 3)` uint8 array-like). Read only when images are
            written: labels alone come from the store.
        warn: called with what the user should check: each store's problems (what is
            damaged, unfinished or was repaired, ``AnnotationStore.problems``), frames read (the
            store's video or one of ``videos``) that are not the file or folder annotated
            (another fingerprint: a folder's photo renamed or replaced; the same frames encoded
            again are fine), the hidden folders of exports killed outright that were
            removed from ``out`` or left there (``run.clear_dead_stages``); default: a
            Python warning.
        overwrite: replace an earlier export.
        progress: called as ``progress(done, total)`` after each frame.
        cancel: polled after each frame; true stops and removes what was written.
        counted: called once the export is written with how many frames of each status it
            holds (as read: ``{"clicked": 20, "needs review": 36}``).

    Returns the written files. Raises :class:`ExportError` (with the reason) and writes
    nothing when the export cannot be done.
    """
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    writer, images_by_default = EXPORTERS[fmt]
    many = [stores] if isinstance(stores, (AnnotationStore, str, Path)) else list(stores)
    opened = [
        s if isinstance(s, AnnotationStore) else AnnotationStore.open(s, readonly=True)
        for s in many
    ]
    say = warn or _python_warning
    for text in (text for store in opened for text in problem_warnings(store)):
        say(text)
    if isinstance(split, str):
        split = parse_split(split)
    check_video_keys(opened, videos)
    plan = plan_export(opened, frames, statuses, split, split_by, seed)
    use_images = images_by_default if with_images is None else with_images
    images = FrameImages(image_format, quality, videos, warn=say) if use_images else None
    run_args = {"overwrite": overwrite, "progress": progress, "cancel": cancel, "warn": say}
    try:
        written = writer(plan, Path(out), run_args, images)
    finally:
        if images is not None:
            images.close()
    if counted is not None:
        counted(plan.frame_statuses())
    return written


def _python_warning(text: str) -> None:
    warnings.warn(text, UserWarning, stacklevel=3)


__all__ = [
    "EXPORTERS",
    "FORMATS",
    "IMAGE_FORMATS",
    "SPLIT_BY",
    "UNLABELLED",
    "ExportCancelled",
    "ExportError",
    "ExportExists",
    "TakenObjects",
    "export_store",
    "object_ids_in",
    "parse_split",
    "plan_export",
    "problem_warnings",
    "read_taken",
    "select_frames",
    "take_objects",
]
