"""Pixel-accurate refinement of a superpixel segmentation near its boundary and the clicks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from scipy import ndimage

from ..checks import corrects, other_side
from ..types import Click
from .embedded_graph import min_cut

SAMPLE_REACH = 2.0  # object_samples: how far a deep click's samples reach, in mask radii


def pixel_pair_weights(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contrast-sensitive weights of each pixel to its right and lower neighbour."""
    right = np.sum((lab[:, 1:] - lab[:, :-1]) ** 2, axis=2)
    down = np.sum((lab[1:] - lab[:-1]) ** 2, axis=2)
    mean = (right.sum() + down.sum()) / max(right.size + down.size, 1)
    beta = 1.0 / (2.0 * max(float(mean), 1e-6))
    return np.exp(-beta * right).astype(np.float32), np.exp(-beta * down).astype(np.float32)


def band_segments(edges: np.ndarray, fg: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Superpixels on the foreground boundary, the seeds, and the seeds' neighbours."""
    n = len(fg)
    band = np.zeros(n, dtype=bool)
    crossing = fg[edges[:, 0]] != fg[edges[:, 1]]
    band[edges[crossing].ravel()] = True
    band[seeds] = True
    is_seed = np.zeros(n, dtype=bool)
    is_seed[seeds] = True
    touching = is_seed[edges[:, 0]] | is_seed[edges[:, 1]]
    band[edges[touching].ravel()] = True
    return band


def click_disks(
    shape: tuple[int, int], clicks: list[Click], radius: float | Sequence[float]
) -> Iterator[tuple[Click, tuple[slice, slice], np.ndarray]]:
    """Per click: the click, the window of the image around it (a pair of slices) and its disk
    in that window; ``radius`` is one for all clicks or one per click."""
    radii = [float(radius)] * len(clicks) if np.isscalar(radius) else list(radius)
    for click, reach in zip(clicks, radii, strict=True):
        r = int(np.ceil(reach))
        cy, cx = round(click.y), round(click.x)
        y0, y1 = max(cy - r, 0), min(cy + r + 1, shape[0])
        x0, x1 = max(cx - r, 0), min(cx + r + 1, shape[1])
        yy, xx = np.ogrid[y0:y1, x0:x1]
        yield click, np.s_[y0:y1, x0:x1], (yy - cy) ** 2 + (xx - cx) ** 2 <= reach * reach


def disk_labels(
    shape: tuple[int, int], clicks: list[Click], radius: float | Sequence[float]
) -> np.ndarray:
    """Image of +1 / -1 inside the disks around positive / negative clicks (later clicks win),
    each click keeping its own pixel (the later one of two on the same pixel); ``radius`` is
    one for all clicks or one per click.

    A negative click a pixel from a positive one (the edge of a pole beside the glove) took
    the positive click's own pixel, and with it the whole object, which must hold its
    positive clicks."""
    out = np.zeros(shape, dtype=np.int8)
    for click, window, disk in click_disks(shape, clicks, radius):
        out[window][disk] = 1 if click.positive else -1
    for click in clicks:
        y, x = round(click.y), round(click.x)
        if 0 <= y < shape[0] and 0 <= x < shape[1]:
            out[y, x] = 1 if click.positive else -1
    return out


#: the smallest disk a correcting click fixes, in pixels
MIN_RADIUS = 1.0


def click_radii(clicks: list[Click], prev: np.ndarray | None, radius: float) -> list[float]:
    """The radius of the disk each click fixes: ``radius``, or less for a click that corrects
    the previous mask near its edge.

    A positive click outside the previous mask, or a negative one inside it, d pixels from the
    mask's edge corrects a part about d pixels deep there; a wider disk would paint the other
    side of the object's edge too, and the next click would have to take it back. So such a
    disk reaches no farther than the mask's edge, and is at least ``MIN_RADIUS`` wide. A click
    the mask agrees with keeps its disk (a first click inside the few pixels it gave).
    """
    if prev is None:
        return [radius] * len(clicks)
    mask = prev > 0.5
    radii = []
    for click in clicks:
        # the mask's pixels near a positive click outside it (background near a negative one)
        nearest = other_side(mask, click, int(np.ceil(radius))) if corrects(mask, click) else None
        radii.append(radius if nearest is None else max(MIN_RADIUS, min(radius, nearest)))
    return radii


def seeding_clicks(clicks: list[Click], radii: Sequence[float], radius: float) -> list[Click]:
    """The clicks whose superpixels the cut fixes: all but the negative clicks whose disk
    ``click_radii`` made narrower than ``radius`` (a click on a mask error that thin).

    A negative click on one pixel of snow that the previous mask took beside a two-pixel pole
    fixed its whole superpixel, the pole's pixels in it included, to background, and cut the
    pole; its disk alone says what it asks for.
    """
    return [c for c, r in zip(clicks, radii, strict=True) if c.positive or r >= radius]


def _depth(mask: np.ndarray, click: Click) -> float | None:
    """``other_side`` of ``click`` in ``mask``, searched in a window that doubles from 16 px
    until it holds the nearest pixel (a negative click inside a large mask would otherwise
    list every background pixel of the frame)."""
    within = 16
    while True:
        d = other_side(mask, click, within)
        if (d is not None and d <= within) or within >= max(mask.shape):
            return d
        within *= 2


def relaxed_prior(
    prev: np.ndarray,
    clicks: list[Click],
    depth: float,
    on_lines: Sequence[int] = (),
    reach: float = np.inf,
) -> np.ndarray:
    """``prev`` made neutral (0.5) within ``min(d, reach)`` pixels of each click that corrects
    it at a depth ``d`` of at least ``depth`` (its distance to the mask's other side; 0:
    never), except the clicks whose indices ``on_lines`` names and those whose disk would
    reach less than ``depth``.

    A positive click deep in a part the previous mask missed (a leg 40 px from it) says that
    mask is wrong over about that distance around it: there the previous mask's log-odds
    should not hold the engine back, or the click gains little beyond its own superpixels. A
    click on a line (a ski 20 px from the other one) says only that the line is missing.
    """
    if depth <= 0:
        return prev
    mask = prev > 0.5
    out = prev
    for i, click in enumerate(clicks):
        if i in on_lines:
            continue
        d = _depth(mask, click) if corrects(mask, click) else None
        if d is None or min(d, reach) < depth:
            continue
        if out is prev:
            out = prev.copy()
        for _, window, disk in click_disks(prev.shape, [click], min(d, reach)):
            out[window][disk] = 0.5
    return out


def object_samples(
    prev: np.ndarray, clicks: list[Click], depth: float, skip: Sequence[int], share: float
) -> np.ndarray:
    """The previous mask as the object's colour samples: ``prev``, plus what it voided around
    the deep clicks (``relaxed_prior`` with ``depth``; the clicks ``skip`` names excepted)
    adds within ``SAMPLE_REACH`` times the mask's equivalent radius, scaled down to at most
    ``share`` times the mask's area (0: none).

    The missed part around a deep positive click is likely object, yet the disk of its depth
    also holds background: the end of a ski 180 px from a 1,000-px mask, a clay court around
    a leg, a white board's snow. The reach and the cap keep such a disk from making the
    background the object's main colour.
    """
    area = np.count_nonzero(prev > 0.5)
    if share <= 0 or area == 0:
        return prev
    reach = SAMPLE_REACH * np.sqrt(area / np.pi)
    relaxed = relaxed_prior(prev, clicks, depth, skip, reach)
    gain = float(np.sum(relaxed - prev))
    if gain <= 0:
        return prev
    return prev + (relaxed - prev) * min(1.0, share * area / gain)


def refine(
    region: np.ndarray,
    coarse: np.ndarray,
    pixel_logit: np.ndarray,
    weights: tuple[np.ndarray, np.ndarray],
    disks: np.ndarray,
    smoothness: float,
) -> np.ndarray:
    """Relabel the pixels of ``region`` by a pixel graph cut; the rest keep ``coarse``.

    ``pixel_logit`` gives each pixel's foreground log-odds, ``weights`` the right/down pair
    weights, and ``disks`` (+1/-1/0) the pixels fixed by the clicks.
    """
    out = coarse.copy()
    region = region | (disks != 0)
    nodes = np.flatnonzero(region)
    if nodes.size == 0:
        return out
    index = np.full(region.size, -1, dtype=np.int64)
    index[nodes] = np.arange(nodes.size)
    index = index.reshape(region.shape)
    unary = pixel_logit.ravel()[nodes].astype(np.float64)
    pair_a, pair_b, pair_w = [], [], []
    for ia, ib, ca, cb, w in (
        (index[:, :-1], index[:, 1:], coarse[:, :-1], coarse[:, 1:], weights[0]),
        (index[:-1], index[1:], coarse[:-1], coarse[1:], weights[1]),
    ):
        w = smoothness * w
        both = (ia >= 0) & (ib >= 0)
        pair_a.append(ia[both])
        pair_b.append(ib[both])
        pair_w.append(w[both])
        # a node beside a fixed pixel is pulled towards that pixel's label
        for node, fixed_label, mask in (
            (ia, cb, (ia >= 0) & (ib < 0)),
            (ib, ca, (ib >= 0) & (ia < 0)),
        ):
            pull = np.where(fixed_label[mask], w[mask], -w[mask])
            np.add.at(unary, node[mask], pull)
    edges = np.stack([np.concatenate(pair_a), np.concatenate(pair_b)], axis=1)
    seeds = disks.ravel()[nodes]
    fg = min_cut(
        nodes.size,
        edges,
        np.concatenate(pair_w),
        unary,
        np.flatnonzero(seeds > 0),
        np.flatnonzero(seeds < 0),
    )
    out.ravel()[nodes] = fg
    return out


def connected_to_clicks(mask: np.ndarray, clicks: list[Click]) -> np.ndarray:
    """Keep only the foreground components that hold a positive click."""
    components, _ = ndimage.label(mask)
    keep = {int(components[round(c.y), round(c.x)]) for c in clicks if c.positive}
    keep.discard(0)
    if not keep:
        return np.zeros_like(mask)
    return np.isin(components, sorted(keep))
