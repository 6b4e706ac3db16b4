"""Shape measures of a boolean mask that the engines and the session share: how wide and how
long a thin object is, and which of its pieces are straight lines (poles); which points lie
on the picture, and a mask's box."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

#: the least share of a piece's pixels close to its axis, against an evenly filled band's,
#: for it to be one straight line (``segment``; not two skis side by side, nor a bent arm)
SEGMENT_SHARE = 0.8
#: the shortest straight line, in pixels, whose direction can be told
MIN_SEGMENT = 24


def on_picture(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Which points ``(rows, cols)`` lie on a picture of ``shape`` (rows, columns, ...): those
    that round to one of its pixels."""
    height, width = shape[0] - 0.5, shape[1] - 0.5
    return (rows >= -0.5) & (rows < height) & (cols >= -0.5) & (cols < width)


def grown_box(mask: np.ndarray, grow: int) -> tuple[int, int, int, int] | None:
    """Bounding box ``(y0, y1, x0, x1)`` of ``mask`` grown by ``grow`` pixels, clipped to the
    frame; None when the mask is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    height, width = mask.shape
    return (
        max(int(rows[0]) - grow, 0),
        min(int(rows[-1]) + 1 + grow, height),
        max(int(cols[0]) - grow, 0),
        min(int(cols[-1]) + 1 + grow, width),
    )


def cropped(mask: np.ndarray) -> np.ndarray:
    """``mask`` cut to its box and padded by one pixel of background."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return np.pad(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 1)


def median_width(mask: np.ndarray) -> float:
    """Twice the median distance of ``mask``'s pixels to the outside (0 for an empty mask)."""
    if not mask.any():
        return 0.0
    crop = cropped(mask)
    return 2.0 * float(np.median(ndimage.distance_transform_edt(crop)[crop]))


def skeleton_length(mask: np.ndarray) -> int:
    """Pixels of ``mask``'s skeleton: a thin object's length, with its branches and pieces."""
    return int(np.count_nonzero(skeletonize(cropped(mask)))) if mask.any() else 0


def segment(points: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The straight line that the pixels ``points`` (rows of y, x) of one piece make: its two
    ends (a ``(2, 2)`` array of y, x) and its mean width (pixels per pixel of length), or None
    when the piece is shorter than ``MIN_SEGMENT`` or does not lie along one line: of its
    pixels, fewer lie within a quarter of that width plus a pixel of its principal axis
    than ``SEGMENT_SHARE`` of the share an evenly filled band of that width holds there (two
    skis side by side leave the middle between them empty, a bent arm its forearm off the
    axis; a thin line's staircase stays within it)."""
    if len(points) < MIN_SEGMENT:
        return None
    centre, along, across = principal_axes(points)
    offsets = (points - centre) @ along
    low, high = float(offsets.min()), float(offsets.max())
    length = high - low
    if length < MIN_SEGMENT:
        return None
    width = max(1.0, len(points) / (length + 1))
    near = np.abs((points - centre) @ across) <= width / 4 + 1.0
    # the share a band of that width, evenly filled, holds there
    even = min(1.0, 0.5 + 2.0 / width)
    if np.count_nonzero(near) < SEGMENT_SHARE * even * len(points):
        return None
    return centre + np.outer([low, high], along), width


def pieces(mask: np.ndarray, gap: int = 2) -> list[np.ndarray]:
    """The pixels (rows of y, x) of each piece of ``mask``; pieces up to ``2 * gap`` pixels
    apart (a line with a gap) are one."""
    if not mask.any():
        return []
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    corner = np.array([rows[0], cols[0]])
    crop = np.pad(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], gap)
    groups, _ = ndimage.label(ndimage.binary_dilation(crop, iterations=gap) if gap else crop)
    out = []
    for index, where in enumerate(ndimage.find_objects(groups), start=1):
        if where is None:
            continue
        points = np.argwhere(crop[where] & (groups[where] == index))
        out.append(points + np.array([where[0].start, where[1].start]) + corner - gap)
    return out


def straight_share(mask: np.ndarray, max_width: float) -> float:
    """Share of ``mask``'s pixels in pieces (``pieces``) that are straight lines at most
    ``max_width`` wide (``segment``), or too short to tell and at most that wide (pixels per
    pixel of extent): 1 for a pair of poles, 0 for a bent arm; 0 for an empty mask, or one
    more than half of which lies in parts wider than ``max_width`` (a body, a board)."""
    total = np.count_nonzero(mask)
    if total == 0:
        return 0.0
    # a body or a board, most of it wider than any such line, is told without its pieces
    crop = cropped(mask)
    side = int(np.ceil(max_width)) + 2
    wide = ndimage.maximum_filter(ndimage.minimum_filter(crop, side), side) & crop
    if 2 * np.count_nonzero(wide) > total:
        return 0.0
    straight = 0
    for points in pieces(mask):
        extent = float(np.hypot(*np.ptp(points, axis=0))) + 1
        if extent < MIN_SEGMENT:
            line = len(points) / extent <= max_width
        else:
            found = segment(points)
            line = found is not None and found[1] <= max_width
        straight += len(points) if line else 0
    return straight / total


def principal_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The centre of ``points`` (``(N, 2)``, rows and columns) and unit vectors along and
    across their principal direction."""
    centre = points.mean(axis=0)
    axes = np.linalg.svd(points - centre, full_matrices=False)[2]
    return centre, axes[0], axes[1]
