"""Measures of an object's mask that the carry and the quality check judge it by: its boundary,
the agreement its size allows, and whether an area lies within limits; and a mask cut to an
area."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..shapes import cropped


def boundary_pixels(mask: np.ndarray) -> int:
    """Pixels of ``mask`` that touch the outside (4-neighbourhood; the picture's edge is
    outside), counted on its box: a thin object on a whole frame costs 30 times as much."""
    if not mask.any():
        return 0
    crop = cropped(mask)
    return int(np.count_nonzero(crop & ~ndimage.binary_erosion(crop)))


def expected_agreement(mask: np.ndarray, jitter: float) -> float:
    """IoU two masks of this object reach when their boundaries differ by ``jitter`` pixels.

    With area ``A`` and boundary length ``P`` that is ``(A - jitter P) / (A + jitter P)``: close
    to 1 for a skier, low for a ski a few pixels wide, so each object is judged by its size.
    """
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    band = jitter * boundary_pixels(mask)
    return max((area - band) / (area + band), 0.0)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks (1 when both are empty)."""
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def within(area: int, reference: int, ratio: float, band: float) -> bool:
    """Whether ``area`` lies within ``reference`` scaled by ``ratio`` either way, +- ``band``."""
    return reference / ratio - band <= area <= reference * ratio + band


def strongest(prior: np.ndarray, carried: np.ndarray, area: int) -> np.ndarray:
    """``carried`` cut to its ``area`` pixels of highest ``prior`` (the moved mask's bilinear
    values; ties in pixel order), or as it is when it holds no more."""
    if area <= 0:
        return np.zeros_like(carried)
    if np.count_nonzero(carried) <= area:
        return carried
    values = np.where(carried, prior, -1.0).ravel()
    out = np.zeros(carried.size, bool)
    out[np.argpartition(-values, area - 1)[:area]] = True
    return out.reshape(carried.shape)
