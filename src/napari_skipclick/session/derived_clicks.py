"""Clicks that describe a mask on the next frame: derived from the mask itself, and the user's
clicks of the frame before where they still hold."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..checks import click_inside
from ..engines.embedded_refine import click_disks
from ..types import Click
from .motion import Motion, move_points

if TYPE_CHECKING:
    from .propagation_settings import PropagationSettings


def derive_clicks(mask: np.ndarray, settings: PropagationSettings) -> list[Click]:
    """Clicks that describe ``mask`` for the next frame.

    Positive: the most interior pixel (maximum of the Euclidean distance transform, EDT) of
    each sizeable component (>= 10 % of the largest), then further interior pixels (EDT at
    least ``settings.interior`` of the component's maximum: a player's legs as well as the
    trunk) chosen farthest from those already taken, while they lie at least
    ``max(10, max EDT)`` away. Negative: pixels on a ring at distance
    ``clip(diagonal / 4, 8, 60)`` outside the mask (diagonal of its bounding box), spread
    around it by farthest-point sampling.
    """
    mask = np.asarray(mask, bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    diagonal = math.hypot(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    radius = float(np.clip(diagonal / 4, 8, 60))
    # Work in the mask's box grown by the ring radius: the same result, at the object's cost.
    margin = math.ceil(radius) + 2
    y0, x0 = max(int(rows[0]) - margin, 0), max(int(cols[0]) - margin, 0)
    crop = mask[y0 : int(rows[-1]) + 1 + margin, x0 : int(cols[-1]) + 1 + margin]
    clicks = [
        Click(float(y + y0), float(x + x0), True) for y, x in _interior_points(crop, settings)
    ]
    if settings.max_negative:
        outside = ndimage.distance_transform_edt(~crop)
        ring = np.argwhere((outside >= radius) & (outside < radius + 1.5))
        if ring.size:
            negatives = _farthest_points(ring, [tuple(ring[0])], settings.max_negative, 1.0)
            clicks += [Click(float(y + y0), float(x + x0), False) for y, x in negatives]
    return clicks


def _interior_points(mask: np.ndarray, settings: PropagationSettings) -> list[tuple[int, int]]:
    """Positive click positions of ``mask`` (see ``derive_clicks``); the border is outside."""
    inside = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    components, count = ndimage.label(mask)
    sizes = ndimage.sum_labels(mask, components, range(1, count + 1))
    order = [int(i) + 1 for i in np.argsort(-sizes) if sizes[i] >= 0.1 * sizes.max()]
    chosen: list[tuple[int, int]] = []
    candidates = []
    for label in order[: settings.max_positive]:
        region = np.where(components == label, inside, 0.0)
        peak = np.unravel_index(int(np.argmax(region)), mask.shape)
        chosen.append((int(peak[0]), int(peak[1])))
        candidates.append(np.argwhere(region >= settings.interior * region.max()))
    spacing = max(10.0, float(inside.max()))
    return _farthest_points(np.concatenate(candidates), chosen, settings.max_positive, spacing)


def _farthest_points(
    points: np.ndarray, chosen: list[tuple[int, int]], count: int, min_distance: float
) -> list[tuple[int, int]]:
    """Extend ``chosen`` with points farthest from it until ``count`` or closer than the limit."""
    chosen = list(chosen[:count])
    points = points.astype(np.float64)
    nearest = np.full(len(points), np.inf)
    for y, x in chosen:
        nearest = np.minimum(nearest, np.hypot(points[:, 0] - y, points[:, 1] - x))
    while len(chosen) < count and len(points):
        best = int(np.argmax(nearest))
        if nearest[best] < min_distance:
            break
        y, x = (int(v) for v in points[best])
        chosen.append((y, x))
        nearest = np.minimum(nearest, np.hypot(points[:, 0] - y, points[:, 1] - x))
    return chosen


def carried_clicks(
    clicks: Sequence[Click], motion: Motion | None, carried: np.ndarray, depth: float
) -> list[Click]:
    """The user's clicks of the previous frame that still hold on the new one.

    Each click moves with the motion (``move_points``); it holds where every pixel within
    ``depth`` of it lies on its side of the carried mask ``carried``: inside for a positive
    click, outside for a negative one. A click that lands near the mask's edge, where the
    motion's error of a pixel or two decides its side, or off the frame, is left behind.
    """
    if not clicks or motion is None:
        return []
    moved = move_points(np.array([(c.y, c.x) for c in clicks]), motion)
    landed = [
        Click(float(y), float(x), click.positive)
        for click, (y, x) in zip(clicks, moved, strict=True)
        if click_inside(y, x, carried.shape)  # not off the frame or the motion's box (NaN)
    ]
    return [
        click
        for click, window, disk in click_disks(carried.shape, landed, depth)
        if (carried[window] if click.positive else ~carried[window])[disk].all()
    ]
