"""Classical baseline engine: scikit-image's random walker seeded by disks around the clicks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .. import __version__
from ..types import Click
from .base import Features, check_clicks, check_image, check_prev_mask
from .working_size import clicks_on_grid, downsized, resized, working_shape

_OBJECT, _BACKGROUND = 1, 2


class RandomWalkerEngine:
    """Random walker (Grady 2006) on RGB: clicks seed disks, the image border seeds background.

    ``encode`` only converts (and optionally downsizes) the image; every ``decode`` solves the
    random-walker system for the current seeds with a direct sparse solver. The previous mask is
    not used: the method has no notion of a prior, which keeps it the plain classical baseline.
    """

    name = "random-walker"

    def __init__(
        self,
        beta: float = 130.0,
        radius: float = 5.0,
        max_side: int | None = None,
        border_background: bool = True,
    ) -> None:
        if beta <= 0 or radius < 0:
            raise ValueError(f"beta must be positive and radius non-negative: {beta}, {radius}")
        if max_side is not None and (max_side < 0 or 0 < max_side < 8):
            raise ValueError(f"max_side must be at least 8 pixels (0: full size), got {max_side}")
        self.beta = float(beta)
        self.radius = float(radius)
        self.max_side = max_side
        self.border_background = bool(border_background)

    @property
    def key(self) -> str:
        """Engine name, package version and every setting that changes the output."""
        return (
            f"{self.name}/{__version__}/beta={self.beta:g}/radius={self.radius:g}"
            f"/max_side={self.max_side}/border={int(self.border_background)}"
        )

    def working_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        """The grid a frame of ``shape`` is worked on (``max_side``)."""
        return working_shape(shape, self.max_side)

    def encode(self, image: np.ndarray) -> Features:
        """Scale the image to [0, 1] floats, downsized to a longer side of at most ``max_side``."""
        image = check_image(image)
        data = downsized(image.astype(np.float32) / 255.0, self.max_side)
        return Features(image_shape=image.shape[:2], arrays={"data": data})

    def _seeds(self, clicks: Sequence[Click], full: tuple[int, int], grid: tuple[int, int]):
        """Label map on the working grid: disks in click order (later clicks win), border seeds."""
        labels = np.zeros(grid, dtype=np.int32)
        if self.border_background:
            labels[[0, -1], :] = _BACKGROUND
            labels[:, [0, -1]] = _BACKGROUND
        sy, sx = grid[0] / full[0], grid[1] / full[1]
        radius = max(self.radius * min(sy, sx), 0.5)
        rows = np.arange(grid[0])[:, None]
        cols = np.arange(grid[1])[None, :]
        for click in clicks_on_grid(clicks, full, grid):
            disk = (rows - click.y) ** 2 + (cols - click.x) ** 2 <= radius**2
            labels[disk] = _OBJECT if click.positive else _BACKGROUND
        return labels

    def decode(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probability of the object label at every pixel, float32 ``(H, W)``."""
        from skimage.segmentation import random_walker

        shape = features.image_shape
        clicks = check_clicks(clicks, shape)
        check_prev_mask(prev_mask, shape)
        data = features.arrays["data"]
        labels = self._seeds(clicks, shape, data.shape[:2])
        present = set(np.unique(labels).tolist())
        if _OBJECT not in present:
            return np.zeros(shape, dtype=np.float32)
        if _BACKGROUND not in present:
            return np.ones(shape, dtype=np.float32)
        if 0 not in present:  # every pixel is a seed: nothing left to solve
            return resized((labels == _OBJECT).astype(np.float32), shape)
        with warnings.catch_warnings():
            # rounding can leave values a hair outside [0, 1] (a warning); they are clipped below
            warnings.simplefilter("ignore", UserWarning)
            probs = random_walker(
                data,
                labels,
                beta=self.beta,
                mode="bf",  # direct sparse solve: exact, and faster than CG on these systems
                channel_axis=-1,
                return_full_prob=True,
            )[_OBJECT - 1]
        return resized(probs, shape)
