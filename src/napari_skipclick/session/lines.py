"""The line through a click: a pole, a kite line, a stick, traced along its own colour.

A corrective click on a line that the mask misses (a kite line one pixel wide, a pole on
snow) says "this line belongs to the object". An engine that sees regions answers it with a
blob around the click, or floods the plain sky or snow the line crosses. Here the line is
traced instead: the colours around the click are projected onto the difference between the
clicked colour and its surroundings', so that the line is bright in that channel whatever its
colour; the line is the connected set of pixels, through the click, whose line strength
(``thin_parts.line_strength``) is at least ``LineSettings.strength`` times the click's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..shapes import principal_axes
from .thin_parts import ThinSettings, line_strength, thin_part


@dataclass(frozen=True)
class LineSettings:
    """How a line through a click is traced.

    The line is looked for within ``reach`` pixels of the click; the clicked colour (the median
    of its 3×3 neighbourhood) must differ from the median of the ring between ``ring`` and
    ``2 * ring`` pixels around it by at least ``min_contrast`` (colour units of 0..255), and the
    click's line strength (lines narrower than ``width``) must be at least ``line`` times that
    difference. The traced line holds the pixels of at least ``strength`` times the click's line
    strength connected to it; it counts only when at least ``thin_share`` of it is thinner
    than ``width``, it is at least ``min_length`` pixels long and at most ``max_mean_width``
    wide on average (its area over its length; else it is no line: a blob, a fold of a
    sleeve, a region of the click's colour). The line runs straight: its direction within
    ``straight_from`` pixels of the click fixes an axis, and only pixels within
    ``straight_within`` pixels of that axis count.
    """

    reach: int = 160
    ring: int = 4
    width: int = 7
    min_contrast: float = 12.0
    line: float = 0.5
    strength: float = 0.5
    thin_share: float = 0.8
    min_length: int = 40
    max_mean_width: float = 3.5
    straight_from: int = 15
    straight_within: float = 3.0


def line_through(
    image: np.ndarray, y: int, x: int, settings: LineSettings = LineSettings()
) -> np.ndarray | None:
    """Boolean mask (the frame's shape) of the line through pixel ``(y, x)`` of ``image``
    (uint8 RGB), or None when the click is on no line (see ``LineSettings``).

    Args:
        image: the frame, uint8 ``(H, W, 3)``.
        y: the click's row.
        x: the click's column.
        settings: reach, contrast and strength limits.
    """
    s = settings
    height, width = image.shape[:2]
    y0, y1 = max(y - s.reach, 0), min(y + s.reach + 1, height)
    x0, x1 = max(x - s.reach, 0), min(x + s.reach + 1, width)
    window = image[y0:y1, x0:x1].astype(np.float32)
    cy, cx = y - y0, x - x0
    rows, cols = np.ogrid[: window.shape[0], : window.shape[1]]
    distance = np.hypot(rows - cy, cols - cx)
    ring = (distance >= s.ring) & (distance <= 2 * s.ring)
    clicked = clicked_colour(window, cy, cx)
    direction = clicked - np.median(window[ring], axis=0)
    contrast = float(np.linalg.norm(direction))
    if contrast < s.min_contrast:
        return None
    strength = line_strength(window @ (direction / contrast), s.width)
    near = strength[max(cy - 1, 0) : cy + 2, max(cx - 1, 0) : cx + 2]
    peak = float(near.max())
    if peak < s.line * contrast:
        return None
    at = np.unravel_index(int(np.argmax(near)), near.shape)
    start = (max(cy - 1, 0) + int(at[0]), max(cx - 1, 0) + int(at[1]))
    line = _component(strength >= s.strength * peak, start)
    # straight on: only the pixels close to the line's direction at the click, so that the
    # trace does not run off along whatever bright structure the line touches
    ys, xs = np.nonzero(line & (distance <= s.straight_from))
    if ys.size < 3:
        return None
    centre, axis, _ = principal_axes(np.stack([ys, xs], 1).astype(np.float64))
    off = np.abs((rows - centre[0]) * axis[1] - (cols - centre[1]) * axis[0])
    line = _component(line & (off <= s.straight_within), start)
    if not line.any():
        return None
    rows_on, cols_on = np.nonzero(line)
    along = (rows_on - centre[0]) * axis[0] + (cols_on - centre[1]) * axis[1]
    length = float(np.ptp(along)) + 1.0
    area = np.count_nonzero(line)
    thin = np.count_nonzero(thin_part(line, ThinSettings(width=s.width, min_length=1)))
    if length < s.min_length or area > s.max_mean_width * length or thin < s.thin_share * area:
        return None
    out = np.zeros((height, width), bool)
    out[y0:y1, x0:x1] = line
    return out


def _component(mask: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    """The 8-connected part of boolean ``mask`` that holds pixel ``at`` (empty if it is off)."""
    labels, _ = ndimage.label(mask, np.ones((3, 3), bool))
    value = labels[at]
    return labels == value if value else np.zeros(mask.shape, bool)


def clicked_colour(image: np.ndarray, y: int, x: int) -> np.ndarray:
    """The colour of the pixel clicked at ``(y, x)`` of ``image`` (H×W×3): the median of its
    3×3 neighbourhood (a pixel of a line a pixel wide may be half the background)."""
    return np.median(image[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].reshape(-1, 3), 0)
