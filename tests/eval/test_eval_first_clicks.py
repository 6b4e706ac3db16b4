"""One click anywhere: single first clicks spread along each object, and what each gave."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines.base import Features
from napari_skipclick.eval.first_clicks import (
    SLACK,
    evaluate_first_clicks,
    spread_clicks,
    summarize_first_clicks,
)
from napari_skipclick.eval.noc import evaluate_object


def bar_truth() -> np.ndarray:
    """A bar 4 px thick from column 10 to 69 of a 40×100 frame, with a void strip below it."""
    gt = np.zeros((40, 100), np.uint8)
    gt[18:22, 10:70] = 1
    gt[30:34, :] = 255
    return gt


class SplitEngine:
    """Gives the object for a click right of column 40, the whole frame for one left of it."""

    def __init__(self, gt: np.ndarray) -> None:
        self.object = gt == 1
        self.priors: list[np.ndarray | None] = []
        self.encodes = 0

    def encode(self, image: np.ndarray) -> Features:
        self.encodes += 1
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None) -> np.ndarray:
        self.priors.append(prev_mask)
        (click,) = clicks
        mask = self.object if click.x > 40 else np.ones(self.object.shape, bool)
        return mask.astype(np.float32)


def test_clicks_are_spread_along_the_object_from_end_to_end():
    clicks = spread_clicks(bar_truth(), 4)
    assert len(clicks) == 4 and all(c.positive for c in clicks)
    assert all(bar_truth()[c.y, c.x] == 1 for c in clicks)
    columns = [c.x for c in clicks]
    assert columns == sorted(columns) and columns[0] <= 14 and columns[-1] >= 65
    assert len(spread_clicks(bar_truth(), 500)) < 500  # no more clicks than skeleton pixels
    assert spread_clicks(np.zeros((5, 5), np.uint8), 3) == []
    assert spread_clicks(bar_truth(), 0) == []


def test_each_click_is_scored_alone_with_the_empty_prior():
    gt = bar_truth()
    image = np.zeros((*gt.shape, 3), np.uint8)
    engine = SplitEngine(gt)
    result = evaluate_first_clicks(engine, "bar", image, gt, 4)
    assert all(p is not None and not p.any() for p in engine.priors)  # the widget's prior
    left = [c.x <= 40 for c in result.clicks]
    assert left == [True, True, False, False]
    assert result.ious[2:] == [1.0, 1.0]
    # the flood: every valid pixel farther than SLACK from the bar (void not counted)
    rows, cols = np.mgrid[: gt.shape[0], : gt.shape[1]]
    dy, dx = (
        np.maximum(np.maximum(18 - rows, rows - 21), 0),
        np.maximum(np.maximum(10 - cols, cols - 69), 0),
    )
    far = np.hypot(dy, dx) > SLACK
    assert result.off[:2] == [int((far & (gt != 255)).sum())] * 2 and result.off[2:] == [0, 0]
    assert result.ious[0] == pytest.approx(240 / int((gt != 255).sum()))
    assert result.floods == 2
    summary = summarize_first_clicks([result])
    assert summary["clicks"] == 4 and summary["floods"] == 2 and summary["half"] == 0.5
    assert summary["miou"] == pytest.approx(np.mean(result.ious), abs=1e-4)
    assert summary["objects"][0]["clicks"] == [[c.y, c.x] for c in result.clicks]


def test_the_noc_loops_features_serve_the_first_clicks_without_a_second_encode():
    gt = bar_truth()
    image = np.zeros((*gt.shape, 3), np.uint8)
    engine = SplitEngine(gt)
    kept = evaluate_object(engine, "bar", image, gt, max_clicks=1, keep_features=True)
    assert kept.features is not None and "features" not in kept.to_dict()
    result = evaluate_first_clicks(engine, "bar", image, gt, 4, kept.features)
    assert engine.encodes == 1 and result.ious[2:] == [1.0, 1.0]
    assert evaluate_object(engine, "bar", image, gt, max_clicks=1).features is None
    evaluate_first_clicks(engine, "bar", image, gt, 4)
    assert engine.encodes == 3  # without features given, it encodes the image itself
