"""The per-object NoC loop, driven by engines whose outputs are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.engines.base import Features
from napari_skipclick.eval.clicker import VOID
from napari_skipclick.eval.noc import evaluate_object

FIXTURES = Path(__file__).parents[1] / "data" / "official_tiny" / "fixtures.npz"


class ReplayEngine:
    """Returns a fixed sequence of probability maps, one per decode, and records its inputs."""

    name = "replay"
    key = "replay"

    def __init__(self, maps):
        self.maps = list(maps)
        self.calls = []
        self.encodes = 0

    def encode(self, image):
        self.encodes += 1
        return Features(image_shape=image.shape[:2])

    def decode(self, features, clicks, prev_mask=None):
        self.calls.append((list(clicks), None if prev_mask is None else prev_mask.copy()))
        return self.maps[len(self.calls) - 1]


class TickClock:
    """A clock that advances 10 ms per reading."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.01
        return self.t


def test_official_noc_case_replayed_end_to_end():
    data = np.load(FIXTURES)
    gt = data["noc__gt_mask"].astype(np.int64)
    gt[gt == -1] = VOID
    gt = gt.astype(np.uint8)
    preds = np.unpackbits(data["noc__pred_masks_packed"], axis=-1)[..., : gt.shape[1]]
    engine = ReplayEngine(preds.astype(np.float32))
    result = evaluate_object(engine, "noc", data["noc__image_uint8"], gt, max_clicks=20)
    got = [(c.y, c.x, int(c.positive)) for c in result.clicks]
    assert got == [tuple(int(v) for v in row) for row in data["noc__clicks_yx_pos"]]
    np.testing.assert_array_equal(np.float32(result.ious), data["noc__ious"])
    assert [result.noc(p) for p in (80, 85, 90, 95)] == data["noc__noc_at_80_85_90_95"].tolist()
    assert engine.encodes == 1


def test_prev_mask_is_previous_probabilities_and_loop_stops_at_095():
    gt = np.zeros((20, 20), np.uint8)
    gt[5:15, 5:15] = 1
    half = np.zeros((20, 20), np.float32)
    half[5:15, 5:10] = 0.8
    exact = (gt == 1).astype(np.float32) * 0.7
    engine = ReplayEngine([half, exact, exact])
    result = evaluate_object(
        engine, "square", np.zeros((20, 20, 3), np.uint8), gt, clock=TickClock()
    )
    assert len(result.ious) == 2 and result.ious[-1] == 1.0
    assert result.noc(90) == 2 and result.noc(95) == 2
    np.testing.assert_array_equal(engine.calls[0][1], np.zeros((20, 20), np.float32))
    np.testing.assert_array_equal(engine.calls[1][1], half)
    assert [len(clicks) for clicks, _ in engine.calls] == [1, 2]
    assert result.encode_ms == pytest.approx(10.0)
    assert result.decode_ms == pytest.approx([10.0, 10.0])


def test_threshold_is_049_and_cap_is_respected():
    gt = np.zeros((10, 10), np.uint8)
    gt[2:8, 2:8] = 1
    below = (gt == 1).astype(np.float32) * 0.49  # not above the threshold: empty mask
    engine = ReplayEngine([below] * 3)
    result = evaluate_object(engine, "s", np.zeros((10, 10, 3), np.uint8), gt, max_clicks=3)
    assert result.ious == [0.0, 0.0, 0.0]
    assert result.noc(85) == 3
    record = result.to_dict()
    assert record["noc90"] == 3 and len(record["clicks"]) == 3


def test_engine_breaking_the_contract_is_reported():
    gt = np.ones((6, 6), np.uint8)
    engine = ReplayEngine([np.zeros((5, 6), np.float32)])
    with pytest.raises(RuntimeError, match="shape"):
        evaluate_object(engine, "s", np.zeros((6, 6, 3), np.uint8), gt)
