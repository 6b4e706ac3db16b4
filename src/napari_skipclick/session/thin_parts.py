"""Thin parts of a mask (lines, poles, sticks, rims) followed onto the next frame, tile by tile.

A part a few pixels wide moves by more than its width between frames, so the moved mask misses
it, and the engine, which sees regions, drops it. Such a part is a line in one colour channel
(the colours projected onto the difference between the part's mean colour and its
surroundings'), bright whatever its colour. On the new frame each piece of the part is where
that channel holds a line as strong as the piece's own, close to where the motion moved it;
a straight line's pieces that cannot be found so move with the rest of the line.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..shapes import grown_box, on_picture, pieces
from .motion import Motion
from .motion_background import with_background
from .tile_lines import Tile, with_their_lines


@dataclass(frozen=True)
class ThinSettings:
    """How thin parts are found and followed.

    A part is thin where the mask does not hold a disk ``width`` pixels across; only such parts
    of at least ``min_length`` pixels' extent count. The part is followed in tiles of ``tile``
    pixels, each searched ``search`` pixels around where the motion puts it, a shift costing
    ``drift`` per pixel; on the new frame a pixel belongs to the part when its line strength
    (``line_strength``) is at least ``strength`` times the part's median on the previous frame.
    A tile is followed only when the difference between its part's mean colour and its
    surroundings' is at least ``min_contrast`` (colour units of 0..255) and ``separation`` times
    the spread of the surroundings along it, and when its part is a line in the image: its
    line strength at least ``line`` times that difference (a thin piece of the mask over
    something wider, a leg the mask lost most of, is not). A tile whose part lies within
    ``straight`` pixels (root mean square) of a straight line moves with the followed tiles
    on that line when it cannot be followed itself (0: never). A part that is one straight
    line (a pole) is looked for as a whole line turned by up to ``turn`` degrees
    (``straight_parts``; 0: never). ``width`` 0 turns this off.

    An object that is mostly lines (at least ``line_share`` of its mask in thin parts: a pole,
    skis, a stick annotated on its own) keeps at most ``1 + growth`` times its pixels of the
    previous frame, and no more than ``1 + growth`` times its expected area (its area on the
    last frame that passed the quality check, grown or shrunk since by the camera's zoom,
    ``quality.ShapeHistory.expected``), each scaled by the step's zoom and plus
    ``BUDGET_SLACK`` (``line_budget``; ``line_share`` 0: no limit): a line a few pixels wide
    does not grow, while the moved mask, the engine, the colours and the line found again each
    add a pixel at a glove or where it crosses a leg or a gate pole; and its tiles keep their
    own shape where their shift puts them (``follow_thin``'s ``exact``).
    """

    width: int = 7
    min_length: int = 15
    tile: int = 16
    search: int = 6
    drift: float = 0.01
    strength: float = 0.5
    min_contrast: float = 12.0
    separation: float = 1.0
    line: float = 0.8
    straight: float = 1.5
    turn: float = 30.0
    line_share: float = 0.5
    growth: float = 0.05

    def __post_init__(self) -> None:
        if self.width < 0 or self.min_length < 1 or self.tile < 1 or self.search < 0:
            raise ValueError("width and search must be >= 0, min_length and tile >= 1")
        if not 0 < self.strength <= 1 or not 0 <= self.line_share <= 1 or self.growth < 0:
            raise ValueError("strength must lie in (0, 1], line_share in [0, 1], growth >= 0")
        if min(self.min_contrast, self.separation, self.line, self.straight, self.turn) < 0:
            raise ValueError("min_contrast, separation, line, straight and turn must be >= 0")


def thin_part_of(mask: np.ndarray) -> Callable[[], np.ndarray]:
    """``thin_part`` of the boolean ``mask`` with the default settings, computed at the first
    call only: the rules one click passes through (``corrections``, ``spurs``) share it."""
    return functools.cache(lambda: thin_part(mask, ThinSettings()))


def thin_part(mask: np.ndarray, settings: ThinSettings) -> np.ndarray:
    """Pixels of boolean ``mask`` in parts narrower than ``settings.width`` (frame shape):
    its pieces (``shapes.pieces``: those a few pixels apart are one) whose box is at least
    ``settings.min_length`` pixels long on its longer side."""
    out = np.zeros(mask.shape, bool)
    radius = settings.width // 2
    box = grown_box(mask, radius + 1)
    if box is None or radius < 1:
        return out
    y0, y1, x0, x1 = box
    crop = mask[y0:y1, x0:x1]
    disk = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius + 0.5
    thin = crop & ~ndimage.binary_opening(crop, disk)
    # pieces a few pixels apart (a line with a gap) count as one part
    for points in pieces(thin):
        if int(np.ptp(points, axis=0).max()) + 1 >= settings.min_length:
            out[points[:, 0] + y0, points[:, 1] + x0] = True
    return out


#: pixels a line object may gain beyond its ``growth`` (a pole's ends, rasterised anew)
BUDGET_SLACK = 2


def mostly_lines(mask: np.ndarray, thin: np.ndarray, settings: ThinSettings) -> bool:
    """Whether the object of boolean ``mask`` is mostly lines: at least ``line_share`` of it
    in its thin part ``thin`` (``thin_part``; a pole, skis, a stick annotated on its own)."""
    area = np.count_nonzero(mask)
    return settings.line_share > 0 and np.count_nonzero(thin) >= settings.line_share * area


def line_budget(
    fused: np.ndarray,
    found: np.ndarray,
    previous: np.ndarray,
    thin: np.ndarray,
    settings: ThinSettings,
    visible: int | None = None,
    expected: float | None = None,
    scale: float | None = None,
) -> tuple[np.ndarray, int]:
    """``fused`` with a line object's mask held to its budget (see ``ThinSettings``), and how
    many pixels the budget held back (0 for an object that is not mostly lines).

    The budget grows from the object's area on the previous frame, or from its expected area
    where that is smaller: were it to grow from the previous frame's alone, a mask that fills
    its budget on every frame (the engine and the colours add a pixel at a boot, a shadow,
    a gate) would grow by ``growth`` a frame, twice its size in fifteen frames.

    Args:
        fused: the new frame's probabilities for the object (changed in place and returned).
        found: where its lines were found again; kept first, then the rest by probability.
        previous: the object's mask on the previous frame.
        thin: the thin part of ``previous`` (``thin_part``).
        settings: its ``line_share`` and ``growth``.
        visible: its area in the picture as the motion moves it (None: the area of
            ``previous``).
        expected: its expected area on the previous frame (``quality.ShapeHistory.expected``;
            None: no other bound), taken in the picture by the same share as ``visible``.
        scale: the size of its surroundings on the new frame over their size on the previous
            one (``motion.Motion.zoom``; None: unmeasured): the budget's base grows or shrinks
            by its square as a camera zooms in or out. Not the object's own: a leak along its
            edge reads as a change of its size.
    """
    if not mostly_lines(previous, thin, settings):
        return fused, 0
    area = np.count_nonzero(previous)
    base = float(visible or area)
    if expected is not None and area:
        base = min(base, expected * base / area)
    base *= (scale or 1.0) ** 2
    budget = math.ceil((1.0 + settings.growth) * base) + BUDGET_SLACK
    mask = fused > 0.5
    if np.count_nonzero(mask) <= budget:
        return fused, 0
    rows, cols = np.nonzero(mask)  # found pixels first, each group by probability, then order
    rank = fused[rows, cols] + 2.0 * found[rows, cols]
    cut = np.argsort(-rank, kind="stable")[budget:]
    fused[rows[cut], cols[cut]] = np.minimum(fused[rows[cut], cols[cut]], 0.49)
    return fused, int(cut.size)


def in_picture_mean(values: np.ndarray, inside: np.ndarray, axis: int) -> np.ndarray:
    """The mean of ``values`` along ``axis`` over the places ``inside`` the picture (0 where
    none is): a place beyond it left the picture (a ski crossing an edge) and says nothing."""
    return np.where(inside, values, 0.0).sum(axis=axis) / np.maximum(inside.sum(axis=axis), 1)


def line_strength(channel: np.ndarray, width: int) -> np.ndarray:
    """How much brighter each pixel of ``channel`` is than its surroundings when bright
    structures narrower than ``width`` are taken away (white top-hat)."""
    size = max(width, 3)
    return channel - ndimage.grey_opening(channel, size=(size, size))


def follow_thin(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    thin: np.ndarray,
    motion: Motion,
    settings: ThinSettings,
    exact: bool = False,
) -> np.ndarray:
    """Where the thin part ``thin`` of mask ``previous`` lies on ``image`` (frame shape).

    The part is cut into tiles of ``settings.tile`` pixels. In each, the colours are projected
    onto the difference between the tile's part and its surroundings on the previous frame, so
    that the part is bright; the tile moves by the motion's displacement there, corrected by
    the shift within ``settings.search`` pixels under which its pixels lie on the strongest
    line of that channel on the new frame (``line_strength``, relative to the part's own).
    The new part is the strongest pixels of the moved tiles and their neighbours whose line
    is still strong enough, as many as each tile had (a line keeps its width). A straight
    line moves as one piece: its tiles that could not be followed (too little contrast, a
    busy background), or that found another ridge, move with the line through those that
    could (``settings.straight``). A tile that moved with the background rather than with
    the object found a ridge of the background: it counts as not followed, before the lines
    are fitted. With ``exact``, a tile's new pixels are its part's where the shift puts them,
    no neighbours: for an object that is mostly lines (``mostly_lines``) the mask is the line's
    own shape, and the strongest pixels beside it can be a darker shadow along a ski, onto
    which a line re-fitted frame after frame slides.

    Args:
        previous_image: the frame of ``previous``, uint8 ``(H, W, 3)``.
        image: the new frame, same shape.
        previous: the object's boolean mask on ``previous_image``.
        thin: its thin part (``thin_part``).
        motion: the motion of the object from ``previous_image`` to ``image``, with the
            background's when it could be told apart (``Motion.background``, ``momentum``).
        settings: tiles, search, strength and contrast.
        exact: keep each tile's shape where its shift puts it.
    """
    out = np.zeros(thin.shape, bool)
    points = np.argwhere(thin)
    if points.size == 0:
        return out
    tiles = points // settings.tile
    y0, y1, x0, x1 = motion.box
    rows = np.clip(points[:, 0] - y0, 0, y1 - y0 - 1)
    cols = np.clip(points[:, 1] - x0, 0, x1 - x0 - 1)
    steps = -motion.flow[:, rows, cols].T
    results = []
    for key in np.unique(tiles, axis=0):
        chosen = (tiles == key).all(axis=1)
        step = np.rint(np.median(steps[chosen], axis=0)).astype(int)
        results.append(
            _follow_tile(previous_image, image, previous, points[chosen], step, settings, exact)
        )
    # a tile that moved with the background found a ridge of the background: not followed
    results = [Tile(t.here) if _on_background(t, motion) else t for t in results]
    if settings.straight:
        results = with_their_lines(results, thin.shape, settings)
    for tile in results:
        if tile.pixels is not None:
            out[tile.pixels[:, 0], tile.pixels[:, 1]] = True
    return out


class Channel(NamedTuple):
    """The colour channel in which a thin part is a bright line (``part_channel``)."""

    #: unit colour direction (part minus surroundings); None: the part does not stand out
    direction: np.ndarray | None
    #: the part's median line strength in that channel (``line_strength``)
    reference: float = 0.0
    #: False for a thin piece of the mask over something wider: no line in the image
    line: bool = True


def part_channel(
    previous_image: np.ndarray, previous: np.ndarray, here: np.ndarray, settings: ThinSettings
) -> Channel:
    """The channel of the part ``here`` (rows of y, x) of mask ``previous``: the colours of
    ``previous_image`` projected onto the difference between the part's mean colour and its
    surroundings' (a ring three pixels wide outside the mask). The part stands out when that
    difference is at least ``settings.min_contrast`` and ``settings.separation`` times the
    spread of the surroundings along it; it is a line when its median line strength is at
    least ``settings.line`` times that difference."""
    margin = settings.width + 3
    b = _window(here, margin, previous.shape)
    part = np.zeros((b[1] - b[0], b[3] - b[2]), bool)
    part[here[:, 0] - b[0], here[:, 1] - b[2]] = True
    before = previous_image[b[0] : b[1], b[2] : b[3]].astype(np.float32)
    ring = ndimage.binary_dilation(part, iterations=3) & ~previous[b[0] : b[1], b[2] : b[3]]
    if not ring.any():
        return Channel(None, line=False)
    direction = before[part].mean(axis=0) - before[ring].mean(axis=0)
    contrast = float(np.linalg.norm(direction))
    if contrast < settings.min_contrast:
        return Channel(None)
    direction /= contrast
    if contrast < settings.separation * float(np.std(before[ring] @ direction)):
        # no more different from its surroundings than they are among themselves
        return Channel(None)
    reference = float(np.median(line_strength(before @ direction, settings.width)[part]))
    if reference <= 0 or reference < settings.line * contrast:
        return Channel(None, line=False)
    return Channel(direction, reference)


def _follow_tile(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    here: np.ndarray,
    step: np.ndarray,
    settings: ThinSettings,
    exact: bool = False,
) -> Tile:
    """One tile's part ``here`` followed onto the new frame (see ``follow_thin``); ``step`` is
    the motion's displacement of the tile."""
    shape = previous.shape
    margin = settings.width + 3
    channel = part_channel(previous_image, previous, here, settings)
    if not channel.line:
        return Tile(here, movable=False)
    if channel.direction is None:
        return Tile(here)
    direction, reference = channel.direction, channel.reference
    # the new frame around where the motion puts the tile, searched for that line
    a = _window(here + step, margin + settings.search, shape)
    if a[1] <= a[0] or a[3] <= a[2]:
        return Tile(here)  # the motion moves the tile off the frame
    after = image[a[0] : a[1], a[2] : a[3]].astype(np.float32)
    line = line_strength(after @ direction, settings.width) / reference
    search = np.arange(-settings.search, settings.search + 1)
    dy, dx = (v.ravel() for v in np.meshgrid(search, search, indexing="ij"))
    ys = here[:, 0, None] + step[0] + dy[None, :] - a[0]
    xs = here[:, 1, None] + step[1] + dx[None, :] - a[2]
    inside = on_picture(ys, xs, line.shape)
    # what the motion moves beyond the picture left it: no search brings it back onto a line
    inside &= inside[:, dy.size // 2, None]
    values = line[np.clip(ys, 0, line.shape[0] - 1), np.clip(xs, 0, line.shape[1] - 1)]
    fit = in_picture_mean(np.minimum(values, 1.0), inside, axis=0)
    best = int(np.argmax(fit - settings.drift * np.hypot(dy, dx)))
    if fit[best] < settings.strength:
        return Tile(here)
    keep = inside[:, best]
    moved = np.zeros(line.shape, bool)
    moved[ys[keep, best], xs[keep, best]] = True
    if exact:
        found = np.argwhere(moved & (line >= settings.strength))
    else:
        found = np.argwhere(ndimage.binary_dilation(moved) & (line >= settings.strength))
        # as many pixels as the part keeps in the picture, the strongest on the line: its width
        found = found[np.argsort(-line[found[:, 0], found[:, 1]], kind="stable")[: keep.sum()]]
    return Tile(here, found + np.array([a[0], a[2]]), step + np.array([dy[best], dx[best]]))


def _on_background(tile: Tile, motion: Motion) -> bool:
    """Whether the tile moved with the background rather than with the object (it found a
    ridge of the background), when the two motions can be told apart (``motion.background``):
    its own shift decides, as the flow of a line a pixel or two wide is its surroundings'."""
    if motion.background is None or motion.momentum is None or tile.shift is None:
        return False
    momentum = motion.momentum
    apart = float(np.hypot(*momentum.relative))
    return bool(with_background(tile.shift.astype(np.float32), momentum.background, apart))


def _window(points: np.ndarray, margin: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box ``(y0, y1, x0, x1)`` around ``points`` grown by ``margin``, clipped to ``shape``."""
    low = np.maximum(points.min(axis=0) - margin, 0)
    high = np.minimum(points.max(axis=0) + margin + 1, shape)
    return int(low[0]), int(high[0]), int(low[1]), int(high[1])
