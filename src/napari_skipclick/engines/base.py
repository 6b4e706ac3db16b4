"""The predictor protocol every engine implements, and input checks they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..checks import as_click, check_image, click_inside
from ..types import Click


@dataclass(frozen=True)
class Features:
    """What ``encode`` returns: the image size and named arrays (numpy or torch) an engine reads."""

    image_shape: tuple[int, int]
    arrays: Mapping[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, for cache accounting."""
        total = 0
        for value in self.arrays.values():
            if hasattr(value, "nbytes"):
                total += int(value.nbytes)
            elif hasattr(value, "element_size"):
                total += int(value.element_size() * value.nelement())
        return total


@runtime_checkable
class Engine(Protocol):
    """Interactive segmentation engine: cacheable ``encode``, cheap per-click ``decode``."""

    name: str

    @property
    def key(self) -> str:
        """Changes whenever outputs would change (engine, weights checksum, settings, version)."""
        ...

    def encode(self, image: np.ndarray) -> Features:
        """Compute the per-image features of a uint8 ``(H, W, 3)`` image."""
        ...

    def decode(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return float32 probabilities ``(H, W)`` for the clicks (zeros when there are none)."""
        ...


@runtime_checkable
class ObjectMatcher(Protocol):
    """Optional engine method: find an object of one frame in another from cached features.

    Propagation uses it when an engine offers it (for SkipClick, DINO-style label propagation
    on the cached patch features would fit); an engine without it is carried by motion alone.
    """

    def match_object(
        self, source: Features, target: Features, mask: np.ndarray
    ) -> np.ndarray | None:
        """Probability ``(H, W)`` of the target frame that each pixel shows the object masked
        by boolean ``mask`` on the source frame; None when the features cannot tell."""
        ...


def carried_decode(engine: Engine) -> Callable[..., np.ndarray]:
    """The decode propagation uses: ``engine.decode_carried`` where the engine has one (the
    same arguments as ``decode``; the embedded engine's skips its guard against growth no click
    asked for), else ``engine.decode``."""
    return getattr(engine, "decode_carried", engine.decode)


def working_grid(engine: Engine, shape: tuple[int, int]) -> tuple[int, int]:
    """The grid the engine works a frame of ``shape`` on: ``engine.working_shape(shape)`` where
    the engine downsizes large frames (embedded, random walker; engines/working_size.py), else
    ``shape``. The session brings its zoom crops to the same scale."""
    working = getattr(engine, "working_shape", None)
    grid = tuple(shape) if working is None else working(tuple(shape))
    return int(grid[0]), int(grid[1])


def features_key(engine: Engine) -> str:
    """The key the engine's features are cached under.

    ``engine.features_key`` where the engine has one (its features do not change with every
    setting that changes its outputs: a SkipClick encode is the same on any device and for both
    CPU decoders), else ``engine.key``.
    """
    return getattr(engine, "features_key", None) or engine.key


def check_clicks(clicks: Sequence[Click | tuple], shape: tuple[int, int]) -> list[Click]:
    """Return clicks as ``Click`` tuples; raise ``ValueError`` for one outside ``shape`` (H, W)."""
    height, width = shape
    checked = []
    for i, value in enumerate(clicks):
        y, x, positive = as_click(value, i)
        if not (np.isfinite(y) and np.isfinite(x)):
            raise ValueError(f"click {i} has a non-finite coordinate: ({y}, {x})")
        if not click_inside(y, x, shape):
            raise ValueError(
                f"click {i} at (y={y:g}, x={x:g}) lies outside the {height}x{width} image"
            )
        checked.append(Click(y, x, positive))
    return checked


def check_prev_mask(prev_mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    """Return ``prev_mask`` as float32 ``(H, W)`` in [0, 1], or None; raise on a wrong shape."""
    if prev_mask is None:
        return None
    mask = np.asarray(prev_mask)
    if mask.shape != tuple(shape):
        raise ValueError(f"prev_mask has shape {mask.shape}, expected {tuple(shape)}")
    return np.clip(mask.astype(np.float32, copy=False), 0.0, 1.0)


__all__ = [
    "Engine",
    "Features",
    "ObjectMatcher",
    "check_clicks",
    "check_image",
    "check_prev_mask",
]
