"""Where the pole of a positive click is: the width of the line under a click, whether that
line is a pole, and the pole a click just missed (``pole_beside``) or clicked at its tip or
grip (``pole_from_end``, ``clicks_at_pole_starts``); see docs/engines.md, *A lone click at a
pole's tip or grip* and *A click at a further pole's grip*."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..types import Click
from .embedded_line_between import ALONG_DEGREES, line_between, width_along
from .embedded_thin import (
    LINE_STEPS,
    RIDGE_RADIUS,
    contrast_to_surroundings,
    lightness_around,
    line_direction,
    long_line,
    ridge_width,
)

if TYPE_CHECKING:
    from .embedded_settings import EmbeddedSettings

#: pixels by which a lone click may miss a pole and still be read as a click on it
SNAP = 2
#: pixels from a lone click at which a pole that starts near it (at its tip or grip) is read
START_REACH = 12
#: the way, in pixels from the click, along which that pole must run towards the click
START_WAY = 24
#: directions around a lone click in which such a pole is looked for
START_DIRECTIONS = 32
#: pixels by which such a click may lie beside the pole's axis (a click beside the middle of
#: a pole is on the snow, not at the pole's end)
START_OFF_AXIS = 3.0


def line_width(lab8: np.ndarray, click: Click, s: EmbeddedSettings) -> float:
    """Width of the line through ``click`` (embedded_thin.ridge_width), inf when none."""
    lightness, inside = lightness_around(lab8, click, RIDGE_RADIUS)
    return ridge_width(lightness, inside, s.ridge_strength)


def pole_contrast(lab8: np.ndarray, click: Click, width: float, s: EmbeddedSettings) -> float:
    """How far the pole under ``click`` stands out from its surroundings
    (``contrast_to_surroundings``), or 0 when ``click`` lies on no pole: a line at most
    ``thin_width`` wide (``width``) that stands out by at least ``line_contrast`` and goes
    on along its direction (``long_line``)."""
    if width > s.thin_width or s.line_contrast <= 0:
        return 0.0
    lightness, inside = lightness_around(lab8, click, RIDGE_RADIUS + max(LINE_STEPS) + 1)
    contrast = contrast_to_surroundings(lightness, round(inside.y), round(inside.x))
    if contrast < s.line_contrast:
        return 0.0
    return contrast if long_line(lightness, inside, width, s.ridge_strength) else 0.0


def stands_out(lab8: np.ndarray, click: Click, width: float, s: EmbeddedSettings) -> bool:
    """Whether ``click`` lies on a pole (``pole_contrast``): a pole on snow, not a ridge in
    the texture of a fish or a coat."""
    return pole_contrast(lab8, click, width, s) > 0


def pole_beside(lab8: np.ndarray, click: Click, s: EmbeddedSettings) -> tuple[Click, float] | None:
    """A click on the pole that ``click`` missed by at most ``SNAP`` pixels, and the pole's
    width, or None when no pole lies that close (``_snapped``)."""
    snapped = _snapped(lab8, click)
    if snapped == click:
        return None
    width = line_width(lab8, snapped, s)
    return (snapped, width) if stands_out(lab8, snapped, width, s) else None


def _snapped(lab8: np.ndarray, click: Click) -> Click:
    """The pixel within ``SNAP`` pixels of ``click`` that stands out most in lightness from
    the window around it (the middle of a pole two or three pixels wide), as a click."""
    lightness, inside = lightness_around(lab8, click, RIDGE_RADIUS)
    cy, cx = round(inside.y), round(inside.x)
    rows, cols = np.ogrid[: lightness.shape[0], : lightness.shape[1]]
    disk = (rows - cy) ** 2 + (cols - cx) ** 2 <= SNAP**2
    deviation = np.where(disk, np.abs(lightness - np.median(lightness)), -1.0)
    y, x = np.unravel_index(int(np.argmax(deviation)), deviation.shape)
    if (y, x) == (cy, cx):
        return click
    return Click(float(click.y + y - cy), float(click.x + x - cx), True)


def pole_from_end(
    lab8: np.ndarray, click: Click, s: EmbeddedSettings
) -> tuple[Click, float] | None:
    """A click on the pole that starts near ``click`` and runs straight away from it (a click
    at its tip, on the snow, or at its grip, on the glove), and the pole's width, or None.

    Of the points ``START_REACH`` pixels from the click in ``START_DIRECTIONS`` directions,
    those on a thin line that runs towards the click (within ``ALONG_DEGREES``,
    ``width_along``), moved onto its middle (``_snapped``), on a pole (``pole_contrast``)
    whose axis passes within ``START_OFF_AXIS`` of the click, and on a line that the straight way of
    ``START_WAY`` pixels from the click through the point reads (``line_between``): the
    thinnest (at a glove, the pole, not the arm), and of those the one that stands out most.
    """
    height, width = lab8.shape[:2]
    cos_limit = float(np.cos(np.radians(ALONG_DEGREES)))
    here = np.array([click.y, click.x])
    best: tuple[float, float, Click] | None = None  # (width, -contrast, click): least first
    for angle in np.arange(START_DIRECTIONS) * (2 * np.pi / START_DIRECTIONS):
        along = np.array([np.sin(angle), np.cos(angle)])
        y, x = (round(v) for v in here + START_REACH * along)
        if not (0 <= y < height and 0 <= x < width):
            continue
        if width_along(lab8, y, x, along, cos_limit, s) is None:
            continue
        point = _snapped(lab8, Click(float(y), float(x), True))
        line = line_width(lab8, point, s)
        if line > s.thin_width or (best is not None and line > best[0]):
            continue
        # the axis test first: it reads one Hessian, the pole test five
        lightness, inside = lightness_around(lab8, point, RIDGE_RADIUS)
        axis = line_direction(lightness, round(inside.y), round(inside.x), line)
        offset = np.array([point.y, point.x]) - here
        if abs(offset[0] * axis[1] - offset[1] * axis[0]) > START_OFF_AXIS:
            continue
        contrast = pole_contrast(lab8, point, line, s)
        if contrast <= 0 or (best is not None and (line, -contrast) >= best[:2]):
            continue
        # on along the pole's axis, away from the click, to START_WAY from it
        far = (
            np.array([point.y, point.x]) + np.sign(offset @ axis) * (START_WAY - START_REACH) * axis
        )
        if not (0 <= far[0] <= height - 1 and 0 <= far[1] <= width - 1):
            continue
        if line_between(lab8, click, Click(*far, True), s) is not None:
            best = (line, -contrast, point)
    return None if best is None else (best[2], best[0])


def clicks_at_pole_starts(
    lab8: np.ndarray, clicks: list[Click], widths: dict[int, float], s: EmbeddedSettings
) -> tuple[list[Click], dict[int, float]]:
    """``clicks`` and ``widths`` (the line widths at the positive clicks, by click index) with
    the newest positive click, when it reads no line, moved onto the pole that starts near it
    (``pole_from_end``) and given its width, when the object is a line: at least two thirds
    of its other positive clicks read one (``embedded_line_between.clicks_at_line_ends`` has
    moved those at a pole's two ends). A click at the grip of a second pole, after two on
    the first, then counts as on that pole, not on the snow it flooded; the next click, at
    that pole's tip, reads the line back to it. Only the newest click is read, so a decode
    pays for one search at most. A lone click is left to the thin pass
    (``embedded_thin_pass``), which moves it only where it flooded."""
    newest = max(widths, default=None)
    if newest is None or len(widths) < 2 or widths[newest] <= s.thin_width:
        return clicks, widths
    on_lines = sum(w <= s.thin_width for w in widths.values())
    if 3 * on_lines < 2 * (len(widths) - 1):
        return clicks, widths
    found = pole_from_end(lab8, clicks[newest], s)
    if found is None:
        return clicks, widths
    moved, out = list(clicks), dict(widths)
    moved[newest], out[newest] = found
    return moved, out
