"""Motion between two frames around one object: optical flow on a crop, mask and click warps.

The flow is estimated on a crop around the object (its bounding box grown by a margin that
scales with the object's size) in grey levels, downscaled so that the crop's longer side is at
most ``max_side`` pixels. scikit-image's iterative Lucas–Kanade (``optical_flow_ilk``) or
TV-L1 (``optical_flow_tvl1``) gives the dense flow; the object's own shift comes from masked
normalised cross-correlation of its pixels (``phase_cross_correlation`` with a mask), checked
against the median flow and no motion, so a thin or small object is not dragged along by the
background around it. A pixel moves with the flow only where the flow explains the new frame
clearly better than the shift (a part that moves on its own); elsewhere with the shift.
When the background around the object moves differently from the object (a panning camera, a
moving object before a still one), the pixels that move with the background are found too:
they are not the object, whatever colour they have. Everything is numpy and scikit-image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..shapes import grown_box
from .flow_fields import affine, choose, dense_flow, residual, rigid, sample
from .motion_background import (
    Momentum,
    background_pixels,
    background_shift,
    explained_by,
    far_from,
    stalls,
    texture,
    textured_background,
)
from .motion_scale import scale_change
from .object_shift import best_shift


@dataclass(frozen=True)
class MotionSettings:
    """How the motion of an object is estimated.

    ``margin`` (a fraction of the object's larger side, at least ``min_margin`` pixels) grows
    its box into the crop where the flow is computed; ``max_side`` bounds the crop's longer
    side after downscaling; ``method`` is ``"ilk"`` or ``"tvl1"``; ``radius`` is the window
    radius of ``ilk`` (in downscaled pixels).

    ``model`` says how the mask moves: ``"dense"`` with the flow at every pixel; ``"shift"``
    with the object's shift alone; ``"hybrid"`` with the shift, except where the flow
    explains the new frame better than the shift by ``min_gain`` (mean absolute grey
    difference in [0, 1] over a small window) and well (at most ``max_residual``): the parts
    that move on their own (a swinging arm or racket). Where neither explains the new frame
    (uncovered background) the shift carries the mask, so it does not grow behind the object.

    ``separation`` (in the flow's pixels, on the downscaled crop; 0: never) is the least
    difference between the object's shift and the background's motion (the median flow
    farther than ``motion_background.BACKGROUND_GAP`` pixels from the object) from which
    pixels that move with the background are told apart (``background_pixels``);
    ``texture`` is the least smaller eigenvalue of a pixel's structure tensor (grey levels in
    [0, 1]) for its flow to count, so a plain region (snow, sky, a plain jacket), whose flow
    cannot be measured, never does.

    ``stall`` (0: never) guards against an occluder: when the object moved against the
    background by at least ``stall_speed`` flow pixels on the step before
    (``estimate_motion``'s ``momentum``) and now seems to move with it, keeping less than
    ``stall`` of that relative motion while the background's own motion changed by less than
    ``stall`` of it, something passing in front has taken its place; the
    object coasts on with its earlier motion (see ``estimate_motion``). An object that fast
    does not lose half its speed against the background from one frame to the next; a slower
    one may (a player turning round), so it is left alone.

    ``track_residual`` (0: never) marks the pixels that the chosen motion tracks well: it
    explains the new frame there within that residual, and the pixel is textured
    (``texture``). Propagation keeps such pixels of the moved mask whatever the engine and
    the colours say (a leg on clay of the same colour), and, when the object moves with its
    surroundings (``Motion.background`` None), keeps such pixels beyond it out
    (``Motion.outside``).

    ``explained_ratio`` (0: never) marks, when the object moves against the background (by
    ``separation``), the pixels whose grey values the background's shift explains clearly
    better than the object's: its residual (``track_residual`` at most) below that share of
    the shift's and by ``min_gain``, where the background's motion was measured on texture
    (``textured_background``). Unlike ``background_pixels`` this needs no flow at the pixel,
    so no texture in every direction: a background streaked by a pan that follows a rider
    still says which way it went. Propagation keeps such pixels beyond the moved mask out
    (``Motion.explained``).

    ``shrink`` (0: never): an object that moves with its surroundings and shrinks by at least
    that share a frame (``Motion.shrinks``: a camera zooming out) is no longer held by the
    tracked pixels of its moved mask's rim, where the motion follows the surroundings too
    and the edge moves in by a fraction of a pixel a frame, which no shift of a mask shows.
    """

    margin: float = 0.5
    min_margin: int = 40
    max_side: int = 256
    method: str = "ilk"
    radius: int = 5
    num_warp: int = 3
    model: str = "hybrid"
    max_residual: float = 0.06
    min_gain: float = 0.01
    separation: float = 1.5
    texture: float = 1e-4
    stall: float = 0.5
    stall_speed: float = 4.0
    track_residual: float = 0.025
    explained_ratio: float = 0.5
    shrink: float = 0.005

    def __post_init__(self) -> None:
        if self.method not in ("ilk", "tvl1"):
            raise ValueError(f"method must be 'ilk' or 'tvl1', got {self.method!r}")
        if self.model not in ("dense", "shift", "hybrid"):
            raise ValueError(f"model must be 'dense', 'shift' or 'hybrid', got {self.model!r}")
        if self.margin < 0 or self.min_margin < 0 or self.max_side < 16 or self.radius < 1:
            raise ValueError("margins must be >= 0, max_side >= 16 and radius >= 1")
        if self.max_residual <= 0 or self.min_gain < 0:
            raise ValueError("max_residual must be > 0 and min_gain >= 0")
        if min(self.separation, self.texture, self.track_residual) < 0:
            raise ValueError("separation, texture and track_residual must be >= 0")
        if not 0 <= self.explained_ratio <= 1 or not 0 <= self.shrink < 1:
            raise ValueError("explained_ratio must lie in [0, 1] and shrink in [0, 1)")
        if not 0 <= self.stall < 1 or self.stall_speed < 0:
            raise ValueError("stall must lie in [0, 1) and stall_speed must be >= 0")


@dataclass(frozen=True)
class Motion:
    """Backward flow on a crop: pixel ``q`` of the new frame came from ``q + flow[:, q]``.

    ``box`` is the crop ``(y0, y1, x0, x1)`` in frame coordinates; ``flow`` has shape
    ``(2, y1 - y0, x1 - x0)`` (rows, columns). Outside the box the motion is unknown.
    ``background`` (the crop's shape, or None when the object's motion and the background's
    cannot be told apart) marks the pixels that move with the background. ``momentum`` is
    how the object and the background moved on this step, None when the background's motion
    was not measured; ``coasting`` says the object moved on with its earlier relative motion
    because it seemed to stall against the background. ``tracked`` (the crop's shape, or None)
    marks the textured pixels whose motion explains the new frame well
    (``MotionSettings.track_residual``); ``outside`` (likewise; None also when the object's
    motion and the background's can be told apart) those of them that the dense flow, too,
    brings from beyond the object (its mask below ``OUTSIDE`` there); ``explained`` (likewise;
    None also when the two motions cannot be told apart) those whose grey values the
    background's shift explains clearly better than the object's
    (``MotionSettings.explained_ratio``). ``shift`` is the object's own displacement (rows,
    columns, frame pixels; ``best_shift``), None with the ``"dense"`` model. ``scale`` is its
    size on the new frame over its size on the previous one (``motion_scale.scale_change``),
    None where too little of it is textured; ``zoom`` the same of its surroundings (``far_from``
    it): a camera's zoom, which what joins or leaves the object's edge does not sway.
    ``camera`` says the object moved with its surroundings' affine map (``estimate_motion``'s
    ``surroundings``) rather than with its whole-pixel ``shift``; ``placed`` that the map
    also explains the object's own pixels clearly better than the shift (``_placed``).
    """

    box: tuple[int, int, int, int]
    flow: np.ndarray
    background: np.ndarray | None = None
    momentum: Momentum | None = None
    coasting: bool = False
    tracked: np.ndarray | None = None
    shift: np.ndarray | None = None
    outside: np.ndarray | None = None
    explained: np.ndarray | None = None
    scale: float | None = None
    zoom: float | None = None
    camera: bool = False
    placed: bool = False

    def shrinks(self, least: float) -> bool:
        """Whether it moves with its surroundings and shrinks by ``least`` (0: never)."""
        return bool(least) and self.background is None and (self.scale or 1.0) <= 1.0 - least


def object_box(mask: np.ndarray, settings: MotionSettings) -> tuple[int, int, int, int] | None:
    """The object's bounding box grown by the motion margin, clipped to the frame; None if
    empty, or under 2 pixels a side (a frame that thin: no gradient, no motion to measure)."""
    box = grown_box(mask, 0)
    if box is None:
        return None
    size = max(box[1] - box[0], box[3] - box[2])
    box = grown_box(mask, max(settings.min_margin, math.ceil(settings.margin * size)))
    return box if min(box[1] - box[0], box[3] - box[2]) >= 2 else None


def _grey(image: np.ndarray) -> np.ndarray:
    weights = np.array([0.2125, 0.7154, 0.0721], np.float32) / 255.0
    return np.asarray(image, np.float32) @ weights


#: the value of the (bilinear) mask below which a point lies beyond the object
OUTSIDE = 0.25


def estimate_motion(
    previous: np.ndarray,
    current: np.ndarray,
    mask: np.ndarray,
    settings: MotionSettings,
    momentum: Momentum | None = None,
    course: np.ndarray | None = None,
    surroundings: bool = False,
) -> Motion | None:
    """Motion of the region around ``mask`` from image ``previous`` to ``current``.

    Args:
        previous: the frame the mask belongs to, uint8 ``(H, W, 3)``.
        current: the frame the mask moves to, same shape.
        mask: boolean ``(H, W)`` object mask on ``previous``.
        settings: crop, flow and motion-model settings.
        momentum: how the object and the background moved on the step before
            (``Motion.momentum``), or None. When the object moved against the background
            then and now seems to stall with it (``MotionSettings.stall``), it moves on rigidly
            with the background's motion plus ``momentum`` (an occluder passes in front).
        course: the object's displacement (rows, columns, frame pixels) on the step
            before (``Motion.shift``), or None: the object keeps its course unless its pixels
            say clearly otherwise (``best_shift``).
        surroundings: where the object moves with its surroundings (``Motion.background``
            None), move it with their motion fitted as one affine map (a camera's pan, zoom
            and roll, ``flow_fields.affine``) rather than its whole-pixel shift, unless the
            shift explains its pixels clearly better (``_own_motion``: it moves on its own):
            for a line a pixel or two wide, which a fraction of a pixel a frame soon moves
            off itself (``Motion.camera``).

    Returns the backward flow on the crop, or None when ``object_box`` finds no box.
    """
    from skimage.transform import resize

    box = object_box(mask, settings)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    size = (y1 - y0, x1 - x0)
    before, after = _grey(previous[y0:y1, x0:x1]), _grey(current[y0:y1, x0:x1])
    small_mask = mask[y0:y1, x0:x1].astype(np.float32)
    scale = min(1.0, settings.max_side / max(size))
    if scale < 1.0:
        small = (max(round(size[0] * scale), 8), max(round(size[1] * scale), 8))
        before = resize(before, small, anti_aliasing=True, preserve_range=True)
        after = resize(after, small, anti_aliasing=True, preserve_range=True)
        small_mask = resize(small_mask, small, order=1)
    flow = dense_flow(after, before, settings)
    dense = flow
    measurable = texture(after) >= settings.texture
    size_change = scale_change(dense, small_mask > 0.5, measurable) if settings.shrink else None
    zoom = scale_change(dense, far_from(small_mask > 0.25), measurable)
    background, measured, coasting, tracked, shift = None, None, False, None, None
    explained, moved_with, placed = None, False, False
    if settings.model != "dense":
        inside = small_mask > 0.25
        expected = None if course is None else np.asarray(course, np.float64) * scale
        shift = best_shift(before, after, inside, flow, expected)
        far = far_from(inside)
        moving = background_shift(far, flow)
        if moving is not None:
            if momentum is not None:
                stalled = stalls(shift - moving, moving, momentum, scale, settings)
                if stalled is not None:
                    shift, coasting = moving + stalled, True
            measured = Momentum((shift - moving) / scale, moving / scale)
        error = residual(before, after, flow)
        background = background_pixels(error, measurable, moving, flow, shift, settings)
        base = rigid(shift, flow.shape)
        base_error = residual(before, after, base)
        if (
            background is not None
            and settings.explained_ratio > 0
            and textured_background(far, measurable)
        ):
            moving_error = residual(before, after, rigid(moving, flow.shape))
            explained = explained_by(moving_error, base_error, settings)
        if surroundings and background is None and not coasting and settings.model == "hybrid":
            camera = affine(flow, measurable & (error <= settings.max_residual))
            if camera is not None:
                camera_error = residual(before, after, camera)
                if not _own_motion(base_error, camera_error, inside, settings):
                    placed = _placed(base_error, camera_error, inside)
                    base, base_error, moved_with = camera, camera_error, True
        flow = base if coasting else choose(flow, error, base, base_error, settings)
    if settings.track_residual > 0:
        tracked = (residual(before, after, flow) <= settings.track_residual) & measurable
    if scale < 1.0:
        flow = _to_crop(flow, size)  # back to crop resolution
        if background is not None:
            background = resize(background.astype(np.float32), size, order=0) > 0.5
        if tracked is not None:
            tracked = resize(tracked.astype(np.float32), size, order=0) > 0.5
        if explained is not None:
            explained = resize(explained.astype(np.float32), size, order=0) > 0.5
    outside = None
    if tracked is not None and background is None:
        # tracked, and where the dense flow too comes from beyond the object: a zoom moves
        # the object's edge off its shift by a fraction of a pixel, which the dense flow sees
        dense = _to_crop(dense, size) if scale < 1.0 else dense
        source = sample(mask[y0:y1, x0:x1].astype(np.float32), dense)
        outside = tracked & (source < OUTSIDE)
    moved = None if shift is None else np.asarray(shift, np.float32) / scale
    return Motion(
        box,
        flow.astype(np.float32),
        background,
        measured,
        coasting,
        tracked,
        moved,
        outside,
        explained,
        size_change,
        zoom,
        moved_with,
        placed,
    )


#: the share of the surroundings' error below which the object's own shift explains its
#: pixels clearly better (``_own_motion``)
OWN_SHARE = 0.5


def _own_motion(
    shift_error: np.ndarray, camera_error: np.ndarray, inside: np.ndarray, settings: MotionSettings
) -> bool:
    """Whether the object moves on its own, within ``separation`` of its surroundings: its
    shift explains its pixels (``inside``) clearly better than their affine map, by
    ``min_gain`` and to under ``OWN_SHARE`` of the map's error (the map, at a fraction of a
    pixel, blurs a sharp edge a little where a whole-pixel shift does not)."""
    own, camera = float(shift_error[inside].mean()), float(camera_error[inside].mean())
    return own + settings.min_gain < camera and own < OWN_SHARE * camera


#: the share of its shift's error below which its surroundings' map places an object
PLACED_SHARE = 0.9


def _placed(shift_error: np.ndarray, camera_error: np.ndarray, inside: np.ndarray) -> bool:
    """Whether the surroundings' affine map explains the object's pixels (``inside``) to under
    ``PLACED_SHARE`` of its shift's error: a pole swinging about its planted tip is explained
    by neither (within a few per cent), a ski the camera moves over by the map (0.5–0.8)."""
    return float(camera_error[inside].mean()) < PLACED_SHARE * float(shift_error[inside].mean())


def _to_crop(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flow of a downscaled crop at the crop's ``size``: interpolated, and its displacements
    stretched by the scale."""
    from skimage.transform import resize

    factors = np.array([size[0] / flow.shape[1], size[1] / flow.shape[2]], np.float32)
    return np.stack([resize(f, size, order=1) for f in flow]) * factors[:, None, None]


def move_points(points: np.ndarray, motion: Motion) -> np.ndarray:
    """Where points ``(N, 2)`` (rows, columns) of the previous frame lie on the new one.

    The flow is backward (a new pixel ``q`` came from ``q + flow[:, q]``), so each point ``p``
    moves to the ``q`` with ``q + flow[:, q] = p``, found by two fixed-point steps from
    ``p - flow[:, p]``. A point outside the motion's box (motion unknown) comes back as NaN.
    """
    y0, y1, x0, x1 = motion.box
    points = np.asarray(points, np.float64).reshape(-1, 2)
    origin = np.array([y0, x0], np.float64)
    last = np.array([y1 - y0 - 1, x1 - x0 - 1])
    local = points - origin
    inside = ((local >= -0.5) & (local <= last + 0.5)).all(axis=1)
    moved = local.copy()
    for _ in range(3):
        at = np.clip(np.rint(moved), 0, last).astype(int)
        moved = local - motion.flow[:, at[:, 0], at[:, 1]].T
    moved += origin
    moved[~inside] = np.nan
    return moved


def warp_mask(mask: np.ndarray, motion: Motion) -> np.ndarray:
    """``mask`` (H, W, bool or float) moved to the new frame: float32 in [0, 1], 0 off the box
    (``mask_at`` the motion's ``source_points``)."""
    return mask_at(mask, motion.box, source_points(motion))


def source_points(motion: Motion) -> np.ndarray:
    """Where each pixel of the motion's box came from on the previous frame: ``(2, h, w)``,
    rows and columns in frame coordinates."""
    y0, y1, x0, x1 = motion.box
    rows, cols = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    return np.stack([rows + motion.flow[0], cols + motion.flow[1]])


def mask_at(
    mask: np.ndarray, box: tuple[int, int, int, int], points: np.ndarray, order: int = 1
) -> np.ndarray:
    """``mask`` (H, W, bool or float) sampled at ``points`` (rows, columns), one for each pixel
    of ``box``: float32 in [0, 1], 0 off the box; bilinear (``order`` 1) or at the nearest
    pixel (``order`` 0). A point beyond an edge of the picture takes the value at that edge
    (an object entering the picture, or panned onto)."""
    from scipy.ndimage import map_coordinates

    y0, y1, x0, x1 = box
    out = np.zeros(np.shape(mask), np.float32)
    out[y0:y1, x0:x1] = map_coordinates(
        np.asarray(mask, np.float32), points, order=order, mode="nearest"
    )
    return np.clip(out, 0.0, 1.0)
