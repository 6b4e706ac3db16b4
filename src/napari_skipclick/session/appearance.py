"""Colour model of one object for propagation: what it looked like, what lies around it.

The object's colours come from its mask on the start frame of a propagation run (the mask
the user accepted, so colours a leak took on later do not become the object's); the
background's from a ring around the carried mask on the frame it is carried to, so a
background that changes (a panning camera, a tree in front) is known as it appears. The
model says, per pixel near the object, how likely its colour is the object's rather than
the surroundings'. It needs only the frames, so it works with every engine. How well a new
mask's colours match the object's, against the same measure on the start frame, tells a mask
that slid onto something else (a glove beside a board that turned) from one that holds.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

#: quantisation of each RGB channel (16 levels: 4096 colour bins)
LEVELS = 16

#: the start match (``ColourModel.start_match``) up to which an object's colours do not stand out
#: from those around it (0.5: the same colours), with room for rounding
STANDS_OUT = 0.5 + 1e-6


def colour_bins(image: np.ndarray) -> np.ndarray:
    """Flat colour bin of every pixel of a uint8 RGB image."""
    q = np.asarray(image, np.uint8) // (256 // LEVELS)
    return (q[..., 0].astype(np.int32) * LEVELS + q[..., 1]) * LEVELS + q[..., 2]


def _histogram(bins: np.ndarray) -> np.ndarray:
    """Normalised histogram of ``bins``, smoothed over neighbouring colours."""
    counts = np.bincount(bins.ravel(), minlength=LEVELS**3).astype(np.float32)
    counts = ndimage.gaussian_filter(counts.reshape((LEVELS,) * 3), 0.7, mode="nearest")
    return counts.ravel() / max(float(counts.sum()), 1.0)


class ColourModel:
    """Object colours on one frame, compared with the background around it on another.

    Args:
        image: the frame whose colours describe the object, uint8 ``(H, W, 3)``.
        mask: the object's boolean mask on it.
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray) -> None:
        self.object = _histogram(colour_bins(image)[mask])
        #: the mean likelihood over ``mask`` on ``image`` itself (the start frame)
        self.start_match = _mean_over(self.likelihood(image, mask, ring_width(mask)), mask)

    def match(self, likelihood: np.ndarray, mask: np.ndarray) -> float | None:
        """The mean of ``likelihood`` (:meth:`likelihood` on a new frame) over ``mask``, as a
        share of :attr:`start_match`; None for an empty mask or an object whose colours did
        not stand out on the start frame (a start match of 0.5 or less)."""
        mean = _mean_over(likelihood, mask)
        if mean is None or self.start_match is None or self.start_match <= STANDS_OUT:
            return None
        return mean / self.start_match

    def likelihood(self, image: np.ndarray, carried: np.ndarray, ring: float) -> np.ndarray:
        """Probability in [0, 1] per pixel that its colour is the object's rather than around.

        Args:
            image: the frame being carried to, uint8 ``(H, W, 3)``.
            carried: the object's carried (moved) boolean mask on that frame.
            ring: pixels farther than this from ``carried`` (and within three times it) are
                the background the object is compared with.
        """
        out = np.full(carried.shape, 0.5, np.float32)
        rows, cols = np.nonzero(carried)
        if rows.size == 0:
            return out
        grow = int(3 * ring) + 2
        y0, x0 = max(int(rows.min()) - grow, 0), max(int(cols.min()) - grow, 0)
        y1, x1 = int(rows.max()) + 1 + grow, int(cols.max()) + 1 + grow
        bins = colour_bins(image[y0:y1, x0:x1])
        distance = ndimage.distance_transform_edt(~carried[y0:y1, x0:x1])
        around = (distance > ring) & (distance <= 3 * ring)
        if around.any():
            fg, bg = self.object[bins], _histogram(bins[around])[bins]
            out[y0:y1, x0:x1] = fg / np.maximum(fg + bg, 1e-12)
        return out


def ring_width(mask: np.ndarray) -> float:
    """How far from an object's boolean ``mask`` the background it is compared with begins."""
    return max(3.0, 0.1 * math.sqrt(np.count_nonzero(mask)))


def _mean_over(values: np.ndarray, mask: np.ndarray) -> float | None:
    """The mean of ``values`` over boolean ``mask``, None where it is empty."""
    return float(values[mask].mean()) if mask.any() else None
