"""napari reader: video files and frame folders as lazy RGB image layers, and SkipClick stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._layer_data import PHOTOS, store_layer_data, video_metadata
from .io.video import VIDEO_SUFFIXES, is_frame_folder, open_video

LayerData = tuple[Any, dict[str, Any], str]
ReaderFunction = Callable[[str | Sequence[str]], list[LayerData]]


def napari_get_reader(path: str | Sequence[str]) -> ReaderFunction | None:
    """Return a reader for one video file, frame folder or SkipClick store; None otherwise."""
    if not isinstance(path, (str, Path)):
        if len(path) != 1:
            return None
        path = path[0]
    path = Path(path)
    if path.is_dir():
        if _is_store(path):
            return read_store
        return read_video if is_frame_folder(path) else None
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return read_video
    return None


def read_video(path: str | Sequence[str]) -> list[LayerData]:
    """Open a video file or frame folder lazily as an RGB image layer named after it."""
    path = Path(path if isinstance(path, (str, Path)) else path[0])
    return [video_layer_data(path)]


def video_layer_data(path: str | Path, photos: bool = False) -> LayerData:
    """napari LayerData for a video: the lazy ``VideoArray`` as an RGB image layer.

    ``metadata["video_info"]`` holds the ``VideoInfo`` and ``metadata["path"]`` the path;
    ``photos`` marks a folder's images as separate photos (``metadata["photos"]``), not a
    video's frames. What the user should know of the file (``VideoArray.notes``) is shown as a
    warning. Raises ``VideoError`` with the reason if the video cannot be read, ``ValueError``
    for ``photos`` on anything but a folder.
    """
    video = open_video(path)  # a path that is not there: said first
    if photos and not video.path.is_dir():
        video.close()
        raise ValueError(f"--photos takes a folder of photos, not {path}")
    if video.notes:
        from napari.utils.notifications import show_warning

        for note in video.notes:  # a truncated file: fewer frames than its header says
            show_warning(note)
    name = video.path.stem if video.path.is_file() else video.path.name
    kwargs = {
        "name": name,
        "rgb": True,
        "contrast_limits": (0, 255),
        "metadata": video_metadata(video.info, video.path) | ({PHOTOS: True} if photos else {}),
    }
    return (video, kwargs, "image")


def read_store(path: str | Sequence[str]) -> list[LayerData]:
    """Open a SkipClick annotation store as a labels layer (lazy)."""
    from .io.recovered import mark_open
    from .io.store import AnnotationStore

    path = Path(path if isinstance(path, (str, Path)) else path[0])
    store = AnnotationStore.open(path, readonly=True)
    mark_open(store)  # a recovery store: kept by ``skipclick recovered --remove`` meanwhile
    return [store_layer_data(store)]


def _is_store(path: Path) -> bool:
    """True if ``path`` is a SkipClick store (False if this install has no store support)."""
    try:
        from .io.store import is_store
    except ModuleNotFoundError as exc:
        if exc.name == f"{__package__}.io.store":
            return False
        raise
    return bool(is_store(path))
