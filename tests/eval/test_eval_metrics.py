"""IoU with void excluded, NoC@t and failure counts as the official evaluation defines them."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.eval.clicker import VOID
from napari_skipclick.eval.metrics import (
    NOC_THRESHOLDS,
    iou,
    mean_iou_at,
    noc,
    summarize,
    worse_clicks,
)


def test_iou_excludes_void_pixels():
    gt = np.array([[1, 1, VOID, 0], [0, 0, VOID, 0]], np.uint8)
    pred = np.array([[1, 0, 1, 1], [0, 0, 1, 0]], bool)
    # valid: 6 pixels; intersection {(0,0)}; union {(0,0),(0,1),(0,3)}
    assert iou(gt, pred) == pytest.approx(1 / 3)
    assert iou(gt, gt == 1) == 1.0


def test_iou_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        iou(np.ones((3, 3), np.uint8), np.ones((3, 4), bool))


def test_thresholds_carry_official_rounding():
    assert list(NOC_THRESHOLDS) == [80, 85, 90, 95]
    # np.arange(0.8, 0.951, 0.05) gives 0.9000000000000001: an IoU of exactly 0.9 misses NoC@90
    assert noc([0.9, 0.91], NOC_THRESHOLDS[90], 20) == 2
    assert noc([0.8, 0.91], NOC_THRESHOLDS[80], 20) == 1


def test_noc_is_first_click_reaching_threshold_else_cap():
    ious = [0.5, 0.86, 0.84, 0.93]
    assert noc(ious, NOC_THRESHOLDS[85], 20) == 2
    assert noc(ious, NOC_THRESHOLDS[90], 20) == 4
    assert noc(ious, NOC_THRESHOLDS[95], 20) == 20
    assert noc(ious, NOC_THRESHOLDS[90], 3) == 3  # later clicks beyond the cap do not count


def test_summary_means_and_failures_include_success_at_the_cap():
    reach_at_cap = [0.1] * 19 + [0.97]
    curves = [[0.96], [0.5, 0.91], reach_at_cap]
    s = summarize(curves, max_clicks=20)
    assert s["n"] == 3
    assert s["noc90"] == pytest.approx((1 + 2 + 20) / 3)
    assert s["noc95"] == pytest.approx((1 + 20 + 20) / 3)
    # an object that reaches the threshold exactly at click 20 is counted as failed (official)
    assert s["fails90"] == 1
    assert s["fails95"] == 2


def test_mean_iou_at_keeps_last_value_of_stopped_curves():
    curves = [[0.96], [0.5, 0.7, 0.8]]
    assert mean_iou_at(curves, 1) == pytest.approx(0.73)
    assert mean_iou_at(curves, 3) == pytest.approx(0.88)


def test_worse_clicks_counts_falls_beyond_the_drop_after_the_first_click():
    curves = [[0.96], [0.5, 0.9, 0.8, 0.86, 0.83], [0.4, 0.3, 0.36]]
    # falls: 0.9 -> 0.8 and 0.4 -> 0.3 count; 0.86 -> 0.83 (0.03) does not; the first click of
    # a curve has nothing before it
    assert worse_clicks(curves) == (2, 6)
    assert worse_clicks(curves, drop=0.02) == (3, 6)
    assert worse_clicks([[0.5]]) == (0, 0)
