"""The click simulator reproduces the official clicker exactly (fixture and brute force)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.eval.clicker import VOID, Clicker
from napari_skipclick.eval.metrics import NOC_THRESHOLDS, iou, summarize

FIXTURES = Path(__file__).parents[1] / "data" / "official_tiny" / "fixtures.npz"


@pytest.fixture(scope="module")
def noc_case():
    """The official NoC case: GT recoded to 1/0/255, clicks, IoUs and thresholded masks."""
    data = np.load(FIXTURES)
    gt = data["noc__gt_mask"].astype(np.int64)
    gt[gt == -1] = VOID
    width = gt.shape[1]
    preds = np.unpackbits(data["noc__pred_masks_packed"], axis=-1)[..., :width].astype(bool)
    return {
        "gt": gt.astype(np.uint8),
        "preds": preds,
        "clicks": data["noc__clicks_yx_pos"],
        "ious": data["noc__ious"],
        "noc": data["noc__noc_at_80_85_90_95"],
    }


def test_official_clicks_reproduced_exactly(noc_case):
    clicker = Clicker(noc_case["gt"])
    pred = np.zeros(noc_case["gt"].shape, dtype=bool)
    for k, expected in enumerate(noc_case["clicks"]):
        click = clicker.next_click(pred)
        assert (click.y, click.x, int(click.positive)) == tuple(int(v) for v in expected), k
        pred = noc_case["preds"][k]


def test_official_ious_and_noc_reproduced(noc_case):
    ious = [iou(noc_case["gt"], pred) for pred in noc_case["preds"]]
    # the official IoU is a float64 ratio stored as float32: equal after the same cast
    np.testing.assert_array_equal(np.float32(ious), noc_case["ious"])
    summary = summarize([ious], max_clicks=20)
    assert [summary[f"noc{p}"] for p in NOC_THRESHOLDS] == noc_case["noc"].tolist()
    assert summary["fails90"] == 1


def _brute_force_click(obj, valid, pred, not_clicked):
    """Independent reference: distance to the nearest non-region pixel incl. a 1-pixel frame."""
    h, w = obj.shape

    def dist(region):
        out = np.zeros((h, w))
        outside = [
            (y, x)
            for y in range(-1, h + 1)
            for x in range(-1, w + 1)
            if not (0 <= y < h and 0 <= x < w) or not region[y, x]
        ]
        pts = np.array(outside, dtype=float)
        for y, x in zip(*np.nonzero(region), strict=True):
            out[y, x] = np.sqrt(((pts - (y, x)) ** 2).sum(1).min())
        return out.astype(np.float32) * not_clicked

    fn = dist(obj & ~pred & valid)
    fp = dist(~obj & pred & valid)
    positive = fn.max() > fp.max()
    d = fn if positive else fp
    ys, xs = np.nonzero(d == d.max())
    return int(ys[0]), int(xs[0]), bool(positive)


def test_matches_brute_force_on_random_masks():
    rng = np.random.default_rng(7)
    for trial in range(12):
        h, w = rng.integers(5, 14, size=2)
        gt = (rng.random((h, w)) < 0.5).astype(np.uint8)
        gt[rng.random((h, w)) < 0.1] = VOID
        if not np.any(gt == 1):
            gt[0, 0] = 1
        clicker = Clicker(gt)
        for _ in range(4):
            pred = rng.random((h, w)) < 0.5
            expected = _brute_force_click(gt == 1, gt != VOID, pred, clicker.not_clicked.copy())
            click = clicker.next_click(pred)
            assert (click.y, click.x, click.positive) == expected, trial


def test_border_counts_as_background():
    # the whole image is the object: without padding there would be no distance at all
    clicker = Clicker(np.ones((5, 5), dtype=np.uint8))
    assert clicker.next_click(np.zeros((5, 5), bool)) == (2, 2, True)


def test_first_maximum_in_row_major_order():
    gt = np.zeros((8, 8), np.uint8)
    gt[2:6, 2:6] = 1  # four centre pixels share the maximum distance 2
    assert Clicker(gt).next_click(np.zeros((8, 8), bool))[:2] == (3, 3)


def test_tie_between_errors_gives_negative_click():
    gt = np.zeros((5, 11), np.uint8)
    gt[1:4, 1:4] = 1  # a 3x3 object, missed: false negative of depth 2
    pred = np.zeros((5, 11), bool)
    pred[1:4, 6:9] = True  # a 3x3 false positive of the same depth
    click = Clicker(gt).next_click(pred)
    assert click == (2, 7, False)


def test_void_pixels_are_never_clicked_and_split_regions():
    gt = np.zeros((9, 9), np.uint8)
    gt[1:8, 1:8] = 1
    gt[3:6, 3:6] = VOID  # the object's centre is void
    click = Clicker(gt).next_click(np.zeros((9, 9), bool))
    assert gt[click.y, click.x] == 1
    assert click.positive


def test_clicked_pixels_are_not_clicked_again():
    gt = np.zeros((7, 7), np.uint8)
    gt[2:5, 2:5] = 1
    clicker = Clicker(gt)
    empty = np.zeros((7, 7), bool)
    first, second = clicker.next_click(empty), clicker.next_click(empty)
    assert first[:2] == (3, 3)
    assert second[:2] != first[:2]
    assert gt[second.y, second.x] == 1


def test_wrong_prediction_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        Clicker(np.ones((4, 4), np.uint8)).next_click(np.zeros((4, 5), bool))
