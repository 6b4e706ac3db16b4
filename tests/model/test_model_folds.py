"""The decoder's exact rewrites: folded neck stretches, the split first block, derived weights."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from napari_skipclick.model import load_skipclick
from napari_skipclick.model.decoder import embed_clicks
from napari_skipclick.model.norm_fold import (
    apply_fold,
    bias_terms,
    build_fold,
    build_skip_fold,
    skip_terms,
)
from support.tiny import ARCH, TINY

ROWS, DIN, DSKIP, CHANNELS, SUB, OUT = 30, 12, 10, 6, 4, 5


@pytest.fixture(scope="module")
def model():
    return load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")


def _stretch(seed: int) -> tuple[nn.GroupNorm, nn.Conv2d]:
    torch.manual_seed(seed)
    norm, conv = nn.GroupNorm(1, CHANNELS), nn.Conv2d(CHANNELS, OUT, 1)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.normal_()
    return norm, conv


def _reference(y: torch.Tensor, norm: nn.GroupNorm, conv: nn.Conv2d) -> torch.Tensor:
    """``conv(GN(y))`` for ``y`` ``(P, C*S)`` (values ordered (c, s)), in float64, ``(P, O*S)``."""
    rows = y.shape[0]
    image = y.double().reshape(rows, CHANNELS, SUB).permute(1, 0, 2)[None]  # (1, C, P, S)
    normed = nn.functional.group_norm(image, 1, norm.weight.double(), norm.bias.double(), norm.eps)
    out = nn.functional.conv2d(normed, conv.weight.double(), conv.bias.double())
    return out[0].permute(1, 0, 2).reshape(rows, OUT * SUB)


def test_fold_with_a_per_row_image_part_equals_the_three_layers():
    """``conv(GN(x W + skip Ws + b))`` folded: inputs far from zero mean, as real features are."""
    norm, conv = _stretch(0)
    weight, skip_weight = torch.randn(DIN, CHANNELS * SUB), torch.randn(DSKIP, CHANNELS * SUB)
    bias = torch.randn(CHANNELS * SUB)
    x, skip = torch.randn(ROWS, DIN) + 3.0, torch.randn(ROWS, DSKIP) - 2.0
    fold, k = build_fold(weight, norm, conv, SUB, torch.float32)
    terms = skip_terms(build_skip_fold(weight, skip_weight, bias, k), skip)
    expected = _reference(x @ weight + skip @ skip_weight + bias, norm, conv)
    torch.testing.assert_close(apply_fold(fold, x, terms).double(), expected, rtol=1e-5, atol=1e-5)


def test_fold_with_a_bias_only_equals_the_three_layers():
    norm, conv = _stretch(1)
    weight, bias = torch.randn(DIN, CHANNELS * SUB), torch.randn(CHANNELS * SUB)
    x = torch.randn(ROWS, DIN) * 2.0 + 1.0
    fold, k = build_fold(weight, norm, conv, SUB, torch.float32)
    folded = apply_fold(fold, x, bias_terms(weight, k, bias), repeat_base=ROWS)
    expected = _reference(x @ weight + bias, norm, conv)
    torch.testing.assert_close(folded.double(), expected, rtol=1e-5, atol=1e-5)


def test_fold_statistics_stay_float32_under_float16_autocast():
    """Large inputs: their Gram sums exceed float16's range, autocast must not reach them."""
    norm, conv = _stretch(3)
    weight, bias = torch.randn(DIN, CHANNELS * SUB), torch.randn(CHANNELS * SUB)
    x = torch.randn(ROWS, DIN) * 300.0
    fold, k = build_fold(weight, norm, conv, SUB, torch.float32)
    terms = bias_terms(weight, k, bias)
    with torch.autocast("cpu", dtype=torch.float16):
        folded = apply_fold(fold, x.half(), terms, repeat_base=ROWS)
    expected = _reference(x.half().float() @ weight + bias, norm, conv)
    torch.testing.assert_close(folded.double(), expected, rtol=1e-4, atol=1e-4)


def test_bfloat16_fold_stays_close():
    norm, conv = _stretch(2)
    weight, bias = torch.randn(DIN, CHANNELS * SUB), torch.randn(CHANNELS * SUB)
    x = torch.randn(ROWS, DIN)
    fold, k = build_fold(weight, norm, conv, SUB, torch.bfloat16)
    assert fold.mat.dtype == torch.bfloat16 and fold.gram.dtype == torch.float32
    folded = apply_fold(fold, x, bias_terms(weight, k, bias), repeat_base=ROWS)
    expected = _reference(x @ weight + bias, norm, conv)
    assert 0 < (folded.double() - expected).abs().max() < 0.05


def _decode(model, fixture, state=None):
    image = torch.from_numpy(fixture["case1__image_uint8"]).permute(2, 0, 1)[None].float() / 255
    points = torch.from_numpy(fixture["case1__points"])
    prev = torch.from_numpy(fixture["case1__prev_mask"])
    with torch.inference_mode():
        state = model.encode(image) if state is None else state
        return model.decode(state, points, prev), state


def test_first_block_split_equals_the_plain_block(model, fixture):
    """The click embedding widened by the first block's qkv part: same logits as the plain path."""
    split, state = _decode(model, fixture)
    assert state.first_qkv is not None
    plain, _ = _decode(model, fixture, dataclasses.replace(state, first_qkv=None))
    torch.testing.assert_close(split, plain, rtol=1e-5, atol=1e-5)
    proj = model.patch_embed_coords.proj
    points = torch.from_numpy(fixture["case1__points"])
    prev = torch.from_numpy(fixture["case1__prev_mask"])
    weight, bias = model.backbone_mix.click_qkv_embedding(proj)
    assert weight.shape[0] == bias.shape[0] == 4 * proj.out_channels
    with torch.inference_mode():
        wide = embed_clicks(proj, points, state.image_size, prev, 5.0, weight, bias)
        narrow = embed_clicks(proj, points, state.image_size, prev, 5.0)
    torch.testing.assert_close(wide[..., : proj.out_channels], narrow, rtol=1e-5, atol=1e-5)


def test_derived_matrices_follow_new_weights(model, fixture):
    """Decode, load other weights, decode again: the same as a model built with those weights."""
    changed = load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")
    _decode(changed, fixture)  # builds its folds and widened embedding from the old weights
    weights = changed.state_dict()
    for name in (
        "neck.down_4.5.weight",
        "neck.down_8.0.weight",
        "neck.down_8.1.weight",
        "backbone_mix.blocks.0.attn.qkv.weight",
        "backbone_mix.blocks.0.norm1.weight",
        "patch_embed_coords.proj.weight",
    ):
        weights[name] = weights[name] * 1.5
    changed.load_state_dict(weights)
    fresh = load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")
    fresh.load_state_dict(weights)
    after, _ = _decode(changed, fixture)
    expected, _ = _decode(fresh, fixture)
    before, _ = _decode(model, fixture)
    torch.testing.assert_close(after, expected, rtol=0, atol=0)
    assert (after - before).abs().max() > 1e-2
