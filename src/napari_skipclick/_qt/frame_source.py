"""What the widget annotates: a video's frames, or a folder of separate photos (``skipclick
annotate FOLDER --photos``, the Session panel's box, or a store that records it), whose photos
share nothing (no propagation, fill or review); and how it names them: a photo folder says
photo and its file, a video says frame."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .._layer_data import PHOTOS, VIDEO_INFO
from ..types import VideoInfo


@dataclass(frozen=True)
class FrameSource:
    """The kind of frames of the session's image layer, and their file names."""

    #: a folder of separate photos: nothing is carried from one to another
    photos: bool = False
    #: a folder's file names in frame order (``VideoInfo.frame_files``; none for a video file)
    files: tuple[str, ...] = ()

    @classmethod
    def of_layer(cls, layer: Any, photos: bool | None = None) -> FrameSource:
        """The source of an image layer: the reader's ``VideoInfo``, and separate photos when
        ``photos`` says so (None: as its ``metadata["photos"]`` says). Only a folder's
        images can be separate photos."""
        info = layer.metadata.get(VIDEO_INFO)
        files = info.frame_files if isinstance(info, VideoInfo) else ()
        photos = bool(layer.metadata.get(PHOTOS)) if photos is None else photos
        return cls(photos=photos and bool(files), files=files)

    def kept_by(self, store: Any) -> FrameSource:
        """The source of a session saving into ``store`` (or None): a folder's store records
        that its images are separate photos, and a store that records it opens so."""
        if store is None or not self.folder:
            return self
        if self.photos:
            store.note_photos(True)
            return self
        return replace(self, photos=store.photos)

    @property
    def folder(self) -> bool:
        """Whether the frames are a folder's images (which may be separate photos)."""
        return bool(self.files)

    def nothing_across(self, what: str) -> str:
        """Why there is nothing to ``what`` (propagate, fill, review, mark absent) on separate
        photos, however they were chosen (``--photos``, the Session panel's box, the store)."""
        return (
            f"Nothing to {what}: these are separate photos, not a video's frames: click each "
            "photo's objects (untick Separate photos in the Session panel and Apply to "
            "annotate them as a video)"
        )

    @property
    def word(self) -> str:
        """What one frame is called: *photo* or *frame*."""
        return "photo" if self.photos else "frame"

    def file(self, t: int) -> str | None:
        """The file name of frame ``t``, when known."""
        return self.files[t] if 0 <= t < len(self.files) else None

    def named(self, t: int) -> str:
        """Frame ``t`` in a message: *Photo 2 · IMG_3.jpg*, or *Frame 2*."""
        file = self.file(t) if self.photos else None
        return f"{self.word.capitalize()} {t}" + (f" · {file}" if file else "")

    def where(self, t: int, n_frames: int) -> str:
        """Frame ``t`` of ``n_frames`` in the Frame panel: *Photo 2 / 3 · IMG_3.jpg*, *Frame 2
        / 126* (and its file, in a folder), *Image* for one."""
        if n_frames == 1:
            return "Image"
        file = self.file(t)
        return f"{self.word.capitalize()} {t} / {n_frames - 1}" + (f" · {file}" if file else "")
