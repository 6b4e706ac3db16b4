"""Straight tiles of a thin part that move with their line (``thin_parts.follow_thin``): a
tile that could not be followed, or that found another ridge, moves with the line fitted
through the followed tiles on the same straight line."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..shapes import on_picture, principal_axes

if TYPE_CHECKING:
    from .thin_parts import ThinSettings

#: the fewest pixels of a tile's part that give it a direction
MIN_PIXELS = 6
#: pixels a followed tile may lie off the line through the others
OFF_LINE = 2.0
#: followed tiles on one line that can overrule one of them
MIN_TILES = 3
#: the largest turn (tangent of the angle) of a straight piece between two frames
MAX_TURN = 0.1


@dataclass(frozen=True)
class Tile:
    """One tile of a thin part: its pixels on the previous frame (``here``), and on the new
    one with its shift when it was followed; not ``movable``: a piece over something wider."""

    here: np.ndarray
    pixels: np.ndarray | None = None
    shift: np.ndarray | None = None
    movable: bool = True


def with_their_lines(
    tiles: list[Tile], shape: tuple[int, int], settings: ThinSettings
) -> list[Tile]:
    """``tiles`` with each straight one set by the line through the followed tiles on the same
    straight line (within ``settings.straight`` pixels of it): across the line a shift and a
    slight turn, along it their median shift. A tile that could not be followed moves with
    that line; a followed tile more than ``OFF_LINE`` pixels off a line that at least
    ``MIN_TILES`` other tiles agree on found some other ridge, and moves with the line
    instead."""
    followed = [tile for tile in tiles if tile.shift is not None]
    if not followed:
        return tiles
    # every followed tile's pixels, labelled by its index in ``followed``, for medians at once
    pixels = np.concatenate([tile.here for tile in followed]).astype(np.float64)
    owner = np.repeat(np.arange(len(followed)), [len(tile.here) for tile in followed])
    centres = np.array([tile.here.mean(axis=0) for tile in followed])
    # a tile whose centre is farther from a line than this has not half its pixels near it
    reach = settings.straight + settings.tile * math.sqrt(2)
    settled = []
    for tile in tiles:
        here = tile.here
        if len(here) < MIN_PIXELS or not tile.movable:
            settled.append(tile)
            continue
        centre, along, across = principal_axes(here)
        if np.sqrt(np.mean(((here - centre) @ across) ** 2)) > settings.straight:
            settled.append(tile)  # bent (a hand round a pole): no one line
            continue
        # the followed tiles whose pixels lie (median) within ``straight`` of this tile's line
        near = np.flatnonzero(np.abs((centres - centre) @ across) <= reach)
        off = ndimage.median(np.abs((pixels - centre) @ across), owner, near)
        mine = [
            followed[i]
            for i, distance in zip(near, np.atleast_1d(off), strict=True)
            if followed[i] is not tile and distance <= settings.straight
        ]
        if not mine or (tile.shift is not None and len(mine) < MIN_TILES):
            settled.append(tile)  # alone on its line, or followed and not overruled
            continue
        place = np.array([float(np.mean((other.here - centre) @ along)) for other in mine])
        offset = np.array([float(other.shift @ across) for other in mine])
        turn, base = _line_fit(place, offset, settings.tile)
        if tile.shift is not None and abs(float(tile.shift @ across) - base) <= OFF_LINE:
            settled.append(tile)
            continue
        slide = float(np.median([other.shift @ along for other in mine]))
        position = (here - centre) @ along
        new = np.rint(here + np.outer(base + turn * position, across) + slide * along)
        new = new.astype(int)
        new = new[on_picture(new[:, 0], new[:, 1], shape)]
        settled.append(Tile(here, new, base * across + slide * along))
    return settled


def _line_fit(place: np.ndarray, offset: np.ndarray, tile: int) -> tuple[float, float]:
    """Slope and intercept of ``offset`` against ``place`` (least squares, once more without
    the points more than ``OFF_LINE`` pixels off when at least two spanning two tiles are
    left); slope 0 when the places span less than two tiles. The slope is at most
    ``MAX_TURN`` (a line turns little between frames)."""
    if np.ptp(place) < 2 * tile:
        return 0.0, float(np.median(offset))
    slope, intercept = np.polyfit(place, offset, 1)
    keep = np.abs(offset - (slope * place + intercept)) <= OFF_LINE
    if keep.sum() >= 2 and np.ptp(place[keep]) >= 2 * tile:
        slope, intercept = np.polyfit(place[keep], offset[keep], 1)
    return float(np.clip(slope, -MAX_TURN, MAX_TURN)), float(intercept)
