"""Weight-free interactive segmentation: superpixels, colour models, geodesics and a graph cut."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from functools import cache

import numpy as np
from scipy.ndimage import gaussian_filter

from ..checks import in_crop
from ..types import Click
from .base import Features, check_clicks, check_image, check_prev_mask
from .embedded_features import LAB_BINS, compute_features
from .embedded_graph import (
    connected_superpixels,
    geodesic_distance,
    min_cut,
    superpixel_pair_weights,
)
from .embedded_growth import drop_far_growth, drop_unasked_growth, guard_growth
from .embedded_line_between import clicks_at_line_ends
from .embedded_pixel import line_disks
from .embedded_pole_click import clicks_at_pole_starts, line_width
from .embedded_refine import (
    band_segments,
    click_radii,
    connected_to_clicks,
    disk_labels,
    object_samples,
    refine,
    relaxed_prior,
    seeding_clicks,
)
from .embedded_settings import EmbeddedSettings
from .embedded_thin_pass import off_line_radii, snap_near_misses, thin_objects
from .embedded_zoom import click_box, crop_features, inside_crop, zoom_box
from .working_size import clicks_on_grid, downsized, resized, working_shape

#: the smallest ``max_side``: a smaller grid holds too few superpixels to segment anything
MIN_SIDE = 64
#: the probability of the pixels the thin pass took from the superpixel result (a flood)
THIN_DROPPED = 0.02
#: the largest share of the frame's first answer the crop's may hold to replace it (a flood)
FIRST_ZOOM_SHARE = 0.5
#: the largest share of the frame the first click's crop may cover: on photos a crop of
#: ``first_zoom_side`` holds much of a large object, whose own colours then count as background
FIRST_ZOOM_AREA = 0.12


@cache  # read once: the key is asked for on every click
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("napari-skipclick")
    except PackageNotFoundError:
        return "unknown"


class EmbeddedEngine:
    """Interactive segmentation that needs no weights; see docs/engines.md for the method."""

    name = "embedded"

    def __init__(self, **settings: float | bool) -> None:
        known = set(EmbeddedSettings.__dataclass_fields__)
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown embedded engine settings {unknown}; known: {sorted(known)}")
        self.settings = EmbeddedSettings(**settings)
        side = self.settings.max_side
        if side and side < MIN_SIDE:
            raise ValueError(f"max_side must be 0 (full size) or at least {MIN_SIDE}, got {side}")

    @property
    def key(self) -> str:
        """Engine name, package version and every setting, as one string."""
        return f"{self.name}-{_version()}-{json.dumps(asdict(self.settings), sort_keys=True)}"

    def working_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        """The grid a frame of ``shape`` is worked on (``max_side``)."""
        return working_shape(shape, self.settings.max_side)

    def encode(self, image: np.ndarray) -> Features:
        """Superpixels, their colour statistics and adjacency graph of a uint8 RGB image, on
        the image downsized to a longer side of ``max_side`` when it is larger."""
        image = check_image(image)
        s = self.settings
        small = downsized(image, s.max_side)
        arrays = compute_features(small, s.pixels_per_segment, s.compactness, s.slic_iterations)
        return Features(image_shape=image.shape[:2], arrays=arrays)

    def decode(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Foreground probabilities for the clicks, using ``prev_mask`` as a prior."""
        return self._decode_clicks(features, clicks, prev_mask, guard=True)

    def decode_carried(
        self, features: Features, clicks: Sequence[Click], prev_mask: np.ndarray
    ) -> np.ndarray:
        """``decode`` for propagation: the clicks derived from a moved mask, that mask as prior.

        Without the guard against growth no click asked for: an object that moves grows where
        it moves, away from the clicks derived from where it was.
        """
        return self._decode_clicks(features, clicks, prev_mask, guard=False)

    def _decode_clicks(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None,
        guard: bool,
    ) -> np.ndarray:
        shape = tuple(features.image_shape)
        clicks = check_clicks(clicks, shape)
        prev = check_prev_mask(prev_mask, shape)
        if not any(c.positive for c in clicks):
            return np.zeros(shape, dtype=np.float32)
        grid = features.arrays["labels"].shape  # the frame's, or its downsized grid (max_side)
        if grid == shape:
            return self._guarded(features.arrays, clicks, prev, guard)
        small_prev = None if prev is None else resized(prev, grid)
        small_clicks = clicks_on_grid(clicks, shape, grid)
        return resized(self._guarded(features.arrays, small_clicks, small_prev, guard), shape)

    def _guarded(
        self, arrays: dict, clicks: list[Click], prev: np.ndarray | None, guard: bool
    ) -> np.ndarray:
        """The decode on the grid of ``arrays``, with the guards against growth no click asked
        for when ``guard`` (and a previous mask) is given."""
        out = self._zoomed(arrays, clicks, prev)
        s = self.settings
        if not guard or prev is None:
            return out
        before, mask = prev > 0.5, out > 0.5
        if len(clicks) >= s.guard_after:
            mask = guard_growth(before, mask, clicks, s.guard_share, s.flood_factor)
        else:
            # a negative click asks for no growth, however early it comes; an early positive
            # click may add much to a rough mask, but not a flood
            share = s.early_guard_share if clicks[-1].positive else s.guard_share
            if share > 0:
                mask = drop_unasked_growth(before, mask, clicks, share)
        if s.settle_reach > 0:
            mask = drop_far_growth(before, mask, clicks, s.settle_reach)
        return np.where(mask, np.maximum(out, 0.75), np.minimum(out, 0.25))

    def _zoomed(self, arrays: dict, clicks: list[Click], prev: np.ndarray | None) -> np.ndarray:
        """Decode in the zoom crop when there is one, else in the whole frame (``arrays``: its
        features, on the grid of the clicks and ``prev``)."""
        box = self._zoom_box(prev, clicks)
        if box is not None:
            return self._in_crop(arrays, clicks, prev, box)
        out = self._decode(arrays, clicks, prev)
        if prev is not None and (prev > 0.5).any():
            return out
        return self._first(arrays, clicks, prev, out)

    def _in_crop(
        self,
        arrays: dict,
        clicks: list[Click],
        prev: np.ndarray | None,
        box: tuple[int, int, int, int],
    ) -> np.ndarray:
        """Decode in the crop ``box`` of the frame; 0 outside it."""
        y0, y1, x0, x1 = box
        inside = [c for c in (in_crop(click, box) for click in clicks) if c is not None]
        out = np.zeros(arrays["labels"].shape, dtype=np.float32)
        crop_prev = None if prev is None else prev[y0:y1, x0:x1]
        out[y0:y1, x0:x1] = self._decode(crop_features(arrays, box), inside, crop_prev)
        return out

    def _first(
        self, arrays: dict, clicks: list[Click], prev: np.ndarray | None, out: np.ndarray
    ) -> np.ndarray:
        """The answer ``out`` to clicks with no mask yet, or the answer in a crop of
        ``first_zoom_side`` around them where that one ends inside the crop and holds at most
        ``FIRST_ZOOM_SHARE`` of the frame's: a small object whose colours the wider background
        holds too (a board before dark mountains) floods in the frame, not in the crop."""
        side = self.settings.first_zoom_side
        shape = arrays["labels"].shape
        box = click_box(shape, clicks, side) if side > 0 else None
        mask = out > 0.5
        if box is None or not mask.any():
            return out
        y0, y1, x0, x1 = box
        if (y1 - y0) * (x1 - x0) > FIRST_ZOOM_AREA * mask.size:
            return out
        if mask[y0:y1, x0:x1].sum() == mask.sum():
            return out  # the answer lies in the crop already
        crop = self._in_crop(arrays, clicks, prev, box)
        small = crop[y0:y1, x0:x1] > 0.5
        if not small.any() or not inside_crop(small, box, shape):
            return out
        return crop if small.sum() <= FIRST_ZOOM_SHARE * mask.sum() else out

    def _zoom_box(
        self, prev: np.ndarray | None, clicks: list[Click]
    ) -> tuple[int, int, int, int] | None:
        """The crop to decode in (embedded_zoom), or None for the whole frame: the object has a
        mask and its box, grown, covers at most ``zoom_area`` of the frame."""
        s = self.settings
        if prev is None or s.zoom_area <= 0:
            return None
        mask = prev > 0.5
        if not mask.any():
            return None
        box = zoom_box(mask, clicks, s.zoom_expansion, int(s.zoom_min_side))
        area = (box[1] - box[0]) * (box[3] - box[2])
        return box if area <= s.zoom_area * mask.size else None

    def _decode(self, a: dict, clicks: list[Click], prev: np.ndarray | None) -> np.ndarray:
        """Foreground probabilities of the image (or crop) whose feature arrays are ``a``."""
        labels = a["labels"]
        shape = labels.shape
        n = len(a["size"])
        s = self.settings
        widths = {i: line_width(a["lab"], c, s) for i, c in enumerate(clicks) if c.positive}
        if s.thin_objects:
            clicks, widths = snap_near_misses(a["lab"], clicks, widths, s)
        radii = click_radii(clicks, prev, s.click_radius)
        seeded = seeding_clicks(clicks, radii, s.click_radius) if s.shallow_negatives else clicks
        pos, neg = self._click_segments(labels, seeded)
        # the previous mask: as colour samples (prior: with some of what deep positive clicks
        # void, embedded_refine.object_samples) and as log-odds (belief: voided around a click
        # that corrects it deeply, embedded_refine.relaxed_prior)
        prior = belief = prev_belief = None
        if prev is not None:
            on_lines = [i for i, width in widths.items() if width <= s.thin_width]
            prev_belief = relaxed_prior(prev, clicks, s.prior_relax, on_lines)
            negative = [i for i, c in enumerate(clicks) if not c.positive]
            samples = object_samples(
                prev, clicks, s.prior_relax, on_lines + negative, s.relax_samples
            )
            prior = np.bincount(labels.ravel(), weights=samples.ravel(), minlength=n) / a["size"]
            belief = np.bincount(labels.ravel(), weights=prev_belief.ravel(), minlength=n)
            belief /= a["size"]
        if s.thin_objects:
            radii = off_line_radii(widths, radii, prev, s)
        disks = disk_labels(shape, clicks, radii)
        logit, llr_bin, geo = self._unary_logit(a, n, clicks, pos, neg, prior, belief, disks)
        weights = superpixel_pair_weights(a)
        unary = logit * a["size"] / a["size"].mean()
        fg = min_cut(n, a["edges"], s.smoothness * weights, unary, pos, neg)
        if s.keep_connected:
            fg = connected_superpixels(a["edges"], fg, pos)
        mask = fg[labels]
        if s.refine:
            seeds = np.concatenate([pos, neg])
            fixed = line_disks(a["lab"], clicks, disks, widths, s)
            mask = self._refine(a, fg, mask, clicks, prev_belief, llr_bin, geo, seeds, fixed)
        wide = mask
        if s.thin_objects:
            # clicks at a line's ends count as on it, there (the superpixel cut kept them)
            ends, end_widths = clicks_at_line_ends(a["lab"], clicks, widths, s)
            ends, end_widths = clicks_at_pole_starts(a["lab"], ends, end_widths, s)
            mask = thin_objects(a, mask, ends, prev, end_widths, s, asked=clicks)
        prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        prob = prob.astype(np.float32)[labels]
        # what the thin pass took away (the flood around a pole) is no half-belief for the next
        # click's prior (the answer is the session's prior, docs/annotation.md)
        low = np.where(wide & ~mask, THIN_DROPPED, np.minimum(prob, 0.25))
        return np.where(mask, np.maximum(prob, 0.75), low)

    def _refine(
        self,
        a: dict,
        fg: np.ndarray,
        coarse: np.ndarray,
        clicks: list[Click],
        belief: np.ndarray | None,
        llr_bin: np.ndarray,
        geo: np.ndarray,
        seeds: np.ndarray,
        disks: np.ndarray,
    ) -> np.ndarray:
        """Pixel graph cut in a band of superpixels along the boundary and around the clicks;
        ``belief`` is the previous mask as log-odds (``relaxed_prior``), or None."""
        s = self.settings
        labels = a["labels"]
        pixel_llr = llr_bin[a["pixel_bin"]]
        band = band_segments(a["edges"], fg, seeds)
        # superpixels holding enough object-coloured pixels (thin parts) on the object's side
        share = np.bincount(labels.ravel(), weights=(pixel_llr > 0).ravel(), minlength=len(fg))
        band |= (share >= s.thin_fraction * a["size"]) & (geo > 0)
        region = band[labels] | (disks != 0)
        ys, xs = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
        y0, y1 = max(ys[0] - 1, 0), min(ys[-1] + 2, region.shape[0])
        x0, x1 = max(xs[0] - 1, 0), min(xs[-1] + 2, region.shape[1])
        box = np.s_[y0:y1, x0:x1]
        crop_labels = labels[box]
        logit = s.colour_weight * np.clip(pixel_llr[box], -6.0, 6.0)
        logit += s.pixel_geodesic_weight * geo[crop_labels]
        logit += s.coarse_weight * (2.0 * coarse[box] - 1.0)
        if belief is not None:
            p = np.clip(belief[box], 0.02, 0.98)
            logit += s.prior_weight * np.log(p / (1.0 - p))
        weights = (a["weight_right"][y0:y1, x0 : x1 - 1], a["weight_down"][y0 : y1 - 1, x0:x1])
        mask = coarse.copy()
        mask[box] = refine(region[box], coarse[box], logit, weights, disks[box], s.pixel_smoothness)
        return connected_to_clicks(mask, clicks) if s.keep_connected else mask

    @staticmethod
    def _click_segments(labels: np.ndarray, clicks: list[Click]) -> tuple[np.ndarray, np.ndarray]:
        """Superpixels under the positive and negative clicks; a later click wins a tie."""
        sign: dict[int, bool] = {}
        for click in clicks:
            sign[int(labels[round(click.y), round(click.x)])] = click.positive
        pos = np.array([k for k, v in sign.items() if v], dtype=np.int64)
        neg = np.array([k for k, v in sign.items() if not v], dtype=np.int64)
        return pos, neg

    def _colour_llr(
        self, fg_w: np.ndarray, bg_w: np.ndarray, a: dict, disks: np.ndarray, spots: np.ndarray
    ) -> np.ndarray:
        """Log-likelihood ratio of foreground over background for every colour bin.

        Superpixels contribute their colours with weights ``fg_w``/``bg_w``; the click disks'
        pixels are added with ``click_weight``. The colour of a pixel clicked negative
        (``spots``) never favours the foreground, and a colour clicked both ways is neutral. A
        colour clicked positive only keeps its ratio: made neutral, a colour that the background
        holds in bulk (the shading of a shin before a dark room) would let the geodesic term
        flood all the background of that colour near the click.
        """
        s = self.settings
        seg, bins, count = a["hist_segment"], a["hist_bin"], a["hist_count"]
        n_bins = int(np.prod(LAB_BINS))
        hists, support = [], []
        for w, sign in ((fg_w, 1), (bg_w, -1)):
            disk = np.bincount(a["pixel_bin"][disks == sign], minlength=n_bins).astype(np.float64)
            h = np.bincount(bins, weights=count * w[seg], minlength=n_bins) + s.click_weight * disk
            h = gaussian_filter(h.reshape(LAB_BINS), s.colour_smoothing, mode="constant").ravel()
            hists.append(h / max(h.sum(), 1e-12) + 1e-6)
            centre = np.bincount(a["pixel_bin"][spots == sign], minlength=n_bins).astype(np.float64)
            centre = gaussian_filter(centre.reshape(LAB_BINS), s.colour_smoothing, mode="constant")
            support.append(centre.ravel() > s.click_support * max(centre.max(), 1e-12))
        llr = np.log(hists[0]) - np.log(hists[1])
        llr[support[1]] = np.minimum(llr[support[1]], 0.0)
        llr[support[0] & support[1]] = 0.0
        return llr

    def _unary_logit(
        self,
        a: dict,
        n: int,
        clicks: list[Click],
        pos: np.ndarray,
        neg: np.ndarray,
        prior: np.ndarray | None,
        belief: np.ndarray | None,
        disks: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Superpixel foreground log-odds, colour-bin log-likelihood ratios, geodesic term;
        ``prior`` weighs the superpixels as colour samples, ``belief`` gives the log-odds of
        the previous mask (each the superpixels' mean, or None)."""
        s = self.settings
        fg_w = np.zeros(n)
        bg_w = np.zeros(n)
        # without a previous mask the whole image stands for the background colours
        fg_w += 0.0 if prior is None else prior
        bg_w += 1.0 if prior is None else 1.0 - prior
        bg_w[a["border"]] += s.border_weight
        spots = disk_labels(disks.shape, clicks, 0.0)
        llr_bin = self._colour_llr(fg_w, bg_w, a, disks, spots)
        llr = np.clip(
            np.bincount(
                a["hist_segment"], weights=a["hist_count"] * llr_bin[a["hist_bin"]], minlength=n
            )
            / a["size"],
            -6.0,
            6.0,
        )
        costs = a["edge_contrast"] + s.hop_cost
        d_pos = geodesic_distance(n, a["edges"], costs, pos)
        border = np.flatnonzero(a["border"])
        d_neg = geodesic_distance(n, a["edges"], costs, neg, border, s.border_cost)
        geo = np.clip((np.minimum(d_neg, 1e6) - np.minimum(d_pos, 1e6)) / s.geodesic_scale, -6, 6)
        logit = s.colour_weight * llr + s.geodesic_weight * geo
        if belief is not None:
            p = np.clip(belief, 0.02, 0.98)
            logit += s.prior_weight * np.log(p / (1.0 - p))
        return logit, llr_bin, geo
