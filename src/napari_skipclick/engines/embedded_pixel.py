"""Pixel-level segmentation of small and thin objects in a crop around them."""

from __future__ import annotations

import numpy as np
from skimage.graph import MCP_Geometric

from ..types import Click
from .embedded_graph import min_cut


def colour_disks(lab: np.ndarray, clicks: list[Click], radius: float, tolerance: float) -> np.ndarray:
    """+1 / -1 on the pixels near each positive / negative click that share its colour.

    A click claims the pixels within ``radius`` whose Lab colour lies within ``tolerance`` of
    the clicked pixel's, so a click on a pole two pixels wide does not claim the snow beside it.
    The clicked pixel itself always counts; later clicks win.
    """
    height, width = lab.shape[:2]
    out = np.zeros((height, width), dtype=np.int8)
    r = int(np.ceil(radius))
    for click in clicks:
        cy, cx = round(click.y), round(click.x)
        y0, y1 = max(cy - r, 0), min(cy + r + 1, height)
        x0, x1 = max(cx - r, 0), min(cx + r + 1, width)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius
        patch = lab[y0:y1, x0:x1].astype(np.float32)
        near = np.linalg.norm(patch - patch[cy - y0, cx - x0], axis=-1) <= tolerance
        out[y0:y1, x0:x1][inside & near] = 1 if click.positive else -1
        out[cy, cx] = 1 if click.positive else -1
    return out


def geodesic_map(cost: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Minimal path cost from the nearest ``sources`` pixel to every pixel (inf without any)."""
    starts = np.argwhere(sources)
    if starts.size == 0:
        return np.full(cost.shape, np.inf)
    costs, _ = MCP_Geometric(cost).find_costs(starts)
    return costs


def segment_box(
    unary: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    seeds: np.ndarray,
) -> np.ndarray:
    """Pixel graph cut of a crop: ``unary`` log-odds, right/down pair ``weights``, fixed ``seeds``."""
    height, width = unary.shape
    index = np.arange(height * width).reshape(height, width)
    edges = np.concatenate(
        [
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
            np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1),
        ]
    )
    pair = np.concatenate([weights[0].ravel(), weights[1].ravel()])
    flat = seeds.ravel()
    fg = min_cut(
        height * width,
        edges,
        pair,
        unary.ravel().astype(np.float64),
        np.flatnonzero(flat > 0),
        np.flatnonzero(flat < 0),
    )
    return fg.reshape(height, width)


def choose_box(
    coarse: np.ndarray,
    clicks: list[Click],
    prev: np.ndarray | None,
    margin: float,
    max_pixels: int,
    leak_border: float,
    thin: bool = False,
) -> tuple[tuple[int, int, int, int] | None, bool]:
    """Crop for the pixel pass and whether the coarse result leaked, or (None, False).

    The crop is the box of the positive clicks and the previous mask grown by ``margin`` times
    the mean image side (and half its own size). It is used when the coarse result lies (95 %)
    inside it, or when the coarse result leaked: it covers more than ``leak_border`` of the
    image border, which neither the clicks nor the previous mask explain.
    """
    height, width = coarse.shape
    ys = [c.y for c in clicks if c.positive]
    xs = [c.x for c in clicks if c.positive]
    prev_border = 0.0
    if prev is not None:
        rows, cols = np.nonzero(prev > 0.5)
        if rows.size:
            ys += [float(rows.min()), float(rows.max())]
            xs += [float(cols.min()), float(cols.max())]
        prev_border = _border_share(prev > 0.5)
    y0, y1, x0, x1 = min(ys), max(ys), min(xs), max(xs)
    grow = margin * (height + width) / 2
    gy = max(grow, 0.5 * (y1 - y0))
    gx = max(grow, 0.5 * (x1 - x0))
    box = (
        max(int(y0 - gy), 0),
        min(int(np.ceil(y1 + gy)) + 1, height),
        max(int(x0 - gx), 0),
        min(int(np.ceil(x1 + gx)) + 1, width),
    )
    if (box[1] - box[0]) * (box[3] - box[2]) > max_pixels:
        return None, False
    if thin:
        return box, True
    total = np.count_nonzero(coarse)
    inside = np.count_nonzero(coarse[box[0] : box[1], box[2] : box[3]])
    if inside >= 0.95 * total:
        return box, False
    leaked = _border_share(coarse) > max(leak_border, 2 * prev_border)
    return (box, True) if leaked else (None, False)


def _border_share(mask: np.ndarray) -> float:
    """Fraction of the image border pixels inside ``mask``."""
    ring = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    return float(np.count_nonzero(ring)) / max(ring.size, 1)
