"""A pole read from one click: a lone positive click on a pole, beside it or at its tip or grip
(``lone_line_click``), and the newest click of an object of poles, which adds the pole it
reads (``pole_added``); docs/engines.md, *One click on a pole gives the pole* and *Poles
clicked by turns*."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..shapes import median_width, straight_share
from ..types import Click
from .embedded_features import LAB_BINS
from .embedded_line_between import (
    click_distance,
    line_between,
    line_to_previous,
    ways_to_moved,
    with_way,
)
from .embedded_line_ends import traced_ends
from .embedded_pixel import line_disks, outside_share
from .embedded_pole_click import SNAP, line_width, pole_beside, pole_from_end, stands_out
from .embedded_refine import disk_labels
from .embedded_thin import (
    LINE_STEPS,
    RIDGE_RADIUS,
    contrast_to_surroundings,
    lightness_around,
    line_direction,
)

if TYPE_CHECKING:
    from .embedded_settings import EmbeddedSettings

#: share of a previous mask's pixels that must lie on straight lines at most ``thin_width``
#: wide (``shapes.straight_share``) for the object to count as poles, to which the pole of
#: each new click is added
LINES_SHARE = 0.9


def pole_added(
    a: dict,
    mask: np.ndarray,
    clicks: list[Click],
    prev: np.ndarray | None,
    widths: dict[int, float],
    s: EmbeddedSettings,
    asked: list[Click] | None,
) -> np.ndarray | None:
    """The previous mask and the pole of the newest click, where the object so far is poles
    (``LINES_SHARE``), the newest click is positive, reads no line back to the positive click
    before it, and alone reads a pole (``lone_line_click``: a pole beside it, or one that
    starts at it, clicked at its tip or grip; or the pole it is on, where ``mask`` is of the
    frame's border colours, ``border_share``, and that pole does not touch the previous
    mask: a click on a line inside a board the cut holds, or on more of a pole the object
    holds, is left to the thin pass), and ``mask`` leaked: it is more than ``leak_ratio``
    times the two together; else None. A line from an earlier positive click to the newest
    (the pole's other end) joins them.

    Poles clicked by turns (a pole's grip, the other pole's grip, the first one's tip; or
    each pole on itself) give the two poles: the way between two clicks on different poles
    reads no line, and the superpixel cut of them all floods the snow between (arguments as
    ``embedded_thin_pass.thin_objects``)."""
    newest = max(widths)
    if prev is None or newest != len(clicks) - 1:
        return None
    before = prev > 0.5
    if straight_share(before, s.thin_width) < LINES_SHARE:
        return None
    if line_to_previous(a["lab"], clicks, newest, s) is not None:
        return None  # on the line of the click before: the thin pass joins the two
    click = clicks[newest] if asked is None else asked[newest]
    width = line_width(a["lab"], click, s)
    on_line = stands_out(a["lab"], click, width, s)
    if on_line and border_share(a, mask) < BORDER_FLOOD:
        return None  # a graphic on a board the cut holds: the thin pass reads it
    pole = lone_line_click(a, mask, [click], {0: width}, s, flooded=True)
    if pole is mask or not pole.any() or _thick(pole, s):
        return None
    if on_line and (pole & ndimage.binary_dilation(before)).any():
        return None  # more of a pole the object holds: the thin pass reads it
    added = before | pole
    # the pole may be one clicked before, at its other end: the way to that click reads it
    placed = clicks if asked is None else asked
    for j in sorted(widths, reverse=True)[1:]:
        way = line_between(a["lab"], placed[j], click, s)
        if way is not None:
            added = with_way(added, way.near_first, way.near_second)
            break
    return added if np.count_nonzero(mask) > s.leak_ratio * np.count_nonzero(added) else None


#: a colour is the border's when it holds at least this share of the border superpixels'
#: pixels; a mask is a flood of the background when this share of its pixels are such
BORDER_COLOUR = 1e-3
BORDER_FLOOD = 0.5


def border_share(a: dict, mask: np.ndarray) -> float:
    """The share of ``mask``'s pixels whose colour bin is one of the frame's border colours
    (``BORDER_COLOUR`` of the pixels of the superpixels at the border of the image or crop
    ``a``): near 1 for a flood of snow around two poles, 0 for a dark board on white."""
    if not mask.any():
        return 0.0
    at_border = np.isin(a["hist_segment"], np.flatnonzero(a["border"]))
    bins, counts = a["hist_bin"][at_border], a["hist_count"][at_border]
    border = np.bincount(bins, weights=counts, minlength=int(np.prod(LAB_BINS)))
    border /= max(float(border.sum()), 1.0)
    return float(np.mean(border[a["pixel_bin"][mask]] >= BORDER_COLOUR))


def lone_line_click(
    a: dict,
    mask: np.ndarray,
    clicks: list[Click],
    widths: dict[int, float],
    s: EmbeddedSettings,
    flooded: bool | None = None,
) -> np.ndarray:
    """``mask`` with the pole under a lone positive click on one, traced on both ways along
    its own direction while it stands out (``traced_ends``, as from two clicks on it); where
    ``mask`` flooded away from the click, the pole's pixels in the click's disk
    (``line_disks``) stand in for it. A pole is a long line that stands out from plain
    surroundings (``stands_out``). A click that flooded the snow is read as a click on the
    pole it missed by up to ``SNAP`` pixels (``pole_beside``), or on the pole that starts
    near it, clicked at its tip or grip (``pole_from_end``; the straight way from the click to
    the pole joins the two); any other click keeps ``mask``. ``flooded`` says whether
    ``mask`` flooded away from the click; None: measured (``outside_share``)."""
    ((index, width),) = widths.items()
    click = asked = clicks[index]
    measure = flooded is None
    if measure:
        flooded = outside_share(mask, clicks, _reach(width, s)) > s.flood_share
    if not stands_out(a["lab"], click, width, s):
        beside = None
        if flooded:
            beside = pole_beside(a["lab"], click, s) or pole_from_end(a["lab"], click, s)
        if beside is None:
            short = flooded and _short_line(a["lab"], click, width, s)
            piece = _line_piece(a["lab"], mask, click, width, s) if short else None
            return mask if piece is None else piece
        click, width = beside
        clicks = [*clicks[:index], click, *clicks[index + 1 :]]
        if measure:
            flooded = outside_share(mask, clicks, _reach(width, s)) > s.flood_share
    if flooded:
        piece = _line_piece(a["lab"], mask, click, width, s)
        if piece is None:
            return mask
        mask = piece
    lightness, inside = lightness_around(a["lab"], click, RIDGE_RADIUS)
    along = line_direction(lightness, round(inside.y), round(inside.x), width)
    ahead = Click(click.y + 2 * along[0], click.x + 2 * along[1], True)  # two pixels on
    pole = mask | traced_ends(a["lab"], [*clicks, ahead], {index: width, len(clicks): width}, s)
    far = click_distance(click, asked) > SNAP  # the pole from its end
    return ways_to_moved(pole, [asked], [click]) if far else pole


def _short_line(lab8: np.ndarray, click: Click, width: float, s: EmbeddedSettings) -> bool:
    """Whether ``click`` lies on a line at most ``thin_width`` wide that stands out from its
    surroundings as a pole does (``line_contrast``) but does not go on far (the tip of a ski)."""
    if width > s.thin_width or s.line_contrast <= 0:
        return False
    lightness, inside = lightness_around(lab8, click, RIDGE_RADIUS + max(LINE_STEPS) + 1)
    return contrast_to_surroundings(lightness, round(inside.y), round(inside.x)) >= s.line_contrast


def _thick(mask: np.ndarray, s: EmbeddedSettings) -> bool:
    """Whether ``mask`` is wider than any thin object (``thin_width``, ``shapes.median_width``):
    a flood of the snow, not a line that goes on beyond the click."""
    return median_width(mask) > s.thin_width


def _line_piece(
    lab8: np.ndarray, mask: np.ndarray, click: Click, width: float, s: EmbeddedSettings
) -> np.ndarray | None:
    """The line's pixels in the disk of a lone ``click`` on it (``line_disks``), to stand in
    for ``mask``, which reached away from the click. Where the line's colour fills the whole
    disk (a line as wide as the disk, or one blurred by motion or by scaling), a disk one pixel
    wider than the line when ``mask`` is wider than a line (``_thick``: a flood), else None:
    ``mask``, a line that goes on beyond the click, stands."""
    disk = disk_labels(mask.shape, [click], s.click_radius)
    line = line_disks(lab8, [click], disk, {0: width}, s) > 0
    if np.count_nonzero(line) < np.count_nonzero(disk):
        return line
    if not _thick(mask, s):
        return None
    return disk_labels(mask.shape, [click], seed_radius(width, s)) > 0


def _reach(width: float, s: EmbeddedSettings) -> float:
    """How far from its clicks the mask of a thin object ``width`` pixels wide (at most
    ``thin_width``) may reach before it counts as a flood."""
    return s.leak_reach * max(s.band_min, s.band_factor * min(width, s.thin_width))


def seed_radius(width: float, s: EmbeddedSettings) -> float:
    """Radius of the disk a click fixes in the thin pass: ``click_radius``, or, for a
    positive click on a line at most ``thin_width`` wide (``width``; inf for none or a
    negative click), a disk one pixel wider than the line (at least one pixel in radius)."""
    if width > s.thin_width:
        return s.click_radius
    return max(1.0, min(s.click_radius, (width + 1) / 2))
