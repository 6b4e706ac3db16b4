"""The background's motion around an object: which pixels move with it, and whether the
object seems to stall with it (an occluder passing in front).

``motion.estimate_motion`` measures the background's displacement as the median dense flow
away from the object; here are the tests built on it. Everything is numpy and SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .motion import MotionSettings


@dataclass(frozen=True)
class Momentum:
    """How an object moved on one step, in frame pixels (rows, columns): its displacement
    relative to the background's (``relative``) and the background's (``background``);
    ``steady``, when known, is its relative displacement over its last few steps (``Track``),
    which it coasts on with: one step's can be torn by what passes in front of it."""

    relative: np.ndarray
    background: np.ndarray
    steady: np.ndarray | None = None


#: pixels (on the downscaled crop) between the object and the pixels whose flow is the
#: background's motion
BACKGROUND_GAP = 4


#: the fewest pixels from which the background's motion is measured (``background_shift``)
MIN_BACKGROUND = 50


def far_from(mask: np.ndarray) -> np.ndarray:
    """The pixels of the crop farther than ``BACKGROUND_GAP`` pixels from ``mask``: those the
    background's motion is measured on."""
    from scipy.ndimage import binary_dilation

    return ~binary_dilation(mask, iterations=BACKGROUND_GAP)


def background_shift(far: np.ndarray, dense: np.ndarray) -> np.ndarray | None:
    """The background's displacement (rows, columns): minus the median of the dense backward
    flow ``dense`` over the pixels ``far`` from the object (``far_from``); None when fewer
    than ``MIN_BACKGROUND`` pixels lie that far."""
    if np.count_nonzero(far) < MIN_BACKGROUND:
        return None
    return -np.median(dense[:, far], axis=1).astype(np.float32)


def textured_background(far: np.ndarray, measurable: np.ndarray) -> bool:
    """Whether at least ``MIN_BACKGROUND`` of the pixels ``far`` from the object, which
    ``background_shift`` measures the background's motion on, are textured
    (``measurable``): a plain background's flow is nought whatever it does, and a still
    corner of a shrinking object would match it."""
    return np.count_nonzero(far & measurable) >= MIN_BACKGROUND


def stalls(
    relative: np.ndarray,
    moving: np.ndarray,
    momentum: Momentum,
    scale: float,
    settings: MotionSettings,
) -> np.ndarray | None:
    """The relative motion to coast on with (flow pixels: ``momentum.steady`` when known, else
    ``momentum.relative``), or None.

    ``relative`` and ``moving`` are the object's motion against the background and the
    background's, now, in flow pixels (frame pixels times ``scale``); ``momentum`` is the step
    before's, in frame pixels. The object stalls when it moved against the background by at
    least ``settings.stall_speed`` then and keeps less than ``settings.stall`` of that now,
    while the background's own motion changed by less than ``stall`` of it (else the two
    steps did not measure against the same background, say a crop that shrank to the object).
    """
    before = np.asarray(momentum.relative, np.float32) * scale
    speed = float(np.hypot(*before))
    if settings.stall <= 0 or speed < max(settings.stall_speed, 1e-6):
        return None
    if float(np.hypot(*relative)) >= settings.stall * speed:
        return None
    change = moving - np.asarray(momentum.background, np.float32) * scale
    if float(np.hypot(*change)) >= settings.stall * speed:
        return None
    return before if momentum.steady is None else np.asarray(momentum.steady, np.float32) * scale


def background_pixels(
    residual: np.ndarray,
    measurable: np.ndarray,
    moving: np.ndarray | None,
    dense: np.ndarray,
    shift: np.ndarray,
    settings: MotionSettings,
) -> np.ndarray | None:
    """Pixels of the crop that move with the background rather than with the object.

    ``moving`` is the background's displacement (``background_shift``). When it differs from
    the object's ``shift`` by at least ``settings.separation``, a pixel moves with the
    background when its flow lies within a quarter of that difference of the background's
    motion, explains the new frame (its ``residual``, see ``flow_fields.residual``, at most
    ``max_residual``) and can be measured (``measurable``: the new frame's structure tensor's
    smaller eigenvalue at least ``texture``). Returns None when the two motions are not that
    far apart (or there is too little background to tell: ``moving`` is None).
    """
    if settings.separation <= 0 or moving is None:
        return None
    apart = float(np.hypot(*(shift - moving)))
    if apart < settings.separation:
        return None
    along = with_background(-dense, moving, apart)
    return along & (residual <= settings.max_residual) & measurable


def explained_by(
    moving_error: np.ndarray, shift_error: np.ndarray, settings: MotionSettings
) -> np.ndarray:
    """Pixels whose grey values the background's shift explains well and clearly better than
    the object's: ``moving_error`` and ``shift_error`` are the residuals under each
    (``flow_fields.residual``); the background's is at most ``settings.track_residual`` (as well
    as the motion tracks a pixel), below ``settings.explained_ratio`` of the object's and by
    ``settings.min_gain``. Meant for a background whose motion was measured on texture
    (``textured_background``)."""
    return (
        (moving_error <= settings.track_residual)
        & (moving_error + settings.min_gain < shift_error)
        & (moving_error < settings.explained_ratio * shift_error)
    )


def with_background(displacement: np.ndarray, moving: np.ndarray, apart: float) -> np.ndarray:
    """Whether each displacement (rows, columns first) is the background's ``moving`` rather
    than the object's, which lies ``apart`` from it: within a quarter of that distance."""
    moving = np.asarray(moving, np.float32).reshape((2,) + (1,) * (displacement.ndim - 1))
    return np.hypot(*(displacement - moving)) <= 0.25 * apart


def texture(image: np.ndarray) -> np.ndarray:
    """Smaller eigenvalue of the structure tensor of a grey image (gradients averaged over
    5×5 pixels)."""
    from scipy.ndimage import uniform_filter

    gy, gx = np.gradient(image.astype(np.float32))
    jyy, jxx, jxy = (uniform_filter(v, 5) for v in (gy * gy, gx * gx, gx * gy))
    mean = (jyy + jxx) / 2
    return mean - np.sqrt(((jyy - jxx) / 2) ** 2 + jxy**2)
