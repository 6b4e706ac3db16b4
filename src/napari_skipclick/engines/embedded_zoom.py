"""Automatic zoom of the embedded engine: the features of a crop around a small object.

Once an object has a mask, the engine decodes in a box around that mask and the positive clicks
(as the zoom-in of interactive segmentation models does), so the crop's border stands for the
background near the object and the colour models are local. The crop's features are cut from
the frame's: no second superpixel pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..types import Click
from .embedded_features import colour_histograms, lab_float, superpixel_graph, superpixel_stats

#: arrays of the frame's features that are cut to the crop pixel by pixel
_PIXEL_ARRAYS = ("pixel_bin", "lab")


def zoom_box(
    mask: np.ndarray, clicks: Sequence[Click], expansion: float, min_side: int
) -> tuple[int, int, int, int]:
    """Crop (y0, y1, x0, x1) around ``mask`` and the positive clicks, with context, in the image.

    The box of the mask's pixels and the positive clicks is grown about its centre by
    ``expansion`` per side length and to at least ``min_side``, then shifted to lie inside the
    image. Without any mask pixel or positive click the whole image is returned.
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
    y0, y1 = _grow(min(ys), max(ys), height, expansion, min_side)
    x0, x1 = _grow(min(xs), max(xs), width, expansion, min_side)
    return y0, y1, x0, x1


def _grow(lo: float, hi: float, size: int, expansion: float, min_side: int) -> tuple[int, int]:
    start, stop = math.floor(lo), math.ceil(hi) + 1
    side = min(size, max(min_side, math.ceil((stop - start) * expansion)))
    begin = math.floor((start + stop) / 2 - side / 2 + 0.5)
    begin = min(max(begin, 0), size - side)
    return begin, begin + side


def crop_features(arrays: dict, box: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """The embedded engine's feature arrays of the crop ``box`` of a frame.

    Superpixels cut by the box keep their part inside it; the superpixels on the box's rim
    count as border superpixels.
    """
    y0, y1, x0, x1 = box
    window = np.s_[y0:y1, x0:x1]
    _, labels = np.unique(arrays["labels"][window], return_inverse=True)
    labels = labels.reshape(y1 - y0, x1 - x0).astype(np.int32)
    out = {name: arrays[name][window] for name in _PIXEL_ARRAYS}
    out["labels"] = labels
    out["weight_right"] = arrays["weight_right"][y0:y1, x0 : x1 - 1]
    out["weight_down"] = arrays["weight_down"][y0 : y1 - 1, x0:x1]
    out.update(superpixel_stats(labels))
    out.update(superpixel_graph(labels, lab_float(out["lab"])))
    out.update(colour_histograms(labels, out["pixel_bin"].astype(np.int32)))
    return out


def click_box(
    shape: tuple[int, int], clicks: Sequence[Click], side: int
) -> tuple[int, int, int, int] | None:
    """The crop of ``side`` pixels around the positive clicks, or None where it would be the
    whole frame or leave a click out."""
    box = zoom_box(np.zeros(shape, dtype=bool), clicks, 1.0, side)
    if box == (0, shape[0], 0, shape[1]):
        return None
    y0, y1, x0, x1 = box
    inside = all(y0 <= c.y < y1 and x0 <= c.x < x1 for c in clicks)
    return box if inside else None


def inside_crop(mask: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, int]) -> bool:
    """Whether the crop's ``mask`` keeps off the crop's rim where the rim is no frame border
    (the object, so cut out, ends inside the crop)."""
    y0, y1, x0, x1 = box
    sides = (
        (y0 > 0, mask[0]),
        (y1 < shape[0], mask[-1]),
        (x0 > 0, mask[:, 0]),
        (x1 < shape[1], mask[:, -1]),
    )
    return not any(inner and line.any() for inner, line in sides)
