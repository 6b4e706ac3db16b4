"""Thin structures (poles, skis, lines): local width at a click and paths between clicks."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.graph import route_through_array

from ..types import Click


def local_width(lab: np.ndarray, click: Click, tolerance: float, radius: int = 12) -> float:
    """Width in pixels of the structure of the clicked colour at the click.

    The pixels within ``radius`` of the click whose Lab colour lies within ``tolerance`` of the
    clicked pixel's and that connect to it form the structure; its width is twice the distance
    from the click to the nearest pixel outside it (so a click at a pole's centre line measures
    the pole). A structure reaching the window edge counts as wide.
    """
    height, width = lab.shape[:2]
    cy, cx = round(click.y), round(click.x)
    y0, y1 = max(cy - radius, 0), min(cy + radius + 1, height)
    x0, x1 = max(cx - radius, 0), min(cx + radius + 1, width)
    patch = lab[y0:y1, x0:x1].astype(np.float32)
    near = np.linalg.norm(patch - patch[cy - y0, cx - x0], axis=-1) <= tolerance
    parts, _ = ndimage.label(near)
    region = parts == parts[cy - y0, cx - x0]
    inside = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    return float(2.0 * inside[cy - y0, cx - x0] - 1.0)


def click_paths(
    cost: np.ndarray,
    clicks: list[Click],
    offset: tuple[int, int],
    max_mean_cost: float,
) -> np.ndarray:
    """Pixels on the cheapest paths joining each positive click to the nearest earlier one.

    ``cost`` is the per-pixel cost of the crop starting at ``offset`` (y, x) in the image. A
    path whose mean cost per pixel exceeds ``max_mean_cost`` leaves the object's colours and is
    dropped. Returns a boolean image of the crop.
    """
    out = np.zeros(cost.shape, dtype=bool)
    points = [
        (round(c.y) - offset[0], round(c.x) - offset[1])
        for c in clicks
        if c.positive
    ]
    points = [p for p in points if 0 <= p[0] < cost.shape[0] and 0 <= p[1] < cost.shape[1]]
    for i in range(1, len(points)):
        here = np.array(points[i])
        earlier = np.array(points[:i])
        j = int(np.argmin(np.hypot(*(earlier - here).T)))
        path, total = route_through_array(
            cost, tuple(points[j]), tuple(points[i]), fully_connected=True, geometric=True
        )
        path = np.array(path)
        if total / max(len(path), 1) <= max_mean_cost:
            out[path[:, 0], path[:, 1]] = True
    return out
