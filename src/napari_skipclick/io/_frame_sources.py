"""What ``VideoArray`` needs from a frame source, and the error every source raises.

Sources (``_video_file``: a PyAV video file; ``_image_sources``: image files) are not
thread-safe; ``VideoArray`` serialises calls to ``read``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VideoError(ValueError):
    """A video or frame folder that cannot be read, with the reason in the message."""


class FrameSource(Protocol):
    """What ``VideoArray`` needs from a backend."""

    path: Path
    n_frames: int
    height: int
    width: int
    fps: float
    n_decoded: int
    n_seeks: int
    notes: list[str]  # what a user should know of the file (frames that cannot be read)

    def read(self, index: int) -> np.ndarray: ...

    def keyframe_before(self, index: int) -> int: ...

    def fingerprint(self) -> str: ...

    def former_fingerprints(self) -> tuple[str, ...]: ...

    def frame_files(self) -> tuple[str, ...]: ...

    def close(self) -> None: ...


def reason(exc: BaseException) -> str:
    """The short reason in an FFmpeg or OS error's message, without the path."""
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(": '")[0].strip() or type(exc).__name__
