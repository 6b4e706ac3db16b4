"""The new mask's probabilities from the engine's, the moved mask's and the colours'."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..shapes import grown_box

if TYPE_CHECKING:
    from .propagation_settings import PropagationSettings


def fuse(
    probabilities: np.ndarray,
    prior: np.ndarray,
    carried: np.ndarray,
    likelihood: np.ndarray | None,
    settings: PropagationSettings,
) -> np.ndarray:
    """The new probabilities from the engine's, the carried mask's and the colour model's.

    All three are evidence: the engine sees the new frame, the motion remembers the shape, the
    colours say what the object looked like. The engine's share is ``engine_weight`` of the
    mix with the carried mask, the colours' ``colour_weight`` of the result. Deeper inside the
    carried mask than ``band`` times the square root of its area (at least 2 pixels), nothing
    removes the object (a part the engine's clicks did not reach stays); farther out, nothing
    adds to it (a leak into the background stops there).
    """
    weight = settings.engine_weight
    fused = weight * probabilities + (1.0 - weight) * prior
    if likelihood is not None and settings.colour_weight > 0:
        fused = (1.0 - settings.colour_weight) * fused + settings.colour_weight * likelihood
    if settings.band > 0:
        reach = max(2.0, settings.band * math.sqrt(np.count_nonzero(carried)))
        limited = np.minimum(fused, prior)  # far out, only the motion adds
        box = grown_box(carried, math.ceil(reach) + 1)
        if box is not None:
            rows, cols = slice(box[0], box[1]), slice(box[2], box[3])
            crop, local, moved = carried[rows, cols], fused[rows, cols], prior[rows, cols]
            inside = ndimage.distance_transform_edt(crop) > reach
            outside = ndimage.distance_transform_edt(~crop) > reach
            local = np.where(inside, np.maximum(local, moved), local)
            limited[rows, cols] = np.where(outside, np.minimum(local, moved), local)
        fused = limited
    return fused.astype(np.float32)
