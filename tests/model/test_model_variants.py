"""All four released SkipClick configurations build from their config entry and run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from napari_skipclick.model import (
    SkipClickConfig,
    SkipClickModel,
    build_model,
    load_skipclick,
    released_config,
    save_skipclick,
)
from support.tiny import TINY

REF = Path(__file__).parents[1] / "data" / "model"
SUMMARY = json.loads((REF / "skipclick_variants_summary.json").read_text())
FULL_SHAPES = json.loads((REF / "skipclick_full_state_dict_shapes.json").read_text())
VARIANTS = {
    "skipclick": "skipclick_full",
    "intermediate": "intermediate_no_skip",
    "frozen": "frozen",
    "baseline": "baseline_unfrozen",
}


def _expected_shapes(summary_name: str) -> dict[str, list[int]]:
    shapes = dict(FULL_SHAPES)
    diff = SUMMARY["differences_vs_full"].get(summary_name)
    if diff:
        for key in diff["missing_vs_full"]:
            shapes.pop(key)
        for key, (_, new) in diff["shape_changes_vs_full"].items():
            shapes[key] = new
        assert not diff["extra_vs_full"]
    return shapes


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_state_dict_matches_official_exactly(variant):
    entry = SUMMARY["variants"][VARIANTS[variant]]
    config = SkipClickConfig.from_checkpoint_config(entry["config_entry"])
    with torch.device("meta"):
        model = SkipClickModel(config)
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert shapes == _expected_shapes(VARIANTS[variant])
    assert len(shapes) == entry["num_keys"]
    assert sum(v.numel() for v in model.state_dict().values()) == entry["num_params"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_released_config_equals_official_entry(variant):
    entry = SUMMARY["variants"][VARIANTS[variant]]["config_entry"]
    assert released_config(variant) == SkipClickConfig.from_checkpoint_config(entry)


def _tiny_config(variant: str) -> SkipClickConfig:
    tiny = json.loads((TINY / "tiny_config.json").read_text())
    base = SkipClickConfig.from_checkpoint_config(
        tiny["checkpoint_config_entry"], tiny["dinov2_tiny_architecture"]
    )
    intermediate, skip, trained = {
        "skipclick": ((2, 5, 8, 11), True, False),
        "intermediate": ((2, 5, 8, 11), False, False),
        "frozen": ((11,), False, False),
        "baseline": ((11,), False, True),
    }[variant]
    return dataclasses.replace(
        base, use_intermediate=intermediate, skip_connections=skip, trained_extractor=trained
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_runs_and_round_trips(variant, tmp_path):
    torch.manual_seed(0)
    model = build_model(_tiny_config(variant))
    for p in model.parameters():
        p.add_(torch.randn_like(p) * 0.2)
    image = torch.rand(1, 3, 56, 84)
    prev = torch.rand(1, 1, 56, 84)
    points = torch.tensor([[[20.0, 30.0, 0.0], [-1, -1, -1], [40.0, 70.5, 1.0], [5.0, 5.0, 2.0]]])
    with torch.inference_mode():
        logits = model(torch.cat([image, prev], dim=1), points)
        decoded = model.decode(model.encode(image), points, prev)
    assert logits.shape == (1, 1, 56, 84) and torch.isfinite(logits).all()
    torch.testing.assert_close(decoded, logits, atol=1e-5, rtol=1e-5)

    path = tmp_path / f"{variant}.pth"
    save_skipclick(model, path)
    arch = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    loaded = load_skipclick(path, backbone_arch=arch, device="cpu")
    assert loaded.config == model.config
    with torch.inference_mode():
        again = loaded(torch.cat([image, prev], dim=1), points)
    torch.testing.assert_close(again, logits, atol=0, rtol=0)


def test_single_feature_models_use_dinov2_block_2_only():
    """Official quirk: use_intermediate=[11] reads the output of block index 2."""
    torch.manual_seed(1)
    model = build_model(_tiny_config("frozen"))
    image = torch.rand(1, 3, 42, 42)
    points = torch.tensor([[[10.0, 10.0, 0.0], [30.0, 30.0, 1.0]]])
    with torch.inference_mode():
        before = model(torch.cat([image, torch.zeros(1, 1, 42, 42)], 1), points)
        for block in model.dinov2.blocks[3:]:
            block.mlp.fc2.bias.add_(1.0)
        after = model(torch.cat([image, torch.zeros(1, 1, 42, 42)], 1), points)
        model.dinov2.blocks[2].mlp.fc2.bias.add_(1.0)
        changed = model(torch.cat([image, torch.zeros(1, 1, 42, 42)], 1), points)
    assert torch.equal(before, after)
    assert not torch.allclose(before, changed)
