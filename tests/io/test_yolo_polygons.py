"""YOLO polygons draw back exactly: no pixel centre lies near their outline."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from napari_skipclick.io.export.polygons import mask_to_polygon, polygon_to_mask


def staircase() -> np.ndarray:
    """A mask whose edge runs down in steps of two and three pixels (a stick's side)."""
    mask = np.zeros((40, 70), bool)
    for r in range(30):
        mask[5 + r, 5 : 60 - (2 * r) // 5] = True
    return mask


def centre_margin(polygon: np.ndarray, shape: tuple[int, int]) -> float:
    """Distance from the polygon's outline to the nearest pixel centre."""
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    centres = np.stack([rows.ravel() + 0.5, cols.ravel() + 0.5], 1)
    a, b = polygon, np.roll(polygon, -1, 0)
    ab = b - a
    t = ((centres[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12)
    nearest = a + np.clip(t, 0, 1)[..., None] * ab
    return float(np.sqrt(((centres[:, None] - nearest) ** 2).sum(-1)).min())


def test_a_staircase_polygon_keeps_every_pixel():
    """Simplified to within 0.3 px, the outline passed as near as 0.05 px to a staircase's
    corner pixel centres (0.14 px here), and pycocotools drew some back without them (a
    hockey stick's masks, one pixel on some frames)."""
    mask = staircase()
    polygon = mask_to_polygon(mask)
    assert centre_margin(polygon, mask.shape) >= 0.25
    np.testing.assert_array_equal(polygon_to_mask(polygon, mask.shape), mask)
    xy = polygon[:, ::-1].ravel().tolist()
    drawn = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([xy], *mask.shape)))
    np.testing.assert_array_equal(drawn.astype(bool), mask)
