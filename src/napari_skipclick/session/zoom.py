"""Zoom-in refinement: decode in a crop around the object so small objects get fine masks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..engines.base import Engine
from ..engines.cache import FeatureCache
from ..types import Click

#: the crop is the object's box (mask ∪ positive clicks) grown by this factor per side length
EXPANSION = 1.4
#: smallest crop side in pixels (less when the image is smaller)
MIN_SIZE = 200


def zoom_box(
    mask: np.ndarray,
    clicks: Sequence[Click],
    expansion: float = EXPANSION,
    min_size: int = MIN_SIZE,
) -> tuple[int, int, int, int]:
    """Crop (y0, y1, x0, x1) around ``mask`` and the clicks, with context, inside the image.

    The box of the mask's pixels and the positive clicks is grown around its centre by
    ``expansion`` and to at least ``min_size`` per side, then shifted to lie inside the image.
    Without any mask pixel or positive click the whole image is returned.
    """
    height, width = mask.shape
    ys = [c.y for c in clicks if c.positive]
    xs = [c.x for c in clicks if c.positive]
    rows, cols = np.nonzero(mask)
    if rows.size:
        ys += [float(rows.min()), float(rows.max())]
        xs += [float(cols.min()), float(cols.max())]
    if not ys:
        return 0, height, 0, width
    y0, y1 = _grow(min(ys), max(ys), height, expansion, min_size)
    x0, x1 = _grow(min(xs), max(xs), width, expansion, min_size)
    return y0, y1, x0, x1


def _grow(lo: float, hi: float, size: int, expansion: float, min_size: int) -> tuple[int, int]:
    start, stop = math.floor(lo), math.ceil(hi) + 1
    side = min(size, max(min_size, math.ceil((stop - start) * expansion)))
    centre = (start + stop) / 2
    begin = math.floor(centre - side / 2 + 0.5)
    begin = min(max(begin, 0), size - side)
    return begin, begin + side


def crop_key(frame_key: str, box: tuple[int, int, int, int]) -> str:
    """Cache key of the features of a crop of the frame with content key ``frame_key``."""
    return f"{frame_key}:crop:{box[0]},{box[1]},{box[2]},{box[3]}"


def decode_in_crop(
    engine: Engine,
    cache: FeatureCache,
    frame_key: str,
    image: np.ndarray,
    box: tuple[int, int, int, int],
    clicks: Sequence[Click],
    prior: np.ndarray | None,
) -> np.ndarray:
    """Encode (cached) the crop ``box`` of ``image``, decode there, and paste into a full frame.

    Clicks are shifted into the crop; negative clicks outside it are left out. Returns float32
    probabilities of the whole frame, zero outside the crop.
    """
    y0, y1, x0, x1 = box
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    features = cache.get_or_compute(crop_key(frame_key, box), engine, crop)
    shifted = [
        Click(c.y - y0, c.x - x0, c.positive)
        for c in clicks
        if y0 <= c.y <= y1 - 1 and x0 <= c.x <= x1 - 1
    ]
    crop_prior = None if prior is None else prior[y0:y1, x0:x1]
    probabilities = np.zeros(image.shape[:2], np.float32)
    probabilities[y0:y1, x0:x1] = engine.decode(features, shifted, crop_prior)
    return probabilities
