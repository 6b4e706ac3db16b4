"""Corrective clicks on a carried mask: a click changes the mask only around itself.

A mask that propagation carried to a frame holds what the motion, the colour model and the
engine agreed on; the engine alone, decoding the frame's clicks again, does not reproduce it.
So on such a mask a click that corrects it (positive outside, negative inside) takes from the
engine's new answer only the connected part at the click, and keeps the rest of the mask; a
positive click on a line (a pole, a kite line) adds the line, traced along its own colour, and
a negative click on a thin part of the mask (a ski, a pole) removes only the pixels there that
look like the clicked one, and one that would take a large part of the mask removes only the
pixels of that part whose colours are the surroundings' rather than the rest of the object's.
On an object of lines where it is a pixel or two wide (a pole), a negative click removes only
the clicked pixel: every pixel of such a line is part background, so its colours tell nothing,
and the line on either side of the click is as much the object as before.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from ..checks import corrects, other_side
from ..shapes import grown_box
from ..types import Click
from .appearance import ColourModel, ring_width
from .lines import LineSettings, clicked_colour, line_through
from .thin_parts import ThinSettings, mostly_lines, thin_part_of

#: radius in pixels of the disk a correction adds or removes where the engine changes nothing
DISK_RADIUS = 4.0
#: a correction's part reaches at most this many times the click's distance to the mask's
#: other side (plus ``DISK_RADIUS``) from the click
REACH = 4.0
#: a positive correction's part is cut to the engine's answer to the click alone when it adds
#: more than this many times as much (and that answer adds at least ``MIN_ALONE`` pixels)
FLOOD = 10.0
MIN_ALONE = 50
#: a negative correction's part of more than this many pixels keeps what looks like the object
#: (``background_cut``)
LARGE_CUT = 200
#: pixels within this many of a negative click on an object of lines that must all touch the
#: background for it to remove the clicked pixel alone (``on_narrow_line``)
NARROW_REACH = 2


def one_click_added(clicks: list[Click], previous: list[Click]) -> bool:
    """Whether ``clicks`` is ``previous`` plus one click at the end."""
    return len(clicks) == len(previous) + 1 and list(clicks[:-1]) == list(previous)


def local_edit(
    before: np.ndarray,
    after: np.ndarray,
    click: Click,
    radius: float = DISK_RADIUS,
    alone: Callable[[], np.ndarray] | None = None,
    image: Callable[[], np.ndarray] | None = None,
    thin: Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """``before`` changed only where ``click`` asks: the part of ``after`` that holds it.

    A positive click adds the connected part that ``after`` adds to ``before`` and that holds
    the click; a negative click removes the connected part that ``after`` removes and that
    holds it. The part is cut to a disk around the click whose radius grows with the click's
    distance ``d`` to the mask's other side (``REACH * d + radius``): a click deep in a missed
    region may change much, a click near the boundary little. Where ``after`` changes nothing
    at the click, a disk of radius ``max(d, radius)`` is added or removed, so that a correction
    always changes the mask. A positive click's part more than ``FLOOD`` times what the engine
    segments at the click on its own (``alone``) is cut to that: ``after`` flooded the
    surroundings of a small part (a ball between the legs, or far from the mask). A negative
    click on a thin part of ``before`` (``thin_part``: a ski, a pole) removes only what looks
    like the clicked pixel (``thin_cut``, with the frame from ``image``): a disk around a
    pixel on a ski's edge would take the ski's width with it; one on an object of lines where
    it is at most two pixels wide (``on_narrow_line``) removes the clicked pixel alone. Any
    other negative click whose part exceeds ``LARGE_CUT`` pixels removes only what looks like
    the surroundings (``background_cut``): the engine's answer to a click on the court between
    a player's legs takes a leg with it.

    Args:
        before: the mask the click corrects (bool, H×W).
        after: the engine's answer to all clicks (bool, H×W).
        click: the correction.
        radius: disk radius in pixels where ``after`` does not change at the click.
        alone: returns the engine's answer (bool, H×W) to the click alone on a fresh object;
            called only for a positive click whose part could be a flood.
        image: returns the frame (uint8 RGB); read only for a negative click on a thin part
            or with a large part.
        thin: returns the thin part of ``before`` (``thin_part_of``), or None.
    """
    at = (round(click.y), round(click.x))
    thin = thin or thin_part_of(before)
    if not click.positive and on_narrow_line(before, at, thin):
        edited = before.copy()
        edited[at] = False
        return edited
    part = _part(before, after, click, radius)
    if alone is not None and click.positive and part.sum() > FLOOD * MIN_ALONE:
        own = alone()
        if own[at] and after[at]:
            restricted = _part(before, after & own, click, radius)
            if MIN_ALONE <= restricted.sum() < part.sum() / FLOOD:
                part = restricted
    if not click.positive and image is not None:
        if thin()[at]:
            part = thin_cut(before, part, click, image())
        elif np.count_nonzero(part) > LARGE_CUT:
            part = background_cut(before, part, click, image())
    return (before | part) if click.positive else (before & ~part)


def on_narrow_line(
    mask: np.ndarray, at: tuple[int, int], thin: Callable[[], np.ndarray] | None = None
) -> bool:
    """Whether ``at`` (row, column) lies on a line of the boolean ``mask`` at most two pixels
    wide (every pixel of the mask within ``NARROW_REACH`` of it touches the background), and
    the object is one of lines (``thin_parts.mostly_lines``; ``thin`` returns the mask's
    thin part, ``thin_part_of``, or None)."""
    y, x = at
    reach = NARROW_REACH + 1  # the neighbours that tell whether a pixel touches the background
    y0, x0 = max(y - reach, 0), max(x - reach, 0)
    crop = mask[y0 : y + reach + 1, x0 : x + reach + 1]
    inner = ndimage.binary_erosion(crop, np.ones((3, 3), bool))  # touching nothing but mask
    near = inner[
        max(y - NARROW_REACH - y0, 0) : y + NARROW_REACH + 1 - y0,
        max(x - NARROW_REACH - x0, 0) : x + NARROW_REACH + 1 - x0,
    ]
    if not mask[y, x] or near.any():
        return False
    return mostly_lines(mask, (thin or thin_part_of(mask))(), ThinSettings())


def thin_cut(before: np.ndarray, part: np.ndarray, click: Click, image: np.ndarray) -> np.ndarray:
    """What a negative ``click`` on a thin part of the mask ``before`` removes of ``part``: the
    pixels no deeper in the mask than the click, whose colour is nearer the clicked pixel's
    (``clicked_colour``) than the rest of the mask's (its median), connected to the click; at
    least the clicked pixel. All of ``part`` where the two colours differ by less than
    ``LineSettings.min_contrast`` (a remnant of the object, its shadow)."""
    y, x = round(click.y), round(click.x)
    box = grown_box(part, 1 + ThinSettings().width)
    if box is None:
        return part
    y0, y1, x0, x1 = box
    crop, inside = part[y0:y1, x0:x1], before[y0:y1, x0:x1]
    colours = image[y0:y1, x0:x1].astype(np.float32)
    clicked = clicked_colour(image, y, x)
    rest = before & ~part
    own = np.median(image[rest], axis=0) if rest.any() else clicked
    if np.linalg.norm(clicked - own) < LineSettings().min_contrast:
        return part  # nothing to tell the clicked pixel from the object by
    nearer = np.linalg.norm(colours - clicked, axis=2) < np.linalg.norm(colours - own, axis=2)
    depth = ndimage.distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
    limit = depth[y - y0, x - x0] + 0.5
    components, _ = ndimage.label(crop & nearer & (depth <= limit))
    out = np.zeros_like(part)
    label = components[y - y0, x - x0]
    out[y0:y1, x0:x1] = components == label if label else False
    out[y, x] = True
    return out


def background_cut(
    before: np.ndarray, part: np.ndarray, click: Click, image: np.ndarray
) -> np.ndarray:
    """What a negative ``click`` removes of a large ``part`` of the mask ``before``: the
    pixels whose colours are more likely those around the mask than those of the rest of it
    (``ColourModel`` of ``before`` without ``part``, against a ring around ``before``), and the
    clicked pixel. All of ``part`` when the clicked pixel's own colour looks like the object's
    (the colours cannot tell what the click means) or nothing of the mask lies outside it."""
    rest = before & ~part
    if not rest.any():
        return part
    y, x = round(click.y), round(click.x)
    likelihood = ColourModel(image, rest).likelihood(image, before, ring_width(before))
    if likelihood[y, x] >= 0.5:
        return part
    out = part & (likelihood < 0.5)
    out[y, x] = True
    return out


def _part(before: np.ndarray, after: np.ndarray, click: Click, radius: float) -> np.ndarray:
    """The pixels a correction changes (``local_edit``), before the rules for a flood, a thin
    part and a large negative part."""
    y, x = round(click.y), round(click.x)
    change = (after & ~before) if click.positive else (before & ~after)
    components, _ = ndimage.label(change)
    rows, cols = np.ogrid[: before.shape[0], : before.shape[1]]
    squared = (rows - y) ** 2 + (cols - x) ** 2  # squared distance to the click
    d = other_side(before, click)
    d = radius if d is None else d
    if components[y, x]:
        return (components == components[y, x]) & (squared <= (REACH * d + radius) ** 2)
    return squared <= max(d, radius) ** 2


def corrected(
    prior: np.ndarray,
    probabilities: np.ndarray,
    clicks: list[Click],
    previous: list[Click],
    image: Callable[[], np.ndarray] | None = None,
    alone: Callable[[Click], np.ndarray] | None = None,
    thin: Callable[[], np.ndarray] | None = None,
) -> np.ndarray | None:
    """Probabilities of a carried mask after a correction, or None if ``clicks`` is not one.

    ``clicks`` is a correction when it is ``previous`` plus one click that ``corrects`` the
    ``prior`` mask. A positive correction on a line of the frame (a pole, a kite line:
    ``lines.line_through``) adds that line, not the engine's blob around the click or its
    flood of the snow or sky the line crosses; any other adds or removes the engine's answer
    around the click (``local_edit``). ``image`` returns the frame (uint8 RGB); it is read
    only for a positive correction or a negative one on a thin or a large part. ``alone``
    returns the engine's probabilities for one click on a fresh object (an all-zero prior, as
    a first click's); it is called only when a positive correction's part may be a flood.
    ``thin`` returns the thin part of the ``prior`` mask (``thin_part_of``), or None.
    """
    if not one_click_added(clicks, previous):
        return None
    before = prior > 0.5
    click = clicks[-1]
    if not before.any() or not corrects(before, click):
        return None
    line = None
    if click.positive and image is not None:
        line = line_through(image(), round(click.y), round(click.x))
    if line is not None:
        mask = before | line
    else:
        own = None if alone is None else lambda: alone(click) > 0.5
        mask = local_edit(before, probabilities > 0.5, click, alone=own, image=image, thin=thin)
    return np.where(mask, np.maximum(probabilities, 0.75), np.minimum(probabilities, 0.25))
