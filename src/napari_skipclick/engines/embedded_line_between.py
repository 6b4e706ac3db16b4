"""Clicks at the ends of a pole: the line between two positive clicks says they are on it.

A click at a pole's tip (where it meets the snow) or at its grip (on the glove) reads no
line under it (``line_width``: inf or wider than ``thin_width``), so with one such click out
of two the thin pass did not take the object for a line and the superpixel result flooded
the snow. An annotator clicks a pole's two ends; the pole runs straight between them. So a
positive click that reads no line is on the line of another positive click when the straight
way between the two reads a line along it (``line_width`` at most ``thin_width``, running
within ``ALONG_DEGREES`` of the way) at ``way_share`` of the points ``STEP`` pixels apart, leaving
out ``END`` pixels at both ends, and at ``PROBES_HELD`` of the ``PROBES`` (read first: most
ways are no line, and two readings say so). Where the thin mask holds such a way, its gaps of up to
``GAP`` pixels (a gate pole the pole passes) are the pole too (docs/engines.md, *Clicks at a
pole's two ends*).
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..types import Click
from .embedded_thin import RIDGE_RADIUS, lightness_around, line_direction, ridge_width

if TYPE_CHECKING:
    from .embedded_settings import EmbeddedSettings

#: pixels between the points read on the way between two clicks
STEP = 3.0
#: pixels at each end of the way that are not read (a tip, a glove)
END = 4.0
#: the fewest points read: a shorter way says nothing
MIN_POINTS = 4
#: largest angle, in degrees, between the line at a point and the way
ALONG_DEGREES = 20.0
#: where on the way (shares of its length) a line is looked for first, and at how many of
#: them it must read: most ways that are no line are told after two readings
PROBES = (0.25, 0.5, 0.75)
PROBES_HELD = 2
#: longest gap, in pixels, that the way between two clicks on one line fills
GAP = 20


class WayLine(NamedTuple):
    """The line read on the straight way between two clicks."""

    #: its median width in pixels
    width: float
    #: the point of the way nearest the first click where the line reads, as a positive click
    near_first: Click
    #: the same, nearest the second click
    near_second: Click


def line_between(lab8: np.ndarray, a: Click, b: Click, s: EmbeddedSettings) -> WayLine | None:
    """The line that runs straight from click ``a`` to click ``b``, or None when the way
    between them reads no such line (see the module)."""
    start, end = np.array([a.y, a.x], float), np.array([b.y, b.x], float)
    length = float(np.hypot(*(end - start)))
    count = int(np.floor((length - 2 * END) / STEP)) + 1 if length >= 2 * END else 0
    if count < MIN_POINTS or s.way_share <= 0:
        return None
    # the same points whichever click comes first: centred on the way
    steps = (length - (count - 1) * STEP) / 2 + STEP * np.arange(count)
    along = (end - start) / length
    cos_limit = np.cos(np.radians(ALONG_DEGREES))

    def width_at(t: float) -> float | None:
        y, x = (round(v) for v in start + t * along)
        return width_along(lab8, y, x, along, cos_limit, s)

    # most ways (across a skier, over snow) miss the line at two of the probes: read first
    misses = 0
    for share in PROBES:
        misses += width_at(length * share) is None
        if misses > len(PROBES) - PROBES_HELD:
            return None
    allowed_misses = int(np.floor((1 - s.way_share) * len(steps)))
    widths: list[float] = []
    read: list[float] = []
    for k, t in enumerate(steps):
        width = width_at(t)
        if width is None:
            if k + 1 - len(read) > allowed_misses:
                return None
            continue
        widths.append(width)
        read.append(t)

    def point(t: float) -> Click:
        return Click(*(float(round(v)) for v in start + t * along), True)

    return WayLine(float(np.median(widths)), point(read[0]), point(read[-1]))


def width_along(
    lab8: np.ndarray, y: int, x: int, along: np.ndarray, cos_limit: float, s: EmbeddedSettings
) -> float | None:
    """Width of the line through pixel ``(y, x)`` when it is thin and runs along ``along``."""
    lightness, inside = lightness_around(lab8, Click(y, x, True), RIDGE_RADIUS)
    width = ridge_width(lightness, inside, s.ridge_strength)
    if width > s.thin_width:
        return None
    direction = line_direction(lightness, round(inside.y), round(inside.x), width)
    return width if abs(float(direction @ along)) >= cos_limit else None


def clicks_at_line_ends(
    lab8: np.ndarray, clicks: list[Click], widths: dict[int, float], s: EmbeddedSettings
) -> tuple[list[Click], dict[int, float]]:
    """``clicks`` and ``widths`` (the line widths at the positive clicks, by click index) with
    each positive click that reads no line moved onto the line between it and the positive
    click made just before or just after it, where there is one (``line_between``; the nearer
    of the two first), and given that line's width: at a pole's tip or grip, the pole's
    colour is the object's. Only clicks made one after the other count, as an annotator
    clicks a pole's two ends, and each such pair is read once. Once the median width could no
    longer come out thin (``thin_band``) whatever the remaining clicks read, nothing is
    moved: the thin pass would not run."""
    out, moved = dict(widths), list(clicks)
    order = sorted(widths)
    pending = {i for i in order if widths[i] > s.thin_width}
    read: dict[tuple[int, int], WayLine | None] = {}
    for k, i in enumerate(order):
        if i not in pending:
            continue
        if float(np.median([0.0 if j in pending else out[j] for j in order])) > s.thin_width:
            return list(clicks), dict(widths)
        pending.discard(i)
        here = clicks[i]
        for j in sorted(
            order[max(k - 1, 0) : k] + order[k + 1 : k + 2],
            key=lambda j: click_distance(clicks[j], here),
        ):
            pair = (min(i, j), max(i, j))
            if pair not in read:
                read[pair] = line_between(lab8, clicks[pair[0]], clicks[pair[1]], s)
            found = read[pair]
            if found is not None:
                out[i] = found.width
                moved[i] = found.near_first if i < j else found.near_second
                break
    return moved, out


def click_distance(a: Click, b: Click) -> float:
    """Distance in pixels between two clicks."""
    return float(np.hypot(a.y - b.y, a.x - b.x))


def line_to_previous(
    lab8: np.ndarray, clicks: list[Click], index: int, s: EmbeddedSettings
) -> int | None:
    """The index of the positive click made just before positive click ``index`` when a line
    runs straight between the two (``line_between``), else None."""
    earlier = [j for j in range(index) if clicks[j].positive]
    if not earlier or line_between(lab8, clicks[earlier[-1]], clicks[index], s) is None:
        return None
    return earlier[-1]


def way_covered(mask: np.ndarray, a: Click, b: Click) -> float:
    """Share of the pixels on the straight way from click ``a`` to click ``b`` that ``mask``
    holds or touches (within one pixel)."""
    return float(_touched(mask, _way_points(a, b, mask.shape)).mean())


def gaps_bridged(thin: np.ndarray, a: Click, b: Click) -> np.ndarray:
    """``thin`` with each gap of at most ``GAP`` pixels along the straight way from click ``a``
    to click ``b`` filled by the way: where the pole passes a gate pole or a shadow."""
    points = _way_points(a, b, thin.shape)
    touched = np.flatnonzero(_touched(thin, points))
    out = thin.copy()
    for start, stop in pairwise(touched):
        if 1 < stop - start <= GAP + 1:
            out[points[start : stop + 1, 0], points[start : stop + 1, 1]] = True
    return out


def _touched(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether ``mask`` holds or touches (within one pixel) each of the ``points`` (y, x)."""
    height, width = mask.shape
    near = np.zeros(len(points), bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            y = np.clip(points[:, 0] + dy, 0, height - 1)
            x = np.clip(points[:, 1] + dx, 0, width - 1)
            near |= mask[y, x]
    return near


def ways_to_moved(thin: np.ndarray, asked: list[Click], moved: list[Click]) -> np.ndarray:
    """``thin`` joined to each click in ``asked`` that ``clicks_at_line_ends`` moved (to the
    same click in ``moved``): the straight way from the click as placed, up to the first pixel
    that touches ``thin``, is a pole's tip or grip, up to where its line reads."""
    pairs = [(a, b) for a, b in zip(asked, moved, strict=True) if a != b]
    if not pairs:
        return thin
    out = thin.copy()
    for a, b in pairs:
        points = _way_points(a, b, thin.shape)
        touched = np.flatnonzero(_touched(thin, points))
        last = touched[0] if len(touched) else len(points) - 1
        out[points[: last + 1, 0], points[: last + 1, 1]] = True
    return out


def with_way(mask: np.ndarray, a: Click, b: Click) -> np.ndarray:
    """``mask`` with the straight way from click ``a`` to click ``b`` (one pixel wide)."""
    points = _way_points(a, b, mask.shape)
    out = mask.copy()
    out[points[:, 0], points[:, 1]] = True
    return out


def _way_points(a: Click, b: Click, shape: tuple[int, ...]) -> np.ndarray:
    """The pixels (rows of y, x) on the straight way from click ``a`` to click ``b`` that lie
    in an image of ``shape``."""
    start, end = np.array([a.y, a.x], float), np.array([b.y, b.x], float)
    count = max(int(np.ceil(np.hypot(*(end - start)))), 1) + 1
    points = np.rint(np.linspace(start, end, count)).astype(int)
    return points[(points >= 0).all(axis=1) & (points < shape[:2]).all(axis=1)]
