"""Dense backward flows on a crop: estimated, applied, scored and chosen between per pixel.

A backward flow ``(2, h, w)`` says where each pixel of the new crop came from on the previous
one (rows, columns). Everything is numpy, SciPy and scikit-image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .motion import MotionSettings

#: the fewest measurable pixels that an affine map of the surroundings is fitted to
MIN_AFFINE_PIXELS = 200
#: a pixel whose flow departs from the first affine fit by more than this (flow pixels) is
#: left out of the second (it moves on its own: the object, a passer-by, a swinging branch)
AFFINE_OUTLIER = 0.5


def dense_flow(after: np.ndarray, before: np.ndarray, settings: MotionSettings) -> np.ndarray:
    """Backward optical flow from ``after`` to ``before`` with the chosen method."""
    from skimage.registration import optical_flow_ilk, optical_flow_tvl1

    if settings.method == "ilk":
        return optical_flow_ilk(after, before, radius=settings.radius, num_warp=settings.num_warp)
    return optical_flow_tvl1(after, before, num_warp=settings.num_warp, num_iter=5)


def sample(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` read at ``q + flow[:, q]`` for every pixel ``q`` (bilinear, edges repeated)."""
    from scipy.ndimage import map_coordinates

    rows, cols = np.mgrid[: flow.shape[1], : flow.shape[2]].astype(np.float32)
    coords = np.stack([rows + flow[0], cols + flow[1]])
    return map_coordinates(image, coords, order=1, mode="nearest")


def residual(before: np.ndarray, after: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """How badly ``flow`` explains ``after``: the mean absolute grey difference between
    ``after`` and ``before`` moved by it, over 5×5 pixels."""
    from scipy.ndimage import uniform_filter

    return uniform_filter(np.abs(sample(before, flow) - after), 5)


def rigid(shift: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The backward flow of ``shape`` that moves every pixel by ``shift``."""
    return np.broadcast_to(-shift[:, None, None], shape).astype(np.float32)


def affine(dense: np.ndarray, good: np.ndarray) -> np.ndarray | None:
    """The affine backward flow (a camera's pan, zoom and roll) that best fits ``dense`` over
    the ``good`` pixels in least squares, fitted again without those that depart from the
    first fit by more than ``AFFINE_OUTLIER``; None when fewer than ``MIN_AFFINE_PIXELS``
    are good (or stay in)."""
    rows, cols = np.nonzero(good)
    design = np.stack([np.ones(rows.size), rows, cols], axis=1).astype(np.float64)
    target = dense[:, rows, cols].T.astype(np.float64)
    kept = np.ones(rows.size, bool)
    for _ in range(2):
        if np.count_nonzero(kept) < MIN_AFFINE_PIXELS:
            return None
        params, *_ = np.linalg.lstsq(design[kept], target[kept], rcond=None)
        kept = np.hypot(*(design @ params - target).T) <= AFFINE_OUTLIER
    grid = np.mgrid[: dense.shape[1], : dense.shape[2]].reshape(2, -1)
    full = np.stack([np.ones(grid.shape[1]), grid[0], grid[1]], axis=1)
    return (full @ params).T.reshape(dense.shape).astype(np.float32)


def choose(
    dense: np.ndarray,
    error_dense: np.ndarray,
    base: np.ndarray,
    error_base: np.ndarray,
    settings: MotionSettings,
) -> np.ndarray:
    """Per pixel, the dense flow (whose residual is ``error_dense``) where it explains the
    new frame clearly better than the ``base`` flow (whose residual is ``error_base``: the
    object's shift, or its surroundings' affine map), else the base flow; the base flow
    alone with the ``"shift"`` model."""
    if settings.model == "shift":
        return base
    better = (error_dense <= settings.max_residual) & (error_dense + settings.min_gain < error_base)
    return np.where(better, dense, base)
