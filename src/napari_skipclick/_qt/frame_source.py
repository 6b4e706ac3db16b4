"""What the widget annotates: a video's frames, or a folder of separate photos (``skipclick
annotate FOLDER --photos``), whose photos share nothing (no propagation, fill or review)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._layer_data import PHOTOS


@dataclass(frozen=True)
class FrameSource:
    """The kind of frames of the session's image layer."""

    #: a folder of separate photos: nothing is carried from one to another
    photos: bool = False

    @classmethod
    def of_layer(cls, layer: Any) -> FrameSource:
        """The source of an image layer (its ``metadata["photos"]``, set by the reader)."""
        return cls(photos=bool(layer.metadata.get(PHOTOS)))
