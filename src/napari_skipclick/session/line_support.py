"""Whether the frame shows a line where its surroundings' map carried an object of lines.

The map (``carry.MAPPED``) places a pole or skis to a tenth of a pixel when the object moves
with what is around it, and a pixel or more off when it does not quite: a line one or two
pixels wide then lies beside its mask. The frame itself says which. The object is cut into
tiles (``ThinSettings.tile``; a carried pixel in the tile of the nearest pixel of the
object on the frame before); in each, the colours are projected onto the difference between
its part on the frame before and its surroundings there (``thin_parts.part_channel``), in
which the part is a bright line. On the new frame the line strength
(``thin_parts.line_strength``) along the carried mask is then at least as strong as along the
mask moved by a pixel either way (``RIDGE``: on the ridge, not beside it) and, averaged
across the line (``ACROSS``), nearly as strong as along the part on the frame before
(``STRENGTH``: the line is still there), over the tiles in which the part stands out as a
line, which must hold at least ``COVERED`` of the carried mask: a pole across a leg or a
gate, lost in its surroundings, cannot be told on or off its line. A line one or two pixels
wide that a fast camera puts between the pixels shows on three rows, its middle one weaker:
its strength on its middle pixel falls, the sum across it does not, so the two frames are
compared alike, each averaged across the line along its own mask.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .thin_parts import ThinSettings, line_strength, part_channel

#: what a frame's reason adds where the frame does not show the line the map carried
OFF_LINE = "the frame shows no line as strong where the map put it"

#: the one-pixel moves of a mask the line strength along it is compared with
_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))

#: the least line strength along the carried mask, over the most along its one-pixel moves
RIDGE = 0.95
#: the least line strength along the carried mask, over the part's on the frame before, each
#: averaged across the line (``ACROSS``); the true masks of the camera clips' skis and poles
#: score 0.75 at the least (docs/evaluation.md, *How precise are the review marks*)
STRENGTH = 0.75
#: the least share of the carried mask in tiles whose part stands out as a line
COVERED = 0.3
#: the side of the square over which the line strength is averaged for ``STRENGTH``: a line
#: a pixel or two wide keeps its strength summed across it wherever it falls between the
#: pixels, not its strength on its middle pixel
ACROSS = 3


def on_its_line(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    carried: np.ndarray,
    settings: ThinSettings,
) -> bool:
    """Whether ``image`` shows the object of boolean mask ``previous`` on ``previous_image``
    as a line where boolean mask ``carried`` puts it (see the module's doc)."""
    support = line_support(previous_image, image, previous, carried, settings)
    if support is None:
        return False
    ridge, strength, covered = support
    return ridge >= RIDGE and strength >= STRENGTH and covered >= COVERED


def line_support(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    carried: np.ndarray,
    settings: ThinSettings,
) -> tuple[float, float, float] | None:
    """(ridge, strength, covered) of ``carried`` on ``image``, each line strength summed over
    the tiles in which the part of ``previous`` stands out as a line: along ``carried``, over
    the most along its one-pixel moves; averaged across the line along ``carried``, over the
    same along the part on ``previous_image``; and the share of ``carried`` in those tiles.
    None when no tile's part stands out."""
    before, after = np.argwhere(previous), np.argwhere(carried)
    if not len(before) or not len(after):
        return None
    # each carried pixel belongs to the tile of the nearest pixel of the part it came from
    low = np.minimum(before.min(axis=0), after.min(axis=0))
    high = np.maximum(before.max(axis=0), after.max(axis=0)) + 1
    crop = previous[low[0] : high[0], low[1] : high[1]]
    nearest = ndimage.distance_transform_edt(~crop, return_distances=False, return_indices=True)
    came = nearest[:, after[:, 0] - low[0], after[:, 1] - low[1]].T + low
    keys, new_keys = before // settings.tile, came // settings.tile
    own = moved = across = reference = 0.0
    counted = 0
    for key in np.unique(new_keys, axis=0):
        part = before[(keys == key).all(axis=1)]
        channel = part_channel(previous_image, previous, part, settings)
        if channel.direction is None:
            continue
        here = after[(new_keys == key).all(axis=1)]
        along, beside, spread = _strengths(image, here, channel.direction, settings.width)
        *_, own_spread = _strengths(previous_image, part, channel.direction, settings.width)
        own, moved = own + along * len(here), moved + beside * len(here)
        across, reference = across + spread * len(here), reference + own_spread * len(here)
        counted += len(here)
    if not counted:
        return None
    return own / max(moved, 1e-6), across / max(reference, 1e-6), counted / len(after)


def _strengths(
    image: np.ndarray, points: np.ndarray, direction: np.ndarray, width: int
) -> tuple[float, float, float]:
    """The mean line strength at ``points`` (rows of y, x) of ``image`` in the colour channel
    ``direction``, the most of it at the points moved by a pixel (``_NEIGHBOURS``), and the
    mean at ``points`` of its mean over each pixel's 3 x 3 neighbours (``ACROSS``)."""
    margin = width + 3
    low = np.maximum(points.min(axis=0) - margin, 0)
    high = np.minimum(points.max(axis=0) + margin + 1, image.shape[:2])
    crop = image[low[0] : high[0], low[1] : high[1]].astype(np.float32) @ direction
    strength = line_strength(crop, width)
    rows, cols = (points - low).T
    height, wide = strength.shape
    beside = []
    for dy, dx in _NEIGHBOURS:
        r, c = rows + dy, cols + dx
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < wide)
        if inside.any():
            beside.append(float(strength[r[inside], c[inside]].mean()))
    across = ndimage.uniform_filter(strength, ACROSS)[rows, cols]
    return float(strength[rows, cols].mean()), max(beside, default=0.0), float(across.mean())
