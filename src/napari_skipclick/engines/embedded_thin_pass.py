"""The embedded engine's thin-object pass: which positive clicks lie on a line or a pole, and
when the thin mask (``embedded_thin.thin_segment``) replaces the superpixel result
(docs/engines.md, *Thin objects* and *A first click on a pole*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..checks import in_crop
from ..shapes import median_width
from ..types import Click
from .embedded_features import lab_float
from .embedded_line_between import (
    gaps_bridged,
    line_to_previous,
    way_covered,
    ways_to_moved,
)
from .embedded_line_ends import traced_ends
from .embedded_lone_pole import lone_line_click, pole_added, seed_radius
from .embedded_pixel import colour_disks, object_box, outside_share
from .embedded_pole_click import pole_beside, stands_out
from .embedded_refine import connected_to_clicks
from .embedded_thin import (
    RIDGE_RADIUS,
    lightness_around,
    lightness_difference,
    thin_segment,
)

if TYPE_CHECKING:
    from .embedded_settings import EmbeddedSettings


def thin_band(widths: list[float], s: EmbeddedSettings) -> tuple[float | None, bool]:
    """Half-width of the band around a thin object's core and whether the positive clicks
    lie on a line (at least two thirds of them: one where the line crosses something, a
    gate pole, a glove, reads no line there); None when the clicks do not read as a thin
    object.

    ``widths`` are the line widths at the positive clicks (``line_width``). The object is
    thin when there are two positive clicks or more and their median is at most
    ``thin_width``.
    """
    if len(widths) < 2:
        return None, False
    width = float(np.median(widths))
    if width > s.thin_width:
        return None, False
    count = sum(w <= s.thin_width for w in widths)
    return max(s.band_min, s.band_factor * width), 3 * count >= 2 * len(widths)


def thin_objects(
    a: dict,
    mask: np.ndarray,
    clicks: list[Click],
    prev: np.ndarray | None,
    widths: dict[int, float],
    s: EmbeddedSettings,
    asked: list[Click] | None = None,
) -> np.ndarray:
    """``mask``, or the thin-object mask where ``mask`` leaked (docs/engines.md).

    Args:
        a: the feature arrays of the image (or zoom crop).
        mask: the superpixel (and pixel-refined) result.
        clicks: all clicks.
        prev: the previous probabilities, or None.
        widths: the line widths at the positive clicks, by click index (``line_width``).
        s: the engine's settings.
        asked: the clicks as placed, where ``clicks`` moved some at a pole's ends onto its
            line (``clicks_at_line_ends``); the way from each to its moved click is the pole's.

    A positive click on a line fixes a disk only one pixel wider than the line
    (``seed_radius``), so a click on a faint pole does not fix a blob of the snow around it.
    """
    if len(widths) == 1:
        return lone_line_click(a, mask, clicks, widths, s)
    added = pole_added(a, mask, clicks, prev, widths, s, asked)
    if added is not None:
        return added
    thin = _thin_pass(a, mask, clicks, prev, widths, s, asked)
    return mask if thin is None else thin


def _thin_pass(
    a: dict,
    mask: np.ndarray,
    clicks: list[Click],
    prev: np.ndarray | None,
    widths: dict[int, float],
    s: EmbeddedSettings,
    asked: list[Click] | None,
) -> np.ndarray | None:
    """The thin mask of two or more positive clicks where it replaces ``mask`` (or ``mask``
    with the poles traced from the clicks on them), None where ``mask`` stands as it is
    (arguments as ``thin_objects``)."""
    band, on_lines = thin_band(list(widths.values()), s)
    if band is None:
        return None
    reach = s.leak_reach * band
    flood = outside_share(mask, clicks, reach) > s.flood_share
    if not (flood or on_lines):
        return None
    y0, y1, x0, x1 = object_box(mask.shape, clicks, None, max(s.thin_margin, 3 * band + 2))
    lab = lab_float(a["lab"][y0:y1, x0:x1])
    shifted = [in_crop(click, (y0, y1, x0, x1)) for click in clicks]
    kept = [i for i, c in enumerate(shifted) if c is not None]
    inside = [shifted[i] for i in kept]
    seeds = [seed_radius(widths.get(i, np.inf), s) for i in range(len(clicks))]
    seeds = off_line_radii(widths, seeds, prev, s)
    radii = [seeds[i] for i in kept]
    crop_mask, held = thin_segment(
        lab,
        a["pixel_bin"][y0:y1, x0:x1],
        (a["weight_right"][y0:y1, x0 : x1 - 1], a["weight_down"][y0 : y1 - 1, x0:x1]),
        colour_disks(lab, inside, radii, s.colour_tolerance),
        [(round(c.y), round(c.x)) for c in inside if c.positive],
        band,
        s,
    )
    thin = np.zeros(mask.shape, dtype=bool)
    thin[y0:y1, x0:x1] = connected_to_clicks(crop_mask, inside)
    grows = np.count_nonzero(mask) > s.leak_ratio * np.count_nonzero(thin)
    # a pole on plain snow goes on past the clicks on it: traced to its ends
    on_pole = (i for i, width in widths.items() if width <= s.thin_width)
    if on_lines and any(stands_out(a["lab"], clicks[i], widths[i], s) for i in on_pole):
        traced = traced_ends(a["lab"], clicks, widths, s)
    else:
        traced = np.zeros(mask.shape, bool)
    newest = max(widths)  # the index of the newest positive click
    thin |= traced
    if asked is not None:
        thin = ways_to_moved(thin, asked, clicks)
    partner = _line_held(a["lab"], thin, clicks, newest, widths, s) if flood or grows else None
    if partner is not None:
        thin = gaps_bridged(thin, clicks[newest], clicks[partner])
    # the newest click reads a line on the way to the one before, or was moved onto one (at a
    # pole's end: clicks_at_line_ends, clicks_at_pole_starts)
    line = partner is not None or _moved(newest, clicks, asked)
    leaked = (held <= s.thin_held or line) and (flood or grows)
    # the newest click and the one before on one line, when that one alone could not tell a
    # pole (the first click, or one at a pole's end) from what it flooded
    pair = partner is not None and (partner == min(widths) or _moved(partner, clicks, asked))
    keeps = leaked and (
        pair or _keeps_prior(thin, prev, clicks, reach, a["lab"], widths[newest], s, line)
    )
    if keeps:
        return thin
    return mask | traced if traced.any() else None


def _moved(index: int, clicks: list[Click], asked: list[Click] | None) -> bool:
    """Whether click ``index`` was moved onto a line (``asked`` differs from ``clicks``)."""
    return asked is not None and asked[index] != clicks[index]


def _line_held(
    lab8: np.ndarray,
    thin: np.ndarray,
    clicks: list[Click],
    newest: int,
    widths: dict[int, float],
    s: EmbeddedSettings,
) -> int | None:
    """The index of the positive click before the ``newest`` when a line runs straight
    between the two (``line_to_previous``) and the object is that line, else None: every
    positive click lies on a line and ``thin`` holds ``way_share`` of the way between the two
    (``way_covered``)."""
    if not all(width <= s.thin_width for width in widths.values()):
        return None
    partner = line_to_previous(lab8, clicks, newest, s)
    if partner is None or way_covered(thin, clicks[newest], clicks[partner]) < s.way_share:
        return None
    return partner


def _line_contrast(lab8: np.ndarray, click: Click) -> float:
    """``lightness_difference`` of the pixel under ``click`` in the window of ``RIDGE_RADIUS``
    around it: lighter than its surroundings (> 0) or darker (< 0), by how much."""
    lightness, inside = lightness_around(lab8, click, RIDGE_RADIUS)
    return lightness_difference(lightness, round(inside.y), round(inside.x), RIDGE_RADIUS)


def snap_near_misses(
    lab8: np.ndarray, clicks: list[Click], widths: dict[int, float], s: EmbeddedSettings
) -> tuple[list[Click], dict[int, float]]:
    """``clicks`` and ``widths`` with each positive click that just missed the object's line
    moved onto it.

    On an object whose positive clicks lie on lines (``thin_band``) that stand out the same
    way from their surroundings (all darker, or all lighter: ``_line_contrast``), a positive
    click that stands out less than half as much as the others' median while a pole passes
    within ``SNAP`` pixels (``pole_beside``) that stands out as they do is read as a click on
    that pole: aimed at a pole two pixels wide, it landed on the snow beside it, whose colour
    would otherwise join the object. A click on the line itself, or of the object's own
    lightness (a white ski beside its dark shadow), never moves.
    """
    if not thin_band(list(widths.values()), s)[1]:
        return clicks, widths
    contrast = {i: _line_contrast(lab8, clicks[i]) for i in widths}
    on_line = [i for i, w in widths.items() if w <= s.thin_width]
    clicks, widths = list(clicks), dict(widths)
    for i in contrast:
        others = np.array([contrast[j] for j in on_line if j != i])
        if len(others) < 2 or not (np.all(others > 0) or np.all(others < 0)):
            continue
        sign, strength = np.sign(others[0]), float(np.median(np.abs(others)))
        if sign * contrast[i] >= strength / 2:
            continue
        beside = pole_beside(lab8, clicks[i], s)
        if beside is not None and sign * _line_contrast(lab8, beside[0]) >= strength / 2:
            clicks[i], widths[i] = beside
    return clicks, widths


def off_line_radii(
    widths: dict[int, float], radii: list[float], prev: np.ndarray | None, s: EmbeddedSettings
) -> list[float]:
    """``radii`` of the clicks' disks, with the disk of each positive click that reads no line
    cut to what a click on a line fixes (``seed_radius`` of the lines' median width), when the
    object is a line: its positive clicks lie on lines (``thin_band``: two thirds of them at
    least) and its previous probabilities ``prev``, if any, are a mask at most twice as wide
    as those lines and at most ``thin_width`` (``shapes.median_width``). A click at a pole's
    tip fixed a blob of snow; the clicks of a wide object with a fine texture, or of a kite
    with its lines, keep their disks."""
    on_lines = [w for w in widths.values() if w <= s.thin_width]
    if not thin_band(list(widths.values()), s)[1]:
        return radii
    line = float(np.median(on_lines))
    if prev is not None and median_width(prev > 0.5) > min(2 * line, s.thin_width):
        return radii
    reach = seed_radius(line, s)
    return [min(r, reach) if widths.get(i, 0.0) > s.thin_width else r for i, r in enumerate(radii)]


def _keeps_prior(
    thin: np.ndarray,
    prev: np.ndarray | None,
    clicks: list[Click],
    reach: float,
    lab8: np.ndarray,
    width: float,
    s: EmbeddedSettings,
    line: bool,
) -> bool:
    """Whether the thin mask may replace the previous one.

    It must keep ``keep_share`` of the previous mask, unless that mask had flooded away from
    the clicks and the latest positive click lies inside it (the click adds nothing to the
    flood: it says which thin part of it is meant) or on a pole (``stands_out``, with the
    image's Lab colours ``lab8`` and the line ``width`` at the click: the first click on the
    pole flooded the snow, the second, outside that flood, says the line is meant) or on the
    ``line`` that runs to another positive click (``_line_held``). So a click that corrects
    a sound wide object is never read as a line.
    """
    if prev is None:
        return True
    before = prev > 0.5
    area = np.count_nonzero(before)
    if area == 0:
        return True
    if np.count_nonzero(thin & before) >= s.keep_share * area:
        return True
    if outside_share(before, clicks, reach) <= s.flood_share:
        return False
    last = [c for c in clicks if c.positive][-1]
    return line or bool(before[round(last.y), round(last.x)]) or stands_out(lab8, last, width, s)
