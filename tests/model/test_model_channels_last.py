"""The channels-last group norm against torch's ``GroupNorm(1, C)`` on every path."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from napari_skipclick.model.channels_last import group_norm1


def _norm_and_input(device: str) -> tuple[nn.GroupNorm, torch.Tensor]:
    torch.manual_seed(0)
    norm = nn.GroupNorm(1, 24, eps=1e-5).to(device)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = torch.randn(2, 30, 20, 24, device=device) * 3.0 + 1.5  # two images, channels last
    x[1] *= 10.0  # each image has statistics of its own
    return norm, x


@pytest.mark.parametrize("reduce", [False, True])
def test_group_norm1_equals_group_norm(reduce):
    norm, x = _norm_and_input("cpu")
    expected = norm(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    with torch.no_grad():
        got = group_norm1(x, norm, reduce=reduce)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)


def test_reduced_group_norm1_of_half_input_is_float32():
    norm, x = _norm_and_input("cpu")
    with torch.no_grad():
        exact = group_norm1(x, norm, reduce=True)
        half = group_norm1(x.bfloat16(), norm, reduce=True)
    assert half.dtype == torch.float32
    assert (half - exact).abs().max() < 0.05


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_group_norm1_on_gpu_equals_group_norm():
    norm, x = _norm_and_input("cuda")
    expected = norm(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    with torch.no_grad():
        got = group_norm1(x, norm)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)
