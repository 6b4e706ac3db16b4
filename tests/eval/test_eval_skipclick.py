"""SkipClick through the eval path reproduces the official NoC run of the tiny checkpoint."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from napari_skipclick.eval import cli
from napari_skipclick.eval.clicker import VOID
from napari_skipclick.eval.noc import evaluate_object
from support.tiny import TINY


class Recorder:
    """Passes every call to ``engine`` and keeps the last probabilities it returned."""

    def __init__(self, engine):
        self.engine, self.name, self.key = engine, engine.name, engine.key
        self.last = None

    def encode(self, image):
        return self.engine.encode(image)

    def decode(self, features, clicks, prev_mask=None):
        self.last = self.engine.decode(features, clicks, prev_mask)
        return self.last


@pytest.mark.slow
def test_eval_builds_skipclick_with_the_noc_protocol_and_matches_official(tmp_path):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    arch = tmp_path / "arch.json"
    arch.write_text(
        json.dumps(json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"])
    )
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    checkpoint = str(TINY / "checkpoint.pth")
    argv = ["--engine", "skipclick", "--checkpoint", checkpoint, "--device", "cpu", "--data", "x"]
    args = parser.parse_args([*argv, "--option", f"backbone_arch={arch}"])
    engine, options = cli.build_engine(args)
    assert options["protocol"] == "noc" and engine.key.split("/")[4:6] == ["448x448", "noc"]

    data = np.load(TINY / "fixtures.npz")
    gt = data["noc__gt_mask"].astype(np.int64)
    gt[gt == -1] = VOID
    recorder = Recorder(engine)
    result = evaluate_object(recorder, "noc", data["noc__image_uint8"], gt.astype(np.uint8), 20)

    expected_clicks = [(int(y), int(x), bool(p)) for y, x, p in data["noc__clicks_yx_pos"]]
    assert [(c.y, c.x, c.positive) for c in result.clicks] == expected_clicks
    np.testing.assert_allclose(result.ious, data["noc__ious"], atol=1e-4)
    assert [result.noc(p) for p in (80, 85, 90, 95)] == data["noc__noc_at_80_85_90_95"].tolist()
    np.testing.assert_allclose(recorder.last, data["noc__probs_last"], atol=1e-4, rtol=1e-4)
