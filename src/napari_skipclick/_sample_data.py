"""napari sample data: the DAVIS 2017 giant-slalom ski clip, opened through the lazy reader."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ._reader import LayerData, video_layer_data


def sample_video_path() -> Path:
    """Path of the shipped giant-slalom mp4 (127 frames, 854x480, 24 fps; CC BY-NC 4.0)."""
    return Path(str(files(__package__).joinpath("sample_data", "giant_slalom.mp4")))


def giant_slalom() -> list[LayerData]:
    """The giant-slalom clip as a lazy RGB image layer (see sample_data/ATTRIBUTION.md)."""
    data, kwargs, layer_type = video_layer_data(sample_video_path())
    kwargs["name"] = "giant slalom"
    return [(data, kwargs, layer_type)]
