"""Weight-free interactive segmentation: superpixels, colour models, geodesics and a graph cut."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
from scipy.ndimage import gaussian_filter

from ..types import Click
from .base import Features, check_clicks, check_image, check_prev_mask
from .embedded_features import LAB_BINS, compute_features, lab_float
from .embedded_graph import (
    connected_superpixels,
    geodesic_distance,
    min_cut,
    superpixel_pair_weights,
)
from .embedded_growth import guard_growth
from .embedded_pixel import colour_disks, line_disks, object_box, outside_share
from .embedded_refine import (
    band_segments,
    connected_to_clicks,
    disk_labels,
    refine,
)
from .embedded_settings import EmbeddedSettings
from .embedded_thin import (
    LINE_STEPS,
    RIDGE_RADIUS,
    contrast_to_surroundings,
    long_line,
    ridge_width,
    thin_segment,
)
from .embedded_zoom import crop_features, zoom_box


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

    @property
    def key(self) -> str:
        """Engine name, package version and every setting, as one string."""
        return f"{self.name}-{_version()}-{json.dumps(asdict(self.settings), sort_keys=True)}"

    def encode(self, image: np.ndarray) -> Features:
        """Superpixels, their colour statistics and adjacency graph of a uint8 RGB image."""
        image = check_image(image)
        s = self.settings
        arrays = compute_features(image, s.pixels_per_segment, s.compactness, s.slic_iterations)
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
        out = self._zoomed(features, clicks, prev)
        s = self.settings
        if not guard or prev is None or len(clicks) < s.guard_after:
            return out
        mask = guard_growth(prev > 0.5, out > 0.5, clicks, s.guard_share, s.flood_factor)
        return np.where(mask, np.maximum(out, 0.75), np.minimum(out, 0.25))

    def _zoomed(
        self, features: Features, clicks: list[Click], prev: np.ndarray | None
    ) -> np.ndarray:
        """Decode in the zoom crop when there is one, else in the whole frame."""
        shape = tuple(features.image_shape)
        box = self._zoom_box(prev, clicks)
        if box is None:
            return self._decode(features.arrays, clicks, prev)
        y0, y1, x0, x1 = box
        inside = [
            Click(c.y - y0, c.x - x0, c.positive)
            for c in clicks
            if y0 <= c.y <= y1 - 1 and x0 <= c.x <= x1 - 1
        ]
        out = np.zeros(shape, dtype=np.float32)
        crop = crop_features(features.arrays, box)
        out[y0:y1, x0:x1] = self._decode(crop, inside, prev[y0:y1, x0:x1])
        return out

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
        pos, neg = self._click_segments(labels, clicks)
        prior = None
        if prev is not None:
            prior = np.bincount(labels.ravel(), weights=prev.ravel(), minlength=n) / a["size"]
        s = self.settings
        disks = disk_labels(shape, clicks, s.click_radius)
        logit, llr_bin, geo = self._unary_logit(a, n, clicks, pos, neg, prior, disks)
        weights = superpixel_pair_weights(a)
        unary = logit * a["size"] / a["size"].mean()
        fg = min_cut(n, a["edges"], s.smoothness * weights, unary, pos, neg)
        if s.keep_connected:
            fg = connected_superpixels(a["edges"], fg, pos)
        mask = fg[labels]
        # the width of the line under each positive click (inf: none), in click order
        widths = {i: self._line_width(a["lab"], c) for i, c in enumerate(clicks) if c.positive}
        if s.refine:
            seeds = np.concatenate([pos, neg])
            fixed = line_disks(a["lab"], clicks, disks, widths, s)
            mask = self._refine(a, fg, mask, clicks, prev, llr_bin, geo, seeds, fixed)
        if s.thin_objects:
            mask = self._thin_objects(a, mask, clicks, prev, widths)
        prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        prob = prob.astype(np.float32)[labels]
        return np.where(mask, np.maximum(prob, 0.75), np.minimum(prob, 0.25))

    def _refine(
        self,
        a: dict,
        fg: np.ndarray,
        coarse: np.ndarray,
        clicks: list[Click],
        prev: np.ndarray | None,
        llr_bin: np.ndarray,
        geo: np.ndarray,
        seeds: np.ndarray,
        disks: np.ndarray,
    ) -> np.ndarray:
        """Pixel graph cut in a band of superpixels along the boundary and around the clicks."""
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
        if prev is not None:
            p = np.clip(prev[box], 0.02, 0.98)
            logit += s.prior_weight * np.log(p / (1.0 - p))
        weights = (a["weight_right"][y0:y1, x0 : x1 - 1], a["weight_down"][y0 : y1 - 1, x0:x1])
        mask = coarse.copy()
        mask[box] = refine(region[box], coarse[box], logit, weights, disks[box], s.pixel_smoothness)
        return connected_to_clicks(mask, clicks) if s.keep_connected else mask

    def _line_width(self, lab8: np.ndarray, click: Click) -> float:
        """Width of the line through ``click`` (embedded_thin.ridge_width), inf when none."""
        y0, x0 = max(round(click.y) - RIDGE_RADIUS, 0), max(round(click.x) - RIDGE_RADIUS, 0)
        y1, x1 = round(click.y) + RIDGE_RADIUS + 1, round(click.x) + RIDGE_RADIUS + 1
        lightness = lab_float(lab8[y0:y1, x0:x1])[..., 0]
        inside = Click(click.y - y0, click.x - x0, True)
        return ridge_width(lightness, inside, self.settings.ridge_strength)

    def _thin_band(self, widths: list[float]) -> tuple[float | None, bool]:
        """Half-width of the band around a thin object's core and whether the positive clicks
        lie on a line (at least two thirds of them: one where the line crosses something, a
        gate pole, a glove, reads no line there); None when the clicks do not read as a thin
        object.

        ``widths`` are the line widths at the positive clicks (``_line_width``). The object is
        thin when there are two positive clicks or more and their median is at most
        ``thin_width``.
        """
        s = self.settings
        if len(widths) < 2:
            return None, False
        width = float(np.median(widths))
        if width > s.thin_width:
            return None, False
        count = sum(w <= s.thin_width for w in widths)
        return max(s.band_min, s.band_factor * width), 3 * count >= 2 * len(widths)

    def _thin_objects(
        self,
        a: dict,
        mask: np.ndarray,
        clicks: list[Click],
        prev: np.ndarray | None,
        widths: dict[int, float],
    ) -> np.ndarray:
        """``mask``, or the thin-object mask where ``mask`` leaked (docs/engines.md); ``widths``
        are the line widths at the positive clicks, by click index.

        A positive click on a line fixes a disk only one pixel wider than the line
        (``_seed_radius``), so a click on a faint pole does not fix a blob of the snow around
        it."""
        s = self.settings
        if len(widths) == 1:
            return self._lone_line_click(a, mask, clicks, widths)
        band, on_lines = self._thin_band(list(widths.values()))
        if band is None:
            return mask
        reach = s.leak_reach * band
        flood = outside_share(mask, clicks, reach) > s.flood_share
        if not (flood or on_lines):
            return mask
        y0, y1, x0, x1 = object_box(mask.shape, clicks, None, max(s.thin_margin, 3 * band + 2))
        lab = lab_float(a["lab"][y0:y1, x0:x1])
        kept = [i for i, c in enumerate(clicks) if y0 <= c.y < y1 and x0 <= c.x < x1]
        inside = [Click(clicks[i].y - y0, clicks[i].x - x0, clicks[i].positive) for i in kept]
        radii = [self._seed_radius(widths.get(i, np.inf)) for i in kept]
        crop_mask, held = thin_segment(
            lab,
            a["pixel_bin"][y0:y1, x0:x1],
            (a["weight_right"][y0:y1, x0 : x1 - 1], a["weight_down"][y0 : y1 - 1, x0:x1]),
            colour_disks(lab, inside, radii, s.colour_tolerance),
            [(round(c.y), round(c.x)) for c in inside if c.positive],
            band,
            s,
        )
        thin = np.zeros(mask.shape, dtype=bool)
        thin[y0:y1, x0:x1] = connected_to_clicks(crop_mask, inside)
        grows = np.count_nonzero(mask) > s.leak_ratio * np.count_nonzero(thin)
        if held > s.thin_held or not (flood or grows):
            return mask
        newest = max(widths)  # the index of the newest positive click
        keeps = self._keeps_prior(thin, prev, clicks, reach, a["lab"], widths[newest])
        return thin if keeps else mask

    def _lone_line_click(
        self, a: dict, mask: np.ndarray, clicks: list[Click], widths: dict[int, float]
    ) -> np.ndarray:
        """``mask``, or for a lone positive click on a pole whose result flooded away from it,
        the pole's pixels in the click's disk (``line_disks``): the next click along the pole
        makes the line (the thin pass needs two). A pole is a long line that stands out from
        plain surroundings (``_stands_out``)."""
        s = self.settings
        ((index, width),) = widths.items()
        click = clicks[index]
        if width > s.thin_width:
            return mask
        reach = s.leak_reach * max(s.band_min, s.band_factor * width)
        if outside_share(mask, clicks, reach) <= s.flood_share:
            return mask
        if not self._stands_out(a["lab"], click, width):
            return mask
        disk = disk_labels(mask.shape, [click], s.click_radius)
        line = line_disks(a["lab"], [click], disk, {0: width}, s) > 0
        # a click whose disk its own colour fills is no thin line: the result stands
        return line if np.count_nonzero(line) < np.count_nonzero(disk) else mask

    def _stands_out(self, lab8: np.ndarray, click: Click, width: float) -> bool:
        """Whether ``click`` lies on a pole: a line at most ``thin_width`` wide (``width``) that
        goes on along its direction (``long_line``) and stands out from its surroundings by
        ``line_contrast`` times their spread (``contrast_to_surroundings``): a pole on snow, not
        a ridge in the texture of a fish or a coat."""
        s = self.settings
        if width > s.thin_width or s.line_contrast <= 0:
            return False
        reach = RIDGE_RADIUS + max(LINE_STEPS) + 1
        y0, x0 = max(round(click.y) - reach, 0), max(round(click.x) - reach, 0)
        y1, x1 = round(click.y) + reach + 1, round(click.x) + reach + 1
        lightness = lab_float(lab8[y0:y1, x0:x1])[..., 0]
        inside = Click(click.y - y0, click.x - x0, True)
        if contrast_to_surroundings(lightness, round(inside.y), round(inside.x)) < s.line_contrast:
            return False
        return long_line(lightness, inside, width, s.ridge_strength)

    def _seed_radius(self, width: float) -> float:
        """Radius of the disk a click fixes in the thin pass: ``click_radius``, or, for a
        positive click on a line at most ``thin_width`` wide (``width``; inf for none or a
        negative click), a disk one pixel wider than the line (at least one pixel in radius)."""
        s = self.settings
        if width > s.thin_width:
            return s.click_radius
        return max(1.0, min(s.click_radius, (width + 1) / 2))

    def _keeps_prior(
        self,
        thin: np.ndarray,
        prev: np.ndarray | None,
        clicks: list[Click],
        reach: float,
        lab8: np.ndarray,
        width: float,
    ) -> bool:
        """Whether the thin mask may replace the previous one.

        It must keep ``keep_share`` of the previous mask, unless that mask had flooded away from
        the clicks and the latest positive click lies inside it (the click adds nothing to the
        flood: it says which thin part of it is meant) or on a pole (``_stands_out``, with the
        image's Lab colours ``lab8`` and the line ``width`` at the click: the first click on
        the pole flooded the snow, the second, outside that flood, says the line is meant). So
        a click that corrects a sound wide object is never read as a line.
        """
        s = self.settings
        if prev is None:
            return True
        before = prev > 0.5
        area = np.count_nonzero(before)
        if area == 0:
            return True
        if np.count_nonzero(thin & before) >= s.keep_share * area:
            return True
        if outside_share(before, clicks, reach) <= s.flood_share:
            return False
        last = [c for c in clicks if c.positive][-1]
        return bool(before[round(last.y), round(last.x)]) or self._stands_out(lab8, last, width)

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
        disks: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Superpixel foreground log-odds, colour-bin log-likelihood ratios, geodesic term."""
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
        if prior is not None:
            p = np.clip(prior, 0.02, 0.98)
            logit += s.prior_weight * np.log(p / (1.0 - p))
        return logit, llr_bin, geo
