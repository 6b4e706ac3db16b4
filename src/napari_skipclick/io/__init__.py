"""Reading videos and frame folders lazily, the annotation store, and exports."""

from ._image_sources import photo_rgb, rgb8, upright, wide_range
from .video import VideoArray, VideoError, frame_hash, open_video

__all__ = [
    "VideoArray",
    "VideoError",
    "frame_hash",
    "open_video",
    "photo_rgb",
    "rgb8",
    "upright",
    "wide_range",
]
