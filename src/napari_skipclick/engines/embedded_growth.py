"""Guards of the embedded engine against growth the clicks did not ask for: large additions
that hold no positive click, the parts of the newest positive click's addition far thicker
than the missing part the click can have asked for (a flood into the background), and, where
no click corrects the previous mask (a zoom refinement of the clicks it came from), whatever
reaches beyond its boundary's settling."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..checks import corrects, other_side
from ..types import Click
from .embedded_refine import connected_to_clicks


def drop_unasked_growth(
    before: np.ndarray, after: np.ndarray, clicks: list[Click], share: float
) -> np.ndarray:
    """``after`` without the large additions no click asked for.

    A connected part that ``after`` adds to ``before``, holds no positive click and is larger
    than ``share`` of ``before``'s area goes back to background: a new click's colours may
    swing the whole colour model, but the object should grow only where a click says so. Small
    additions (the boundary settling) and removals stay.
    """
    area = np.count_nonzero(before)
    components, count = ndimage.label(after & ~before)
    if area == 0 or count == 0:
        return after
    sizes = np.bincount(components.ravel(), minlength=count + 1)
    asked = {int(components[round(c.y), round(c.x)]) for c in clicks if c.positive}
    undo = [k for k in np.flatnonzero(sizes > share * area) if k != 0 and k not in asked]
    return after & ~np.isin(components, undo) if undo else after


def drop_far_growth(
    before: np.ndarray, after: np.ndarray, clicks: list[Click], reach: float
) -> np.ndarray:
    """``after`` without the additions that reach beyond ``reach`` when no click asks for any.

    Where no click corrects ``before`` (every positive click inside it, every negative one
    outside: a re-decode of the clicks it came from, as the zoom refinement is), nothing asks
    the object to grow, and an addition is only the boundary settling. Each connected part
    that ``after`` adds to ``before`` and whose farthest pixel lies more than ``reach`` pixels
    from ``before`` is new ground (a block of background the crop's colours took in) and goes
    back to background, however small. Removals stay.
    """
    if not before.any() or any(corrects(before, click) for click in clicks):
        return after
    components, count = ndimage.label(after & ~before)
    if count == 0:
        return after
    distance = ndimage.distance_transform_edt(~before)
    farthest = ndimage.maximum(distance, components, np.arange(1, count + 1))
    far = np.flatnonzero(np.asarray(farthest) > reach) + 1
    return after & ~np.isin(components, far) if far.size else after


def _depth(region: np.ndarray) -> np.ndarray:
    """Distance of each pixel of ``region`` to the nearest pixel outside it; the image border
    counts as outside, as for the simulated user's clicks."""
    padded = np.pad(region, 1, mode="constant", constant_values=False)
    return ndimage.distance_transform_edt(padded)[1:-1, 1:-1]


def drop_thick_growth(
    before: np.ndarray, after: np.ndarray, clicks: list[Click], factor: float
) -> np.ndarray:
    """``after`` without the parts of the newest click's addition thicker than it asked for.

    A positive click on a missing part of the object lies inside that part, at distance ``d``
    from the mask ``before``; so the part is no thicker (its largest inscribed disk has no
    larger radius) than ``d``. Where the connected addition holding the click has parts with an
    inscribed radius above ``factor · d`` (the opening of the addition by that radius), those
    parts go back to background, except within ``d`` of the click; then only the foreground
    connected to a positive click is kept. A thin part the click asked for (a tail, a ski) keeps
    its length; a flood into the background beside it does not stay.

    Args:
        before: the previous mask.
        after: the new mask.
        clicks: all clicks; nothing changes unless the last one is positive and outside
            ``before`` and inside ``after``.
        factor: how much thicker than ``d`` an added part may be.
    """
    click = clicks[-1]
    y, x = round(click.y), round(click.x)
    if not click.positive or not before.any() or before[y, x] or not after[y, x]:
        return after
    grown = after & ~before
    rows, cols = np.flatnonzero(grown.any(axis=1)), np.flatnonzero(grown.any(axis=0))
    # all work below happens in the box of the additions, which holds the click's addition
    y0, x0 = int(rows[0]), int(cols[0])
    window = np.s_[y0 : int(rows[-1]) + 1, x0 : int(cols[-1]) + 1]
    components, _ = ndimage.label(grown[window])
    added = components == components[y - y0, x - x0]
    asked = other_side(before, click)
    reach = factor * asked
    core = _depth(added) > reach
    if not core.any():
        return after
    thick = added & (ndimage.distance_transform_edt(~core) <= reach)
    yy, xx = np.ogrid[: added.shape[0], : added.shape[1]]
    thick &= (yy - (y - y0)) ** 2 + (xx - (x - x0)) ** 2 > asked**2
    kept = after.copy()
    kept[window] &= ~thick
    return connected_to_clicks(kept, clicks)


def guard_growth(
    before: np.ndarray, after: np.ndarray, clicks: list[Click], share: float, factor: float
) -> np.ndarray:
    """``after`` with both guards applied: ``drop_unasked_growth`` with ``share`` and
    ``drop_thick_growth`` with ``factor`` (each off at 0)."""
    if share > 0:
        after = drop_unasked_growth(before, after, clicks, share)
    if factor > 0:
        after = drop_thick_growth(before, after, clicks, factor)
    return after
