"""Motion between two frames around one object: optical flow on a crop, mask and click warps.

The flow is estimated on a crop around the object (its bounding box grown by a margin that
scales with the object's size) in grey levels, downscaled so that the crop's longer side is at
most ``max_side`` pixels; scikit-image's iterative Lucas–Kanade (``optical_flow_ilk``) or TV-L1
(``optical_flow_tvl1``) runs coarse to fine on it. Everything is numpy and scikit-image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MotionSettings:
    """How the motion of an object is estimated.

    ``margin`` (a fraction of the object's larger side, at least ``min_margin`` pixels) grows
    its box into the crop where the flow is computed; ``max_side`` bounds the crop's longer
    side after downscaling; ``method`` is ``"ilk"`` or ``"tvl1"``; ``radius`` is the window
    radius of ``ilk`` (in downscaled pixels).
    """

    margin: float = 0.5
    min_margin: int = 40
    max_side: int = 256
    method: str = "ilk"
    radius: int = 5
    num_warp: int = 3

    def __post_init__(self) -> None:
        if self.method not in ("ilk", "tvl1"):
            raise ValueError(f"method must be 'ilk' or 'tvl1', got {self.method!r}")
        if self.margin < 0 or self.min_margin < 0 or self.max_side < 16 or self.radius < 1:
            raise ValueError("margins must be >= 0, max_side >= 16 and radius >= 1")


@dataclass(frozen=True)
class Motion:
    """Backward flow on a crop: pixel ``q`` of the new frame came from ``q + flow[:, q]``.

    ``box`` is the crop ``(y0, y1, x0, x1)`` in frame coordinates; ``flow`` has shape
    ``(2, y1 - y0, x1 - x0)`` (rows, columns). Outside the box the motion is unknown.
    """

    box: tuple[int, int, int, int]
    flow: np.ndarray


def object_box(mask: np.ndarray, settings: MotionSettings) -> tuple[int, int, int, int] | None:
    """The object's bounding box grown by the motion margin, clipped to the frame; None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    size = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    margin = max(settings.min_margin, math.ceil(settings.margin * size))
    height, width = mask.shape
    return (
        max(int(rows[0]) - margin, 0),
        min(int(rows[-1]) + 1 + margin, height),
        max(int(cols[0]) - margin, 0),
        min(int(cols[-1]) + 1 + margin, width),
    )


def _grey(image: np.ndarray) -> np.ndarray:
    weights = np.array([0.2125, 0.7154, 0.0721], np.float32) / 255.0
    return np.asarray(image, np.float32) @ weights


def estimate_motion(
    previous: np.ndarray, current: np.ndarray, mask: np.ndarray, settings: MotionSettings
) -> Motion | None:
    """Motion of the region around ``mask`` from image ``previous`` to ``current``.

    Args:
        previous: the frame the mask belongs to, uint8 ``(H, W, 3)``.
        current: the frame the mask moves to, same shape.
        mask: boolean ``(H, W)`` object mask on ``previous``.
        settings: crop and flow settings.

    Returns:
        The backward flow on the crop, or None when the mask is empty.
    """
    from skimage.registration import optical_flow_ilk, optical_flow_tvl1
    from skimage.transform import resize

    box = object_box(mask, settings)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    before, after = _grey(previous[y0:y1, x0:x1]), _grey(current[y0:y1, x0:x1])
    scale = min(1.0, settings.max_side / max(y1 - y0, x1 - x0))
    if scale < 1.0:
        small = (max(round((y1 - y0) * scale), 8), max(round((x1 - x0) * scale), 8))
        before = resize(before, small, anti_aliasing=True, preserve_range=True)
        after = resize(after, small, anti_aliasing=True, preserve_range=True)
    if settings.method == "ilk":
        flow = optical_flow_ilk(after, before, radius=settings.radius, num_warp=settings.num_warp)
    else:
        flow = optical_flow_tvl1(after, before, num_warp=settings.num_warp, num_iter=5)
    if scale < 1.0:
        # back to crop resolution: interpolate, and stretch the displacements by the scale
        factors = np.array([(y1 - y0) / flow.shape[1], (x1 - x0) / flow.shape[2]], np.float32)
        flow = np.stack([resize(f, (y1 - y0, x1 - x0), order=1) for f in flow])
        flow *= factors[:, None, None]
    return Motion(box, flow.astype(np.float32))


def warp_mask(mask: np.ndarray, motion: Motion) -> np.ndarray:
    """``mask`` (H, W, bool or float) moved to the new frame: float32 in [0, 1], 0 off the box."""
    from scipy.ndimage import map_coordinates

    y0, y1, x0, x1 = motion.box
    rows, cols = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    coords = np.stack([rows + motion.flow[0], cols + motion.flow[1]])
    out = np.zeros(mask.shape, np.float32)
    out[y0:y1, x0:x1] = map_coordinates(
        np.asarray(mask, np.float32), coords, order=1, mode="constant", cval=0.0
    )
    return np.clip(out, 0.0, 1.0)
