"""Straight thin parts (poles, sticks) found again on the next frame as whole lines that may turn.

A ski pole swings about the hand: between two frames its tip moves by many times its width
and its direction turns by several degrees, so its tiles (``thin_parts.follow_thin``), each
searched a few pixels around where the motion puts it, lose it, and the engine keeps a pole at
the old angle. A straight part is instead looked for as one segment of the same length: over
shifts of its centre and turns about it or about the end it swings about
(``straight_search``), the placement under which its points lie on the strongest line of the
part's own colour channel (``thin_parts.line_strength``, the colours projected onto the
difference between the part and its surroundings) wins, coarse to fine.
The line then runs on or stops where that channel says (a pole that shortens as it turns
towards the camera, or whose tip goes behind a leg). ``with_thin_parts`` follows a carried
mask's thin parts so, and the rest tile by tile (``thin_parts.follow_thin``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.draw import polygon

from ..shapes import on_picture, pieces, segment
from .motion import Motion
from .straight_search import REACH, best_placement, pivots, points, search
from .thin_parts import (
    ThinSettings,
    follow_thin,
    line_budget,
    line_strength,
    mostly_lines,
    part_channel,
    thin_part,
)

#: how much longer, as a share of its length, the part may become on the new frame
GROWTH = 0.3
#: the longest run of weak points, in pixels, that the line runs on across
GAP = 3
#: the least share of its length that the part keeps on the new frame
KEEP = 0.6
#: the least turn, in steps that move the part's ends by a pixel, that the search takes over
#: from the tiles; and by how much more of its line strength the turned part must lie on
#: than the best unturned placement
MIN_TURN = 3
TURN_GAIN = 0.1
#: share of a mask in straight parts that turned above which the object is those lines alone
LINES_ONLY = 0.8
#: pixels around the area a part swept between two frames where its old pixels may lie
SWEEP_MARGIN = 3


def with_thin_parts(
    fused: np.ndarray,
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    motion: Motion,
    settings: ThinSettings,
    visible: int | None = None,
    expected: float | None = None,
) -> tuple[np.ndarray, bool, int]:
    """The probabilities ``fused`` with the thin parts of ``previous`` (lines, poles, rims,
    which move by more than their width) followed onto ``image``: a straight part that
    turned as one line (``follow_straight``; the thin pixels of ``fused`` where it swept from
    are its old place, not the object, and an object that is such lines is them alone), the
    rest tile by tile along their line (``follow_thin``; for an object that is mostly lines,
    each tile's shape kept where its shift puts it), a line object held to its budget
    (``thin_parts.line_budget``, its base scaled by the camera's zoom, ``Motion.zoom``);
    whether a part turned so; and how many pixels the budget held back.

    Args:
        fused: the new frame's probabilities for the object (may be changed in place; the
            returned array holds the result).
        previous_image: the frame of ``previous``, uint8 ``(H, W, 3)``.
        image: the new frame, same shape.
        previous: the object's boolean mask on ``previous_image``.
        motion: the object's motion from ``previous_image`` to ``image``.
        settings: how thin parts are found and followed.
        visible: the object's area within the picture on ``image`` as the motion moves it
            across an edge (``picture_edges.in_picture``), the line budget's base; None: the
            area of ``previous``.
        expected: the object's expected area on ``previous_image``
            (``quality.ShapeHistory.expected``), the line budget's other base; None: none.
    """
    thin = thin_part(previous, settings)
    if not thin.any():
        return fused, False, 0
    straight = follow_straight(previous_image, image, previous, thin, motion, settings)
    if straight.handled.any():
        if np.count_nonzero(straight.handled) >= LINES_ONLY * np.count_nonzero(previous):
            fused = np.minimum(fused, 0.49)
        else:
            stale = straight.stale & thin_part(fused > 0.5, settings)
            fused[stale] = np.minimum(fused[stale], 0.49)
        fused[straight.pixels] = np.maximum(fused[straight.pixels], 0.51)
    rest = thin & ~straight.handled
    exact = mostly_lines(previous, thin, settings)
    found = follow_thin(previous_image, image, previous, rest, motion, settings, exact)
    fused[found] = np.maximum(fused[found], 0.51)
    lines = found | straight.pixels
    fused, held = line_budget(
        fused, lines, previous, thin, settings, visible, expected, motion.zoom
    )
    return fused, bool(straight.handled.any()), held


@dataclass(frozen=True)
class Straight:
    """What following the straight parts of a mask found: ``pixels`` the parts on the new
    frame, ``stale`` where the old ones may still lie (their sweep between the two frames,
    minus ``pixels``), ``handled`` the thin pixels on the previous frame that were followed
    so (all boolean, the frame's shape)."""

    pixels: np.ndarray
    stale: np.ndarray
    handled: np.ndarray


def follow_straight(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    thin: np.ndarray,
    motion: Motion,
    settings: ThinSettings,
) -> Straight:
    """The straight pieces of the thin part ``thin`` of mask ``previous`` found on ``image``.

    Each piece of ``thin`` (``shapes.pieces``: pieces a few pixels apart are one) that is
    one straight line (``shapes.segment``) and stands out from its surroundings as
    ``follow_thin``'s tiles must (``min_contrast``, ``separation``, ``line``) is searched as
    one segment (see the module): shifts of up to ``REACH`` pixels around the motion's
    displacement of its pixels and turns of up to ``settings.turn`` degrees about its centre
    or the end it may swing about (``straight_search.pivots``; 0: none is searched); it is
    found where its points reach ``settings.strength`` of the part's own line strength on
    average, a shift costing ``settings.drift`` per pixel.

    Args:
        previous_image: the frame of ``previous``, uint8 ``(H, W, 3)``.
        image: the new frame, same shape.
        previous: the object's boolean mask on ``previous_image``.
        thin: its thin part (``thin_parts.thin_part``).
        motion: the object's motion from ``previous_image`` to ``image``.
        settings: contrast, strength and straightness, as for ``follow_thin``.
    """
    shape = thin.shape
    pixels, stale, handled = (np.zeros(shape, bool) for _ in range(3))
    if not settings.turn:
        return Straight(pixels, stale, handled)
    for piece in pieces(thin):
        found = _follow_piece(previous_image, image, previous, piece, motion, settings)
        if found is None:
            continue
        new, old_ends, new_ends = found
        pixels[new[:, 0], new[:, 1]] = True
        stale |= _sweep(shape, old_ends, new_ends)
        handled[piece[:, 0], piece[:, 1]] = True
    return Straight(pixels, stale & ~pixels, handled)


def _follow_piece(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    piece: np.ndarray,
    motion: Motion,
    settings: ThinSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One straight piece found on the new frame: its pixels there, its ends on the previous
    frame and on the new one (rows of y, x); None when it is not straight, too short, does
    not stand out or is not found."""
    line = segment(piece)
    if line is None:
        return None  # not one straight line (two skis side by side, a bent arm)
    ends_old, width = line
    middle = ends_old.mean(axis=0)
    length = float(np.hypot(*(ends_old[1] - ends_old[0])))
    along = (ends_old[1] - ends_old[0]) / max(length, 1e-9)
    channel = part_channel(previous_image, previous, piece, settings)
    if channel.direction is None:
        return None
    direction, reference = channel.direction.astype(np.float32), channel.reference
    # the new frame around every placement the search may try
    predicted = middle + _motion_step(piece, motion)
    reach = REACH + length * (1 + GROWTH) / 2 + settings.width + 2
    y0, x0 = (max(int(v - reach), 0) for v in predicted)
    y1 = min(int(predicted[0] + reach) + 1, image.shape[0])
    x1 = min(int(predicted[1] + reach) + 1, image.shape[1])
    if y1 - y0 < 3 or x1 - x0 < 3:
        return None
    after = image[y0:y1, x0:x1].astype(np.float32) @ direction
    strength = np.minimum(line_strength(after, settings.width) / reference, 1.0)
    origin = np.array([y0, x0], np.float64)
    angle = math.atan2(along[0], along[1])
    best = search(
        strength, predicted - origin, angle, length, settings, pivots(previous, piece, ends_old)
    )
    if best is None or best[0] < settings.strength:
        return None
    score, centre_new, turn = best
    # a part that did not turn clearly is left to the tiles (``follow_thin``), which follow
    # a line that bends or that the search would place a pixel off as well as before
    turn_step = math.atan2(1.0, length / 2)
    if abs(turn) < MIN_TURN * turn_step:
        return None
    shifts = np.arange(-REACH, REACH + 1.0)
    still = best_placement(
        strength,
        predicted - origin,
        angle,
        points(length),
        settings.drift,
        predicted - origin,
        shifts,
        np.zeros(1),
    )
    if still is not None and score - still[0] < TURN_GAIN:
        return None
    axis = np.array([math.sin(angle + turn), math.cos(angle + turn)])
    extent = _extent(strength, centre_new, axis, length, settings.strength)
    if extent is None:
        return None
    start, stop = extent
    centre_new = centre_new + origin
    ends_new = np.array([centre_new + start * axis, centre_new + stop * axis])
    new = _line_pixels(centre_new, axis, (start, stop), width)
    return new[on_picture(new[:, 0], new[:, 1], image.shape)], ends_old, ends_new


def _line_pixels(
    centre: np.ndarray, axis: np.ndarray, extent: tuple[float, float], width: float
) -> np.ndarray:
    """The pixels (rows of y, x) within ``width / 2`` of the segment that runs along ``axis``
    from ``extent[0]`` to ``extent[1]`` pixels from ``centre``: the part drawn anew at its new
    angle (its own pixels, turned, would leave a staircase)."""
    start, stop = extent
    ends = np.array([centre + start * axis, centre + stop * axis])
    low = np.floor(ends.min(axis=0) - width - 2).astype(int)
    high = np.ceil(ends.max(axis=0) + width + 3).astype(int)
    rows, cols = np.mgrid[low[0] : high[0], low[1] : high[1]]
    offset = np.stack([rows - centre[0], cols - centre[1]], axis=-1)
    on = offset @ axis
    off = offset @ np.array([-axis[1], axis[0]])
    keep = (on >= start - 0.5) & (on <= stop + 0.5) & (np.abs(off) <= width / 2)
    return np.argwhere(keep) + low


def _motion_step(piece: np.ndarray, motion: Motion) -> np.ndarray:
    """The motion's displacement of ``piece`` (median over its pixels inside the flow's box,
    or the object's shift)."""
    y0, y1, x0, x1 = motion.box
    inside = (piece[:, 0] >= y0) & (piece[:, 0] < y1) & (piece[:, 1] >= x0) & (piece[:, 1] < x1)
    if inside.any():
        rows, cols = piece[inside, 0] - y0, piece[inside, 1] - x0
        return -np.median(motion.flow[:, rows, cols], axis=1).astype(np.float64)
    if motion.shift is not None:
        return np.asarray(motion.shift, np.float64)
    return np.zeros(2)


def _extent(
    strength: np.ndarray, centre: np.ndarray, axis: np.ndarray, length: float, least: float
) -> tuple[float, float] | None:
    """Where along ``axis`` from ``centre`` the line runs: out from the centre each way while
    the strength holds ``least`` (across gaps of up to ``GAP`` pixels), up to ``GROWTH``
    longer than ``length``; None when it keeps less than ``KEEP`` of ``length``."""
    height, width = strength.shape
    limit = length * (1 + GROWTH) / 2

    def run(sign: int) -> float:
        last, gap = 0.0, 0
        for d in np.arange(1.0, limit + 1.0):
            y, x = (round(float(v)) for v in centre + sign * d * axis)
            if not (0 <= y < height and 0 <= x < width):
                break
            if strength[y, x] >= least:
                last, gap = d, 0
            else:
                gap += 1
                if gap > GAP:
                    break
        return last

    back, ahead = run(-1), run(1)
    if back + ahead < KEEP * length:
        return None
    return -back, ahead


def _sweep(shape: tuple[int, int], old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The area a segment swept from ends ``old`` to ends ``new`` (their convex hull), grown
    by ``SWEEP_MARGIN`` pixels, in a frame of ``shape``."""
    points = np.concatenate([old, new])
    low = np.maximum(np.floor(points.min(axis=0)).astype(int) - SWEEP_MARGIN, 0)
    high = np.minimum(np.ceil(points.max(axis=0)).astype(int) + SWEEP_MARGIN + 1, shape)
    out = np.zeros(shape, bool)
    if (high <= low).any():
        return out
    local = points - low
    centre = local.mean(axis=0)
    order = np.argsort(np.arctan2(local[:, 0] - centre[0], local[:, 1] - centre[1]))
    box = tuple(high - low)
    area = np.zeros(box, bool)
    area[polygon(local[order, 0], local[order, 1], box)] = True
    for end in np.rint(local).astype(int):
        area[min(max(end[0], 0), box[0] - 1), min(max(end[1], 0), box[1] - 1)] = True
    out[low[0] : high[0], low[1] : high[1]] = ndimage.binary_dilation(area, iterations=SWEEP_MARGIN)
    return out
