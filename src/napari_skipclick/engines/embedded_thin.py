"""Thin objects (poles, skis, lines): line width at a click, paths between clicks, and a
pixel graph cut confined to a band around them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage
from skimage.graph import MCP_Geometric

from ..types import Click
from .embedded_features import LAB_BINS, lab_lightness
from .embedded_pixel import geodesic_map, segment_box

if TYPE_CHECKING:
    from .embedded import EmbeddedSettings


#: Gaussian scales (pixels) at which ``ridge_width`` looks for a line through the click
RIDGE_SCALES = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0)
#: half-side of the window ``ridge_width`` reads (the largest kernel's reach plus one)
RIDGE_RADIUS = 17
#: distances (pixels) along a line at which ``long_line`` checks that it goes on
LINE_STEPS = (6, 12)


@cache
def _hessian_kernels(sigma: float) -> np.ndarray:
    """Scale-normalised second-derivative-of-Gaussian kernels (yy, xx, xy) of ``sigma``."""
    half = int(np.ceil(3 * sigma))
    t = np.arange(-half, half + 1, dtype=np.float64)
    g = np.exp(-(t**2) / (2 * sigma**2))
    g /= g.sum()
    d1 = -t / sigma**2 * g
    d2 = (t**2 / sigma**4 - 1 / sigma**2) * g
    return sigma**2 * np.stack([np.outer(d2, g), np.outer(g, d2), np.outer(d1, d1)])


@cache
def _ridge_kernels() -> np.ndarray:
    """The kernels of every scale in ``RIDGE_SCALES``, zero-padded to the largest one's side:
    ``(scales, 3, side, side)``."""
    kernels = [_hessian_kernels(sigma) for sigma in RIDGE_SCALES]
    side = max(k.shape[1] for k in kernels)
    padded = np.zeros((len(kernels), 3, side, side))
    for out, k in zip(padded, kernels, strict=True):
        pad = (side - k.shape[1]) // 2
        out[:, pad : side - pad, pad : side - pad] = k
    return padded


def lightness_around(lab8: np.ndarray, click: Click, reach: int) -> tuple[np.ndarray, Click]:
    """The lightness of the window ``reach`` pixels around ``click`` in the image's Lab colours
    ``lab8`` and the click in that window."""
    y0, x0 = max(round(click.y) - reach, 0), max(round(click.x) - reach, 0)
    y1, x1 = round(click.y) + reach + 1, round(click.x) + reach + 1
    lightness = lab_lightness(lab8[y0:y1, x0:x1])
    return lightness, Click(click.y - y0, click.x - x0, True)


def ridge_width(lightness: np.ndarray, click: Click, strength: float) -> float:
    """Width in pixels of a line (ridge or valley of lightness) through the click, or inf.

    The Hessian of the lightness is taken at each of ``RIDGE_SCALES`` and normalised by the
    squared scale; at the click (best of its 3×3 neighbourhood) the scale with the strongest
    line response ``|λ1| − |λ2|`` wins. A bar of width ``w`` answers best near ``σ ≈ w / 2``, so
    the width is twice the winning scale. The response must reach ``strength`` (lightness
    units) and dominate the cross direction (``|λ2| < |λ1| / 2``), else there is no line: inf.
    Only the window of ``RIDGE_RADIUS`` around the click is read (mirrored at image edges).
    """
    cy, cx = round(click.y), round(click.x)
    r = RIDGE_RADIUS
    height, width = lightness.shape
    y0, x0 = max(cy - r, 0), max(cx - r, 0)
    patch = lightness[y0 : min(cy + r + 1, height), x0 : min(cx + r + 1, width)]
    pads = ((r - (cy - y0), r - (min(cy + r + 1, height) - cy - 1)),)
    pads += ((r - (cx - x0), r - (min(cx + r + 1, width) - cx - 1)),)
    patch = np.pad(patch.astype(np.float64), pads, mode="symmetric")
    kernels = _ridge_kernels()
    half = kernels.shape[-1] // 2
    area = patch[r - 1 - half : r + 2 + half, r - 1 - half : r + 2 + half]
    windows = np.lib.stride_tricks.sliding_window_view(area, kernels.shape[-2:])
    dyy, dxx, dxy = np.einsum("ijkl,snkl->nsij", windows, kernels)
    root = np.sqrt(((dyy - dxx) / 2) ** 2 + dxy**2)
    mean = (dyy + dxx) / 2
    big = np.maximum(np.abs(mean + root), np.abs(mean - root))
    small = np.minimum(np.abs(mean + root), np.abs(mean - root))
    line = np.where(small < big / 2, big - small, 0.0).reshape(len(RIDGE_SCALES), -1).max(axis=1)
    # a tie goes to the smaller scale
    best = int(np.argmax(line))
    return 2.0 * RIDGE_SCALES[best] if line[best] > 0 and line[best] >= strength else np.inf


def line_direction(lightness: np.ndarray, y: int, x: int, width: float) -> np.ndarray:
    """Unit vector (rows, columns) along the line ``width`` pixels wide through pixel ``(y, x)``
    of ``lightness``: across the eigenvector of the Hessian's eigenvalue of larger magnitude,
    at the scale of half the width (at least the smallest of ``RIDGE_SCALES``)."""
    kernels = _hessian_kernels(max(width / 2, RIDGE_SCALES[0]))
    half = kernels.shape[1] // 2
    patch = np.pad(lightness.astype(np.float64), half, mode="symmetric")
    window = patch[y : y + 2 * half + 1, x : x + 2 * half + 1]
    dyy, dxx, dxy = (float((k * window).sum()) for k in kernels)
    values, vectors = np.linalg.eigh(np.array([[dyy, dxy], [dxy, dxx]]))
    across = vectors[:, int(np.argmax(np.abs(values)))]
    return np.array([-across[1], across[0]])


def long_line(lightness: np.ndarray, click: Click, width: float, strength: float) -> bool:
    """Whether the line of ``width`` through the click goes on along its own direction: all
    but one of the points ``LINE_STEPS`` pixels from it either way read a line
    (``ridge_width`` with ``strength``) at most two pixels wider or narrower."""
    cy, cx = round(click.y), round(click.x)
    direction = line_direction(lightness, cy, cx, width)
    height, width_px = lightness.shape
    points = [(cy + d * direction[0], cx + d * direction[1]) for s in LINE_STEPS for d in (s, -s)]
    found = sum(
        abs(ridge_width(lightness, Click(py, px, True), strength) - width) <= 2.0
        for py, px in points
        if 0 <= py < height and 0 <= px < width_px
    )
    return found >= len(points) - 1


def lightness_difference(lightness: np.ndarray, y: int, x: int, radius: int = 9) -> float:
    """How much lighter (> 0) or darker (< 0) than its surroundings pixel ``(y, x)`` is: the
    median lightness of its 3×3 pixels less that of the window of ``radius`` around it."""
    window = lightness[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1]
    centre = lightness[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
    return float(np.median(centre)) - float(np.median(window))


def contrast_to_surroundings(lightness: np.ndarray, y: int, x: int, radius: int = 9) -> float:
    """How far the line through pixel ``(y, x)`` stands out from its surroundings: the
    difference between its lightness and its window's (``lightness_difference``) over the
    standard deviation of the window's pixels at least 4 px from it that are not on a line of
    the same sign (beyond half that difference). A pole on snow reaches 4–8; a ridge in a
    textured surface (a fish's scales) stays near or below 2."""
    y0, x0 = max(y - radius, 0), max(x - radius, 0)
    window = lightness[y0 : y + radius + 1, x0 : x + radius + 1]
    median = float(np.median(window))
    difference = lightness_difference(lightness, y, x, radius)
    rows, cols = np.ogrid[: window.shape[0], : window.shape[1]]
    ring = np.hypot(rows - (y - y0), cols - (x - x0)) >= 4
    on_line = np.sign(difference) * (window - median) > 0.5 * abs(difference)
    rest = window[ring & ~on_line]
    spread = float(rest.std()) if rest.size else 0.0
    return abs(difference) / max(spread, 1e-6)


def click_paths(
    cost: np.ndarray, points: list[tuple[int, int]], max_mean_cost: float
) -> np.ndarray:
    """Pixels on the cheapest paths joining each point to its nearest neighbours among them.

    Each point is joined to the nearer of its two nearest other points for which the cheapest
    path (8-connected, geometric lengths) over ``cost`` averages at most ``max_mean_cost`` per
    pixel; a path that leaves the object's colours costs more and is dropped. Returns a boolean
    image the shape of ``cost``.
    """
    out = np.zeros(cost.shape, dtype=bool)
    array = np.array(points, dtype=float).reshape(-1, 2)
    search = None  # one search object for all points: each search starts afresh
    for i, here in enumerate(points):
        order = np.argsort(np.hypot(*(array - array[i]).T), kind="stable")
        targets = [points[int(j)] for j in order[1:3] if points[int(j)] != here]
        if not targets:
            continue
        if search is None:
            search = MCP_Geometric(cost, fully_connected=True)
        costs, _ = search.find_costs([here], targets, find_all_ends=True)
        for target in targets:
            path = np.array(search.traceback(target))
            if costs[target] / max(len(path), 1) <= max_mean_cost:
                out[path[:, 0], path[:, 1]] = True
                break
    return out


def colour_cost(lab: np.ndarray, points: list[tuple[int, int]], tolerance: float) -> np.ndarray:
    """Per-pixel path cost ``1 + (ΔE / tolerance)²``, ΔE to the nearest clicked colour (the
    median of the 3×3 neighbourhood of each point)."""
    distance = np.full(lab.shape[:2], np.inf, dtype=np.float32)
    for y, x in points:
        colour = np.median(lab[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].reshape(-1, 3), 0)
        distance = np.minimum(distance, np.linalg.norm(lab - colour, axis=-1))
    return 1.0 + (distance / tolerance) ** 2


def local_llr(
    bins: np.ndarray, fg: np.ndarray, bg: np.ndarray, shape: tuple[int, ...], smoothing: float
) -> np.ndarray:
    """Per-pixel colour log-likelihood ratio of the ``fg`` over the ``bg`` pixels of a crop.

    ``bins`` holds each pixel's colour-histogram bin of a histogram of ``shape``; both
    histograms are Gaussian-smoothed by ``smoothing`` bins.
    """
    n_bins = int(np.prod(shape))
    hists = []
    for sample in (fg, bg):
        h = np.bincount(bins[sample], minlength=n_bins).astype(np.float64)
        h = ndimage.gaussian_filter(h.reshape(shape), smoothing, mode="constant").ravel()
        hists.append(h / max(h.sum(), 1e-12) + 1e-6)
    return np.clip(np.log(hists[0]) - np.log(hists[1]), -6.0, 6.0)[bins]


def thin_segment(
    lab: np.ndarray,
    bins: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    seeds: np.ndarray,
    points: list[tuple[int, int]],
    band: float,
    settings: EmbeddedSettings,
) -> tuple[np.ndarray, float]:
    """Pixel graph cut of a thin object in a crop, confined to a band around its clicks.

    Args:
        lab: float Lab crop.
        bins: colour-histogram bin of each pixel of the crop.
        weights: right/down contrast weights of the crop's neighbour pairs.
        seeds: +1 / -1 on pixels the positive / negative clicks fix (colour-consistent disks).
        points: positive clicks (row, column) in the crop.
        band: pixels farther than this from the object's core are background.
        settings: the engine's settings.

    The cheapest paths between the clicks over pixels of the clicked colours and the
    positive seeds form the core. Inside the band, unaries are a local colour log-likelihood
    ratio (core against the pixels around the band), a geodesic term and a pull towards the
    paths. Returns the mask and the share of its rim held by the band limit rather than by the
    image (high when the object is wider than the band).
    """
    s = settings
    seeds = seeds.copy()
    path = click_paths(colour_cost(lab, points, s.colour_tolerance), points, s.path_max_cost)
    to_core = ndimage.distance_transform_edt(~(path | (seeds > 0)))
    outside = (to_core > band) & (seeds == 0)
    around = outside & (to_core <= 3 * band)
    bins = bins.astype(np.int64)
    fg, bg = path | (seeds > 0), around | (seeds < 0)
    llr = local_llr(bins, fg, bg, LAB_BINS, s.colour_smoothing)
    seeds[outside] = -1
    # geodesics only matter inside the band: pixels beyond its rim are not traversed
    reach = to_core <= band + 1.5
    cost = np.where(reach, 1.0 + s.pixel_cost * np.maximum(-llr, 0.0), np.inf)
    d_pos = geodesic_map(cost, (seeds > 0) & reach)
    d_neg = geodesic_map(cost, (seeds < 0) & reach)
    geo = np.clip((np.minimum(d_neg, 1e6) - np.minimum(d_pos, 1e6)) / s.pixel_geo_scale, -6, 6)
    unary = s.colour_weight * llr + s.pixel_geo_weight * geo
    unary[path] += s.path_weight
    smooth = (s.pixel_smoothness * weights[0], s.pixel_smoothness * weights[1])
    mask = segment_box(unary, smooth, seeds)
    rim = mask & ndimage.binary_dilation(~mask)
    held = mask & ndimage.binary_dilation(outside)
    return mask, float(np.count_nonzero(held)) / max(np.count_nonzero(rim), 1)
