"""The fast CPU decoder (``precision="fast"``): what it converts, its fidelity, its refusals."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch
from torch import nn

from napari_skipclick.bench.fidelity import compare, fixture_fidelity, mask_iou
from napari_skipclick.engines import create_engine
from napari_skipclick.engines import skipclick as skipclick_engine
from napari_skipclick.engines.skipclick import SkipClickEngine
from napari_skipclick.model import load_skipclick
from napari_skipclick.model.fast import fast_decoder
from napari_skipclick.types import Click
from support.tiny import ARCH, TINY, needs_bf16


@pytest.fixture(scope="module")
def model():
    return load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")


def _weights(module: nn.Module) -> set[torch.dtype]:
    return {m.weight.dtype for m in module.modules() if isinstance(m, nn.Linear | nn.Conv2d)}


def test_fast_copy_converts_only_the_heavy_products(model):
    fast = fast_decoder(model)
    assert fast.feature_extractor is None
    assert _weights(fast.backbone_mix) == {torch.bfloat16}
    assert _weights(fast.neck.down_4) == _weights(fast.neck.down_8) == {torch.bfloat16}
    for part in (fast.neck.down_16, fast.neck.down_32, fast.head, fast.patch_embed_coords):
        assert _weights(part) == {torch.float32}
    biases = {p.dtype for name, p in fast.named_parameters() if not name.endswith("weight")}
    assert biases == {torch.float32}
    assert {p.dtype for p in model.parameters()} == {torch.float32}  # the original is untouched


def test_mask_iou_and_compare():
    a = np.array([[0.9, 0.2], [0.7, 0.6]])
    b = np.array([[0.8, 0.6], [0.1, 0.6]])
    assert mask_iou(a, b) == pytest.approx(2 / 4)
    assert mask_iou(np.zeros(3), np.zeros(3)) == 1.0
    assert compare(a, b)["max_prob_diff"] == pytest.approx(0.6)


@needs_bf16
@pytest.mark.slow
def test_fast_masks_match_exact_on_the_official_fixture():
    """Every case of the official tiny fixture: mask IoU >= 0.99, probabilities within 0.02."""
    report = fixture_fidelity(TINY)
    assert set(report) == {"case0", "case1", "demo", "noc"}
    assert report["noc"]["predictions"] == 20
    for case, values in report.items():
        assert values["min_mask_iou"] >= 0.99, (case, values)
        assert 0 < values["max_prob_diff"] < 0.02, (case, values)


@needs_bf16
def test_fast_engine_keeps_encode_and_changes_key(model, fixture):
    exact = SkipClickEngine.from_model(model, "tiny")
    fast = create_engine(
        "skipclick",
        checkpoint=TINY / "checkpoint.pth",
        device="cpu",
        precision="fast",
        backbone_arch=ARCH,
    )
    assert "/fast/cpu/" in fast.key and fast.key != exact.key
    image = fixture["demo__image_uint8"]
    clicks = [Click(y, x, label == 1) for x, y, label in fixture["demo__gui_clicks_xy_label"]]
    features = exact.encode(image)
    for name, value in fast.encode(image).arrays.items():
        torch.testing.assert_close(value, features.arrays[name], rtol=0, atol=0)
    probs = fast.decode(features, clicks, fixture["demo__prev_mask"])
    assert probs.dtype == np.float32 and probs.shape == image.shape[:2]
    reference = exact.decode(features, clicks, fixture["demo__prev_mask"])
    assert 0 < np.abs(probs - reference).max() < 0.02


def test_fast_is_refused_without_native_bfloat16(model, monkeypatch):
    monkeypatch.setattr(skipclick_engine, "bf16_matmul_supported", lambda: False)
    with pytest.raises(ValueError, match="native bfloat16"):
        SkipClickEngine.from_model(model, "tiny", precision="fast")


def test_fast_is_refused_off_the_cpu(model):
    meta = fast_decoder(model).to("meta")  # any non-CPU device
    with pytest.raises(ValueError, match="CPU decoder"):
        SkipClickEngine.from_model(meta, "tiny", precision="fast")


@needs_bf16
def test_bench_times_the_fast_decoder_and_prints_its_fidelity(tmp_path, capsys):
    from napari_skipclick.bench import model as bench

    arch = tmp_path / "arch.json"
    arch.write_text(json.dumps(ARCH))
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    common = ["--checkpoint", str(TINY / "checkpoint.pth"), "--backbone-arch", str(arch)]
    common += ["--size", "112", "--device", "cpu", "--repeats", "1", "--clicks", "2"]
    args = parser.parse_args([*common, "--only", "fast", "--only-out", str(tmp_path)])
    assert bench.run(args) == 0
    times = json.loads((tmp_path / "fast.json").read_text())
    assert len(times["click_s"]) == 2 and min(times["click_s"]) > 0
    assert np.load(tmp_path / "fast.npz")["logits"].shape[:3] == (2, 1, 1)
    out = tmp_path / "bench.json"
    args = parser.parse_args([*common, "--precision", "fast", "--json", str(out)])
    assert bench.run(args) == 0
    result = json.loads(out.read_text())
    assert result["precision"] == "fast" and "/fast/" in result["key"]
    assert result["fast_decode_per_click"]["median_ms"] > 0
    assert "fast_decode_per_click" in capsys.readouterr().out
    row = {"max_prob_diff": 0.0071, "min_mask_iou": 0.9912, "mean_mask_iou": 0.995}
    row["predictions"] = 20
    bench._print_fidelity({"fast_fidelity_fixture": {"noc": row}})
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].split() == ["fixture", "noc", "0.0071", "0.9912", "0.9950", "20"]
