"""An Image layer as what a session annotates: its frames as uint8 RGB ``(T, H, W, 3)``, whatever
the layer holds, and the session on them with its store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._layer_data import VIDEO_INFO, layer_video_info, turned_photo, unwrapped
from ..engines.base import Engine
from ..engines.cache import FeatureCache
from ..session import AnnotationSession
from .display import shown_data


class LayerFrames:
    """Read-only ``(T, H, W, 3) uint8`` view of an Image layer's data, converted frame by frame.

    A 2D image counts as a one-frame video; grayscale is repeated into three channels; other
    dtypes are scaled to 0..255 with the layer's contrast limits (what the user sees).
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, data: Any, *, rgb: bool, contrast_limits: tuple[float, float]) -> None:
        spatial = data.ndim - (1 if rgb else 0)
        if spatial not in (2, 3):
            raise ValueError(
                f"the image layer must be a 2D image or a (T, H, W) video, got shape {data.shape}"
            )
        if rgb and data.shape[-1] not in (3, 4):
            raise ValueError(f"an RGB layer needs 3 or 4 channels, got shape {data.shape}")
        self._data = data
        self._rgb = rgb
        self._single = spatial == 2
        self._limits = (float(contrast_limits[0]), float(contrast_limits[1]))
        height, width = data.shape[-3:-1] if rgb else data.shape[-2:]
        n_frames = 1 if self._single else int(data.shape[0])
        self.shape = (n_frames, int(height), int(width), 3)

    @property
    def scaled(self) -> bool:
        """Whether the contrast limits scale the frames (not for uint8 data)."""
        return np.dtype(getattr(self._data, "dtype", np.uint8)) != np.uint8

    @property
    def contrast_limits(self) -> tuple[float, float]:
        return self._limits

    def set_contrast_limits(self, limits: tuple[float, float]) -> bool:
        """Scale with ``limits`` from now on; whether the frames change."""
        limits = (float(limits[0]), float(limits[1]))
        changed = self.scaled and limits != self._limits
        self._limits = limits
        return changed

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, t: int) -> np.ndarray:
        if not isinstance(t, (int, np.integer)):
            raise TypeError(f"frames are indexed by one integer, got {t!r}")
        t = int(t) + (self.shape[0] if t < 0 else 0)
        if not 0 <= t < self.shape[0]:
            raise IndexError(f"frame {t} is outside 0..{self.shape[0] - 1}")
        frame = np.asarray(self._data if self._single else self._data[t])
        if frame.shape[:2] != self.shape[1:3]:  # a lazy stack that promised another size
            height, width = self.shape[1:3]
            raise ValueError(
                f"frame {t} of the layer is {frame.shape[1]}x{frame.shape[0]}, the layer says "
                f"{width}x{height}: it stacks images of different sizes (napari's reader of a "
                "folder does); open each image on its own"
            )
        frame = frame[..., :3] if self._rgb else np.repeat(frame[..., None], 3, axis=-1)
        return self._to_uint8(frame)

    def _to_uint8(self, frame: np.ndarray) -> np.ndarray:
        if frame.dtype == np.uint8:
            return np.ascontiguousarray(frame)
        low, high = self._limits
        scaled = (frame.astype(np.float32) - low) / max(high - low, 1e-12)
        return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def layer_frames(layer: Any) -> Any:
    """The frames of a napari Image layer: its own data when already a ``(T, H, W, 3) uint8``
    numpy array or our video (the video itself when the layer shows it through a
    ``VideoDisplay``); a ``LayerFrames`` otherwise, which also checks each lazy frame's size."""
    data = (
        layer.data[0] if getattr(layer, "multiscale", False) else shown_data(unwrapped(layer.data))
    )
    from ..io.video import VideoArray

    whole = isinstance(data, (np.ndarray, VideoArray))  # not a lazy stack of other arrays
    if whole and layer.rgb and data.ndim == 4 and data.shape[-1] == 3 and data.dtype == np.uint8:
        return data
    return LayerFrames(data, rgb=bool(layer.rgb), contrast_limits=tuple(layer.contrast_limits))


def open_session(
    image_layer: Any, frames: Any, engine: Engine, store_path: str | None, cache: FeatureCache
) -> AnnotationSession:
    """A session on ``frames`` of ``image_layer``, saving to the store at ``store_path`` (opened
    or created for the layer's video; no store when None or empty).

    Raises the store's errors (another video, in use, not writable); the store is closed again
    when the session cannot be made.
    """
    path = getattr(image_layer.source, "path", None)
    if path and VIDEO_INFO not in image_layer.metadata and turned_photo(path):
        from napari.utils.notifications import show_warning

        show_warning(
            f"napari's own reader shows {Path(path).name} as stored, not upright as its camera "
            "meant it (EXIF orientation): your masks fit what you see, not the photo. To "
            f"annotate it upright: skipclick annotate {path}"
        )
    store = None
    if store_path:
        from ..io.store import AnnotationStore

        info = layer_video_info(image_layer, frames)
        store = AnnotationStore.open_or_create(store_path, info, engine_key=engine.key)
    try:
        return AnnotationSession(frames, engine, store=store, cache=cache)
    except Exception:
        if store is not None:
            store.close()
        raise


def open_in_place_of(
    session: AnnotationSession | None,
    close: Callable[[], None],
    image_layer: Any,
    frames: Any,
    engine: Engine,
    store_path: str | None,
    cache: FeatureCache,
) -> AnnotationSession:
    """A new session (``open_session``) in place of ``session``, which ``close()`` ends only
    once the new one is open: a store refused (another video, in use, not writable) leaves it
    as it was, still on show. On the same store (whose lock it holds) it is ended first, once
    the store is known to be the new video's."""
    from ..io.store import check_same_video

    store = None if session is None else session.store
    if store is not None and store_path and _same_path(store_path, store.path):
        check_same_video(store.path, store.video, layer_video_info(image_layer, frames))
        close()
        return open_session(image_layer, frames, engine, store_path, cache)
    new = open_session(image_layer, frames, engine, store_path, cache)
    try:
        close()
    except BaseException:  # its changes could not be saved and the user kept it open
        new.close(discard=True)
        raise
    return new


def _same_path(path: str, other: Path) -> bool:
    """Whether ``path`` (as typed: ``~`` and relative parts allowed) names ``other``."""
    return Path(path).expanduser().resolve() == Path(other).resolve()
