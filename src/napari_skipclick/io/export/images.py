"""Exported frames as image files, read lazily from each store's video, and the check that the
frames read are the ones annotated."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...frame_lists import counted
from ..fingerprints import takes
from ..store import AnnotationStore
from ..store.folder_growth import added_photos, named, photos
from ..store.frame_files import renamed_text
from .common import ExportError

IMAGE_FORMATS = ("jpg", "png")


def check_video(
    store: AnnotationStore, source: Any, video: Any, warn: Callable[[str], None] | None
) -> None:
    """Refuse (``ExportError``) frames ``video`` of ``source`` whose size is not the store's;
    with ``warn``, warn when they are not the file or folder annotated (another fingerprint:
    another clip of the same size, the same frames encoded again, a folder's photo renamed
    or replaced; a store saved from a labels layer knows none to compare with, frames given
    as an array carry none). The one rule for a video given and for the store's own."""
    v = store.video
    shape = tuple(video.shape)
    if shape != (v.n_frames, v.height, v.width, 3):
        rgb = len(shape) == 4 and shape[3] == 3
        given = frames_text(*shape[:3]) if rgb else f"an array of shape {shape}, not RGB frames"
        turned = rgb and shape[1:3] == (v.width, v.height)
        raise ExportError(
            f"{source} holds {given}, but {store.path.name} was annotated on "
            f"{frames_text(v.n_frames, v.height, v.width)}"
            + (" (the same size turned a quarter: a photo's EXIF orientation?)" if turned else "")
            + _grown_text(store, getattr(video, "info", None))
        )
    info = getattr(video, "info", None)  # a VideoArray knows its content's fingerprint
    if warn is None or info is None or v.labels_only or takes(v, info):
        return
    fingerprints = f"fingerprint {info.fingerprint[:16]}, the store's {v.fingerprint[:16]}"
    if Path(info.path).is_dir():
        recorded = store.frame_files()  # which frames' names changed, when the store knows
        renamed = f". {renamed_text(recorded, info.frame_files)}" if recorded else ""
        warn(
            f"{source} is not the folder of photos {store.path.name} was annotated on "
            f"({fingerprints}): its photos were renamed, replaced, added to or edited since (or "
            "it is another folder), so a frame may now be another photo than the one "
            "annotated, exported with that one's masks: check the images against the masks "
            f"(the same frames saved again are fine), or put the photos back as they were{renamed}"
        )
        return
    warn(
        f"{source} is not the file {store.path.name} was annotated on ({fingerprints}): "
        "check that its frames are the annotated ones (the same video encoded again is fine)"
    )


def _grown_text(store: AnnotationStore, info: Any) -> str:
    """For frames ``info`` of the store's folder with photos added since: which, and that
    opening the store for annotation takes them in (empty otherwise)."""
    added = added_photos(store.path, store.video, info) if info is not None else ()
    if not added:
        return ""
    return (
        f". {photos(len(added))} new in the folder since ({named(added)}): opening the store "
        f"for annotation takes them in (skipclick annotate {info.path} --store {store.path})"
    )


def frames_text(n_frames: int, height: int, width: int) -> str:
    """``n_frames`` frames of ``height`` x ``width`` in words, width first as sizes are said."""
    return f"{counted(n_frames, 'frame')} of {width}x{height} (width x height)"


def no_video_text(name: str, source: Any, error: object, give: str) -> str:
    """Why the frames of store ``name`` cannot be read from its video ``source`` (``error``),
    and how to give the video instead (``give``: ``--video``, ``video=PATH``): the one text
    of exports and the training ``Dataset``."""
    if not source:
        return (
            f"{name} records no video file (it was made from a napari layer that had none): "
            f"give the video ({give})"
        )
    return (
        f"cannot read the frames of {name} from {source}: {error}; if it moved, give its new "
        f"place ({give})"
    )


class FrameImages:
    """Writes exported frames as image files, read lazily from each store's video.

    Args:
        image_format: ``"jpg"`` (quality ``quality``) or ``"png"`` (lossless).
        quality: JPEG quality, 1..100.
        videos: per store path (as given or absolute: ``video_sources``), a video file or
            frame folder to read instead of the recorded one (for a video that has moved), or
            the frames themselves, a ``(T, H, W, 3)`` uint8 array-like (the widget's session:
            what the annotator saw).
        warn: called when the frames read are not the file or folder the store was annotated
            on (``check_video``), the store's own or one of ``videos``.
    """

    def __init__(
        self,
        image_format: str = "jpg",
        quality: int = 95,
        videos: dict[str | Path, Any] | None = None,
        *,
        warn: Callable[[str], None],
    ) -> None:
        if image_format not in IMAGE_FORMATS:
            raise ValueError(f"image format must be one of {IMAGE_FORMATS}, not {image_format!r}")
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality must be in 1..100, not {quality}")
        self.suffix, self.quality = f".{image_format}", quality
        self._sources = {Path(key).resolve(): source for key, source in (videos or {}).items()}
        self._open: dict[Path, Any] = {}
        self._opened: list[Any] = []  # the videos this object opened, to close
        self._warn = warn

    def frame(self, store: AnnotationStore, t: int) -> np.ndarray:
        """Frame ``t`` of ``store``'s video as ``(H, W, 3) uint8``."""
        key = store.path.resolve()
        if key not in self._open:
            from ..video import VideoError, open_video

            source = self._sources.get(key, store.video.path)
            if hasattr(source, "shape"):  # the frames themselves
                video, source = source, "the frames given"
            else:
                error: Exception | None = None
                try:
                    video = open_video(source) if source else None
                except (VideoError, OSError) as e:
                    video, error = None, e
                if video is None:
                    text = no_video_text(store.path.name, source, error, "--video")
                    raise ExportError(f"{text}, or export without images (--no-images)") from error
                self._opened.append(video)
            try:
                check_video(store, source, video, self._warn)
            except ExportError as exc:
                raise ExportError(
                    f"{exc}: give the video it was annotated on, or export without images "
                    "(--no-images) to write the labels alone"
                ) from exc
            self._open[key] = video
        return np.asarray(self._open[key][t])

    def encode(self, store: AnnotationStore, t: int) -> bytes:
        """The image file's bytes for frame ``t``."""
        from PIL import Image

        buffer = io.BytesIO()
        image = Image.fromarray(self.frame(store, t))
        if self.suffix == ".jpg":
            image.save(buffer, format="JPEG", quality=self.quality)
        else:
            image.save(buffer, format="PNG")
        return buffer.getvalue()

    def close(self) -> None:
        """Release the videos it opened."""
        for video in self._opened:
            close = getattr(video, "close", None)
            if close is not None:
                close()
        self._open.clear()
