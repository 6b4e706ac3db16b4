"""A negative click on a spur of the mask removes the spur along its line, not just a dot.

A mask often runs out along a thin structure touching the object: a skier's mask up the gate
pole behind his arm, a player's mask along the stick of another. The annotator clicks
negative on that spur; an engine answers with a hole around the click and keeps the rest of
the spur between the click and the object. Here the spur the click lies on (a thin part of
the mask before the click, ``thin_parts.thin_part``) is removed along its straight line, as
far as the new mask stays thin there, so one click takes the whole spur away.

The object's own thin parts are safe: a spur holding at least ``MAX_SHARE`` of the mask is
the object itself (a pole, a ski), an object of lines (``thin_parts.mostly_lines``) has no
spurs (its thin parts are the object, however its widths split them), and the line of a
positive click is never removed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from ..shapes import grown_box, principal_axes
from ..types import Click
from .thin_parts import ThinSettings, mostly_lines, thin_part, thin_part_of

#: a spur holding this share of the mask or more is the object itself: left alone
MAX_SHARE = 0.5
#: pixels of the spur within this distance of the click give its line
LINE_FROM = 15
#: pixels of the new mask within this distance of the spur's line are removed
LINE_WITHIN = 2.0
#: the fewest spur pixels near the click that give a line
MIN_PIXELS = 6
#: a positive click within this distance of a thin piece keeps it
KEEP_NEAR = 2.0

_EIGHT = np.ones((3, 3), bool)


def without_spur(
    before: np.ndarray,
    probabilities: np.ndarray,
    clicks: list[Click],
    thin: Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """``probabilities`` with the spur under the newest click removed when it is negative
    (and the object is not one of lines).

    Args:
        before: the object's mask before the click (bool, H×W).
        probabilities: the engine's answer to ``clicks`` (float, H×W).
        clicks: all clicks; only the last one, when negative and on a thin part of
            ``before``, removes anything.
        thin: returns the thin part of ``before`` (``thin_part_of``), or None.
    """
    if not clicks or clicks[-1].positive or not before.any():
        return probabilities
    click = clicks[-1]
    y, x = round(click.y), round(click.x)
    settings = ThinSettings()
    short = ThinSettings(width=settings.width, min_length=1)
    # first, cheaply: is the mask thin at the click at all (a window that holds every disk
    # the opening could cover the click with)?
    reach = settings.width + 2
    y0, x0 = max(y - reach, 0), max(x - reach, 0)
    local = thin_part(before[y0 : y + reach + 1, x0 : x + reach + 1], short)
    if not local[max(y - 1 - y0, 0) : y + 2 - y0, max(x - 1 - x0, 0) : x + 2 - x0].any():
        return probabilities
    parts = (thin or thin_part_of(before))()
    if mostly_lines(before, parts, settings):
        return probabilities
    labels, _ = ndimage.label(parts, _EIGHT)
    under = labels[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
    spur = np.isin(labels, under[under > 0])
    if not spur.any() or np.count_nonzero(spur) >= MAX_SHARE * np.count_nonzero(before):
        return probabilities
    points = np.argwhere(spur)
    points = points[np.hypot(points[:, 0] - y, points[:, 1] - x) <= LINE_FROM]
    if len(points) < MIN_PIXELS:
        return probabilities
    centre, _, across = principal_axes(points.astype(np.float64))
    mask = probabilities > 0.5
    box = grown_box(mask | spur, settings.width)
    if box is None:
        return probabilities
    y0, y1, x0, x1 = box
    rows, cols = np.ogrid[y0:y1, x0:x1]
    on_line = np.abs((rows - centre[0]) * across[0] + (cols - centre[1]) * across[1])
    on_line = on_line <= LINE_WITHIN
    # the new mask's thin pieces, however short, that hold some of the spur, on its line;
    # a piece that a positive click touches is meant
    pieces, _ = ndimage.label(thin_part(mask, short)[y0:y1, x0:x1], _EIGHT)
    meant = np.zeros(pieces.shape, bool)
    for positive in (c for c in clicks if c.positive):
        meant |= (rows - positive.y) ** 2 + (cols - positive.x) ** 2 <= KEEP_NEAR**2
    hit = np.setdiff1d(pieces[spur[y0:y1, x0:x1]], pieces[meant])
    remove = np.isin(pieces, hit[hit > 0]) & on_line
    out = probabilities.copy()
    out[y0:y1, x0:x1] = np.where(remove, np.minimum(out[y0:y1, x0:x1], 0.25), out[y0:y1, x0:x1])
    return out
