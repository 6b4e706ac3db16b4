"""SkipClick through the eval path reproduces the official NoC run of the tiny checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.eval.clicker import VOID
from napari_skipclick.eval.noc import evaluate_object
from napari_skipclick.eval.skipclick_noc import SkipClickNocEngine

TINY = Path(__file__).parents[1] / "data" / "official_tiny"


@pytest.mark.slow
def test_tiny_checkpoint_matches_official_noc_case():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    arch = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    engine = SkipClickNocEngine.from_checkpoint(
        TINY / "checkpoint.pth", (448, 448), device="cpu", backbone_arch=arch
    )
    assert engine.key.endswith("/noc/448x448/flip=1")
    data = np.load(TINY / "fixtures.npz")
    gt = data["noc__gt_mask"].astype(np.int64)
    gt[gt == -1] = VOID

    result = evaluate_object(engine, "noc", data["noc__image_uint8"], gt.astype(np.uint8), 20)

    expected_clicks = [(int(y), int(x), bool(p)) for y, x, p in data["noc__clicks_yx_pos"]]
    assert [(c.y, c.x, c.positive) for c in result.clicks] == expected_clicks
    np.testing.assert_allclose(result.ious, data["noc__ious"], atol=1e-4)
    assert [result.noc(p) for p in (80, 85, 90, 95)] == data["noc__noc_at_80_85_90_95"].tolist()
    np.testing.assert_allclose(
        engine.predictor.prev_probability, data["noc__probs_last"], atol=1e-4, rtol=1e-4
    )
