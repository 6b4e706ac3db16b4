"""The napari boundary: what our layers carry in ``metadata``, and how a layer's video is known.

The reader, the writer and the widget's frame adapter all go through this module, so the
metadata keys, the ``VideoInfo`` of a layer and its fingerprint are defined once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .checks import MAX_OBJECT_ID
from .colors import color_for
from .types import UNCHECKED, VideoInfo

if TYPE_CHECKING:
    from .io.store import AnnotationStore
    from .session.labels import LabelVolume

#: metadata key: the :class:`VideoInfo` of an image layer opened by our reader
VIDEO_INFO = "video_info"
#: metadata key: the path of the video or frame folder
PATH = "path"
#: metadata key: the JSON form of the video (labels layers made from a store)
VIDEO = "video"
#: metadata key: the store a labels layer was read from
STORE = "skipclick_store"
#: metadata key: the store the session of the widget's labels layer saves into
SAVED_IN = "skipclick_saved_in"
#: metadata keys: objects (dicts), classes, frame statuses and problems of a store's layer
OBJECTS, CLASSES, STATUSES, PROBLEMS = "objects", "classes", "statuses", "problems"
#: metadata keys: why a store's frames need review (frame -> object ID -> reason), and the
#: clicks propagation derived on the frames it made (frame -> object ID -> click records)
REVIEW, DERIVED = "review_reasons", "derived_clicks"
#: metadata key: frames per second, when a layer brings its own
FPS = "fps"
#: metadata key: True on the image layer of a folder of separate photos (``skipclick annotate
#: FOLDER --photos``), not of a video's frames: nothing is carried from one photo to another
PHOTOS = "photos"


def store_layer_name(path: str | Path) -> str:
    """The name of the labels layer made from the store at ``path``: after its folder, so that
    stores opened together, and the session's own "SkipClick labels", are told apart."""
    return f"SkipClick labels ({Path(path).name})"


def video_metadata(info: VideoInfo, path: str | Path) -> dict[str, Any]:
    """The ``metadata`` of an image layer that shows the video ``info`` read from ``path``."""
    return {VIDEO_INFO: info, PATH: str(path)}


def video_info_from_metadata(
    metadata: dict[str, Any], shape: tuple[int, int, int]
) -> VideoInfo | None:
    """The layer's ``VideoInfo`` (object or JSON form) if it matches ``(T, H, W)``, else None."""
    for key in (VIDEO_INFO, VIDEO):
        info = metadata.get(key)
        if isinstance(info, dict):
            try:
                info = VideoInfo(**info)
            except TypeError:
                info = None
        if isinstance(info, VideoInfo) and (info.n_frames, info.height, info.width) == shape:
            return info
    return None


def layer_video_info(layer: Any, frames: Any) -> VideoInfo:
    """The reader's ``VideoInfo`` of an image layer, or one made from its (T, H, W, 3) frames."""
    shape = tuple(int(s) for s in frames.shape[:3])
    info = video_info_from_metadata(layer.metadata, shape)
    if info is not None:
        return info
    # no file for a layer made from an array: a store records none rather than the layer's name
    path = getattr(layer.source, "path", None) or layer.metadata.get(PATH) or ""
    if turned_photo(path):  # napari's reader showed it as stored: the file's frames differ
        path = ""
    fps = float(layer.metadata.get(FPS, 25.0))
    return VideoInfo(str(path), *shape, fps, content_fingerprint(frames))


def turned_photo(path: str | Path) -> bool:
    """Whether ``path`` is a photo that its EXIF orientation turns or mirrors: napari's own
    reader shows it as stored, where ``open_video`` (and an export reading it) turns it
    upright, as its camera meant it."""
    if Path(path).suffix.lower() not in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"):
        return False
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.getexif().get(0x0112, 1) not in (0, 1)  # 0x0112: Orientation
    except (OSError, ValueError):
        return False


def labels_video_info(metadata: dict[str, Any], shape: tuple[int, int, int]) -> VideoInfo:
    """The video of a ``(T, H, W)`` labels layer: from its metadata, else one named by its size."""
    info = video_info_from_metadata(metadata, shape)
    if info is not None:
        return info
    return VideoInfo.of_labels(*shape)


def content_fingerprint(frames: Any) -> str:
    """32 hex digits of sha256 over the shape and the first, middle and last frames' pixels."""
    n_frames = frames.shape[0]
    digest = hashlib.sha256(repr(tuple(frames.shape)).encode())
    for t in sorted({0, n_frames // 2, n_frames - 1}):
        digest.update(np.ascontiguousarray(frames[t]).tobytes())
    return digest.hexdigest()[:32]


def unwrapped(obj: Any) -> Any:
    """The object behind napari's plugin proxy (or ``obj`` itself).

    napari hands a plugin's widget a proxy of the viewer, and every napari object reached
    through it (layers, and our own objects too: the proxy wraps anything from a module named
    ``napari*``) is a proxy as well. Compare layers and their data by what they wrap.
    """
    return getattr(obj, "__wrapped__", obj)


def release_layer_data(removed: Any, remaining: Any) -> bool:
    """Close the lazy video of a layer removed from the viewer, unless another layer shows it.

    Returns whether a video was closed. Data without ``close`` (numpy, zarr) is left alone.
    """
    data = unwrapped(removed.data)
    close = getattr(data, "close", None)
    if close is None or any(unwrapped(layer.data) is data for layer in remaining):
        return False
    close()
    return True


def labels_colormap(ids: Iterable[int]) -> dict[int | None, tuple[float, float, float, float]]:
    """A labels layer's ``colormap`` dict: object ID ``i`` in ``color_for(i)``, 0 transparent,
    IDs without an object (not in ``ids``) grey, as are labels past ``MAX_OBJECT_ID`` (another
    tool's store): napari cannot draw a table that holds them."""
    colors: dict[int | None, tuple[float, float, float, float]] = {
        None: (0.5, 0.5, 0.5, 1.0),
        0: (0.0, 0.0, 0.0, 0.0),
    }
    for obj_id in ids:
        if obj_id > MAX_OBJECT_ID:
            continue
        red, green, blue = color_for(obj_id)
        colors[int(obj_id)] = (red / 255, green / 255, blue / 255, 1.0)
    return colors


class PaintedLabels:
    """A labels layer's data: a ``LabelVolume`` to read, and every write napari makes (a
    brush's dab, an eraser's, a fill, a polygon) handed to ``on_write(key, value)``.

    The session's widget makes each write a session edit; a store opened by the reader writes
    into its ``LabelVolume``, which keeps painted frames in memory until the layer is saved.

    Args:
        volume: the labels napari shows.
        on_write: called with napari's ``data[key] = value`` instead of writing.
        shown_as: the dtype napari reads (the volume's when None): ``checks.LAYER_DTYPE``
            where every label is an object ID (the widget's session).
    """

    def __init__(
        self,
        volume: LabelVolume,
        on_write: Callable[[Any, Any], None],
        shown_as: np.dtype | None = None,
    ) -> None:
        self.volume = volume
        self.on_write = on_write
        self.shape = volume.shape
        self.dtype = volume.dtype if shown_as is None else np.dtype(shown_as)
        self.ndim = volume.ndim

    def __len__(self) -> int:
        return len(self.volume)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.volume.__array__(self.dtype if dtype is None else dtype, copy)

    def __getitem__(self, key: Any) -> np.ndarray:
        out = self.volume[key]
        # napari draws a stroke into the slice it holds: its own copy, never the volume's frame
        if out.dtype != self.dtype:
            return out.astype(self.dtype)  # a new array: the copy
        return out if out.flags.writeable else out.copy()

    def __setitem__(self, key: Any, value: Any) -> None:
        self.on_write(key, value)

    def __deepcopy__(self, memo: dict) -> np.ndarray:
        """A copy is the labels as they are now, in memory (napari's *Duplicate Layer*): a
        layer of its own that paints nowhere else."""
        return np.array(self.volume)

    def astype(self, dtype: Any) -> np.ndarray:
        """The labels in memory as ``dtype`` (napari's *Convert datatype*)."""
        return np.asarray(self.volume).astype(dtype)


def store_layer_data(store: AnnotationStore) -> tuple[Any, dict[str, Any], str]:
    """napari LayerData of an open store: its labels as a labels layer with its objects.

    The labels are read lazily (a ``LabelVolume`` over the store); frames painted in napari
    are held in memory until the layer is saved with the napari writer.
    """
    from .io.store import StoreCorruptError
    from .session.labels import LabelVolume  # here: the reader stays light to import

    try:
        objects, classes = store.objects(), store.classes()
    except StoreCorruptError:
        objects, classes = [], []
    # napari paints into the layer's data, the store is read-only: painted frames are copies
    video, statuses = store.video, store.statuses()
    if video.n_frames > 1:
        volume = LabelVolume((video.n_frames, video.height, video.width), store=store)
        data: Any = PaintedLabels(volume, volume.__setitem__)
    else:
        data = store.read_labels(0)
    meta: dict[str, Any] = {
        "name": store_layer_name(store.path),
        "metadata": {
            STORE: str(store.path),
            VIDEO: asdict(store.video),
            OBJECTS: [asdict(o) for o in objects],
            CLASSES: classes,
            STATUSES: {t: s.value for t, s in statuses.items()},
            REVIEW: store.review_reasons(),
            DERIVED: {t: store.clicks(t) for t, s in statuses.items() if s in UNCHECKED},
            PROBLEMS: list(store.problems),
        }
        | ({PHOTOS: True} if store.photos else {}),
    }
    if objects:
        meta["colormap"] = labels_colormap(o.id for o in objects)
    return (data, meta, "labels")
