"""Shape measures of a boolean mask that the engines and the session share: how wide and how
long a thin object is."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize


def _cropped(mask: np.ndarray) -> np.ndarray:
    """``mask`` cut to its box and padded by one pixel of background."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return np.pad(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 1)


def median_width(mask: np.ndarray) -> float:
    """Twice the median distance of ``mask``'s pixels to the outside (0 for an empty mask)."""
    if not mask.any():
        return 0.0
    crop = _cropped(mask)
    return 2.0 * float(np.median(ndimage.distance_transform_edt(crop)[crop]))


def skeleton_length(mask: np.ndarray) -> int:
    """Pixels of ``mask``'s skeleton: a thin object's length, with its branches and pieces."""
    return int(np.count_nonzero(skeletonize(_cropped(mask)))) if mask.any() else 0
