"""Pixel-level helpers of the embedded engine: colour-consistent click disks (and the disks of
clicks on lines), geodesic maps, a graph cut of a crop, and boxes around the clicks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.graph import MCP_Geometric

from ..types import Click
from .embedded_features import lab_float
from .embedded_graph import min_cut
from .embedded_refine import click_disks, disk_labels
from .embedded_settings import EmbeddedSettings


def colour_disks(
    lab: np.ndarray, clicks: list[Click], radius: float | Sequence[float], tolerance: float
) -> np.ndarray:
    """+1 / -1 on the pixels near each positive / negative click that share its colour.

    A click claims the pixels within ``radius`` (one for all clicks, or one per click) whose
    Lab colour lies within ``tolerance`` of the clicked pixel's, so a click on a pole two
    pixels wide does not claim the snow beside it. The clicked pixel itself always counts;
    later clicks win.
    """
    out = np.zeros(lab.shape[:2], dtype=np.int8)
    for click, window, disk in click_disks(out.shape, clicks, radius):
        cy, cx = round(click.y), round(click.x)
        patch = lab[window].astype(np.float32)
        centre = patch[cy - window[0].start, cx - window[1].start]
        near = np.linalg.norm(patch - centre, axis=-1) <= tolerance
        out[window][disk & near] = 1 if click.positive else -1
        out[cy, cx] = 1 if click.positive else -1
    return out


def line_disks(
    lab8: np.ndarray,
    clicks: list[Click],
    disks: np.ndarray,
    widths: dict[int, float],
    settings: EmbeddedSettings,
) -> np.ndarray:
    """``disks`` (``embedded_refine.disk_labels``) without what a positive click on a thin
    line does not claim.

    A positive click on a line (``widths``: click index -> width of the line under it; at most
    ``settings.thin_width``) whose colour-consistent disk (``colour_disks``,
    ``colour_tolerance``) is at most ``line_disk_share`` of its disk fixes only that part as
    the object: a click on a pole two pixels wide does not paint the snow beside it. A click on
    a wider or textured part keeps its whole disk, and so does any pixel that another positive
    click's whole disk covers.

    Args:
        lab8: the image's Lab colours as stored in the features (uint8, ``lab_uint8``).
        clicks: all clicks.
        disks: +1 / -1 / 0 per pixel, the disks of all clicks.
        widths: the line width at each positive click, by its index in ``clicks``.
        settings: ``click_radius``, ``thin_width``, ``colour_tolerance``, ``line_disk_share``.
    """
    s = settings
    if s.line_disk_share <= 0:
        return disks
    r = int(np.ceil(s.click_radius))
    dropped = np.zeros(disks.shape, bool)
    whole = [c for i, c in enumerate(clicks) if c.positive and widths[i] > s.thin_width]
    for i, width in widths.items():
        if width > s.thin_width:
            continue
        click = clicks[i]
        y0, x0 = max(round(click.y) - r, 0), max(round(click.x) - r, 0)
        y1, x1 = round(click.y) + r + 1, round(click.x) + r + 1
        inside = [Click(click.y - y0, click.x - x0, True)]
        disk = disk_labels(disks[y0:y1, x0:x1].shape, inside, s.click_radius) > 0
        lab = lab_float(lab8[y0:y1, x0:x1])
        near = colour_disks(lab, inside, s.click_radius, s.colour_tolerance) > 0
        if near.sum() > s.line_disk_share * disk.sum():
            whole.append(click)
        else:
            dropped[y0:y1, x0:x1] |= disk & ~near
    if not dropped.any():
        return disks
    dropped &= (disks > 0) & ~(disk_labels(disks.shape, whole, s.click_radius) > 0)
    return np.where(dropped, 0, disks).astype(disks.dtype)


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
    """Pixel graph cut of a crop: ``unary`` log-odds, right/down ``weights``, fixed ``seeds``."""
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


def object_box(
    shape: tuple[int, int], clicks: list[Click], prev: np.ndarray | None, margin: float
) -> tuple[int, int, int, int]:
    """Box (y0, y1, x0, x1) of the positive clicks and the previous mask, grown by ``margin``."""
    height, width = shape
    ys = [c.y for c in clicks if c.positive]
    xs = [c.x for c in clicks if c.positive]
    if prev is not None:
        rows, cols = np.nonzero(prev > 0.5)
        if rows.size:
            ys += [float(rows.min()), float(rows.max())]
            xs += [float(cols.min()), float(cols.max())]
    return (
        max(int(min(ys) - margin), 0),
        min(int(np.ceil(max(ys) + margin)) + 1, height),
        max(int(min(xs) - margin), 0),
        min(int(np.ceil(max(xs) + margin)) + 1, width),
    )


def outside_share(mask: np.ndarray, clicks: list[Click], reach: float) -> float:
    """Share of ``mask`` outside the box of the positive clicks grown by ``reach`` pixels and
    by half the clicks' own spread (0 for an empty mask)."""
    total = np.count_nonzero(mask)
    if total == 0:
        return 0.0
    ys = [c.y for c in clicks if c.positive]
    xs = [c.x for c in clicks if c.positive]
    grow = reach + 0.5 * max(max(ys) - min(ys), max(xs) - min(xs))
    y0, y1, x0, x1 = object_box(mask.shape, clicks, None, grow)
    return 1.0 - np.count_nonzero(mask[y0:y1, x0:x1]) / total
