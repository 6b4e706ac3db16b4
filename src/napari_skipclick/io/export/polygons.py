"""Masks as the single polygon per instance that YOLO segmentation labels hold, and back.

A YOLO label line holds one polygon per instance. A mask with several parts or with holes is
written, as Ultralytics' own converters do, as one polygon whose parts are joined by zero-width
bridges: the outline runs to the nearest point of the next part, around it, and back the
same way. Filled with the even-odd rule, the bridges add no area and the holes stay empty.

Polygons are in pixel-edge coordinates, as COCO, Ultralytics and pycocotools read them: pixel
``(r, c)`` covers ``r..r+1`` by ``c..c+1``, so a mask of the whole image runs from 0 to its size.
"""

from __future__ import annotations

import numpy as np
from skimage import measure
from skimage.draw import polygon as fill_polygon

#: largest distance (pixels) between a simplified outline and the mask's boundary: the
#: outline passes 0.35 px from the pixel centres beside it, so 0.1 keeps them 0.25 px clear and
#: every rasteriser draws them back (0.3 cut staircase corners, pycocotools dropped pixels)
TOLERANCE = 0.1


def mask_outlines(mask: np.ndarray) -> list[np.ndarray]:
    """Closed outlines ``(N, 2)`` (row, col) of every part and hole of a boolean mask.

    Outlines run along the midpoints of the pixels' edges (marching squares at level 0.5 on
    the padded mask), in pixel-edge coordinates, simplified to within :data:`TOLERANCE`
    pixels; the biggest comes first.
    """
    padded = np.pad(np.asarray(mask, dtype=np.float32), 1)
    outlines = []
    for contour in measure.find_contours(padded, 0.5):
        # padded centre coordinates -> pixel-edge coordinates: -1 for the pad, +0.5
        contour = measure.approximate_polygon(contour - 0.5, tolerance=TOLERANCE)
        if len(contour) >= 4:  # closed: first point repeated last, so 3+ corners
            outlines.append(contour[:-1])
    outlines.sort(key=lambda c: -_area(c))
    return outlines


def _area(outline: np.ndarray) -> float:
    y, x = outline[:, 0], outline[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def bridged_polygon(outlines: list[np.ndarray]) -> np.ndarray:
    """One closed polygon ``(N, 2)`` through all ``outlines`` joined by zero-width bridges.

    Each next outline hangs off the nearest point of the polygon built so far: the path goes
    there, once around the outline, and back along the same bridge.
    """
    if not outlines:
        return np.empty((0, 2))
    path = outlines[0]
    for outline in outlines[1:]:
        d = ((path[:, None, :] - outline[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        around = np.concatenate([outline[j:], outline[: j + 1]])
        path = np.concatenate([path[: i + 1], around, path[i:]])
    return path


def mask_to_polygon(mask: np.ndarray) -> np.ndarray:
    """The YOLO polygon ``(N, 2)`` (row, col) of a boolean mask; empty if it has no pixels."""
    return bridged_polygon(mask_outlines(mask))


def polygon_to_mask(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Fill a polygon ``(N, 2)`` (row, col, pixel-edge coordinates) with the even-odd rule
    into a boolean mask.

    A pixel belongs to the mask when its centre (``r + 0.5, c + 0.5``) lies inside the polygon.
    """
    mask = np.zeros(shape, dtype=bool)
    if len(polygon) >= 3:
        rows, cols = fill_polygon(polygon[:, 0] - 0.5, polygon[:, 1] - 0.5, shape)
        mask[rows, cols] = True
    return mask
