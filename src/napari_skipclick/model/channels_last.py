"""Channels-last ``(B, H, W, C)`` re-expressions of the official neck and head layers.

Each is exact: the convolutions are 1x1 or 2x2 with stride 2, i.e. matrix products on pixels or
on 2x2 patches. A layer with a 16-bit weight (the fast decoder) multiplies in 16 bits and adds
its float32 bias (:func:`matmul`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import is_low_precision


def matmul(
    x: torch.Tensor,
    mat: torch.Tensor,
    bias: torch.Tensor | None = None,
    base: torch.Tensor | None = None,
) -> torch.Tensor:
    """``base + x @ mat`` (``base`` ``(M, N)``), else ``bias + x @ mat``, for a 2-D ``x``.

    A 16-bit ``mat`` multiplies in 16 bits and adds ``base`` or ``bias`` in float32.
    """
    if is_low_precision(mat):
        y = (x.to(mat.dtype) @ mat).float()
        added = base if base is not None else bias
        return y if added is None else y.add_(added)
    if base is not None:
        return torch.addmm(base, x, mat)
    return x @ mat if bias is None else torch.addmm(bias, x, mat)


def unshuffle2x2(x: torch.Tensor) -> torch.Tensor:
    """``(B, h, w, C)`` -> 2x2 patches ``(B, h//2, w//2, C*4)`` ordered ``(C, kh, kw)``."""
    b, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    x = x[:, : 2 * h2, : 2 * w2].reshape(b, h2, 2, w2, 2, c)
    return x.permute(0, 1, 3, 5, 2, 4).reshape(b, h2, w2, c * 4)


def shuffle2x2(y: torch.Tensor, channels: int) -> torch.Tensor:
    """``(B, h, w, C*4)`` ordered ``(C, kh, kw)`` -> ``(B, 2h, 2w, C)``."""
    b, h, w, _ = y.shape
    y = y.reshape(b, h, w, channels, 2, 2).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(b, 2 * h, 2 * w, channels)


def conv_transpose2x2(x: torch.Tensor, layer: nn.ConvTranspose2d) -> torch.Tensor:
    """``ConvTranspose2d(k=2, s=2)`` on channels-last input."""
    out = layer.out_channels
    b, h, w, c = x.shape
    weight = layer.weight.reshape(layer.in_channels, out * 4)
    y = matmul(x.reshape(b * h * w, c), weight, layer.bias.repeat_interleave(4))
    return shuffle2x2(y.reshape(b, h, w, out * 4), out)


def conv1x1(x: torch.Tensor, layer: nn.Conv2d) -> torch.Tensor:
    """1x1 ``Conv2d`` on channels-last input."""
    weight = layer.weight.reshape(layer.out_channels, -1)
    if is_low_precision(weight):
        flat = matmul(x.reshape(-1, x.shape[-1]), weight.t(), layer.bias)
        return flat.reshape(*x.shape[:-1], -1)
    return F.linear(x, weight, layer.bias)


def group_norm1(x: torch.Tensor, layer: nn.GroupNorm, reduce: bool | None = None) -> torch.Tensor:
    """``GroupNorm(1, C)`` on channels-last input (statistics over all of H, W, C).

    ``reduce`` takes the statistics from a parallel reduction (default: on any device but the
    CPU). On the CPU one ``layer_norm`` over ``(H, W, C)`` is fastest; on a GPU that kernel gives
    each image's million values to one thread block (the neck took 9 of a click's 14 ms on an
    H200, docs/benchmarks.md).
    """
    if reduce is None:
        reduce = x.device.type != "cpu"
    if reduce:
        x = x.float()  # as layer_norm under autocast
        var, mean = torch.var_mean(x, dim=tuple(range(1, x.ndim)), correction=0, keepdim=True)
        normed = (x - mean).mul_(torch.rsqrt(var.add_(layer.eps)))
    else:
        normed = F.layer_norm(x, x.shape[1:], eps=layer.eps)
    return torch.addcmul(layer.bias, normed, layer.weight, out=normed)


def resize_cl(x: torch.Tensor, size: tuple[int, int], align_corners: bool) -> torch.Tensor:
    """Bilinear resize of a channels-last tensor."""
    if tuple(x.shape[1:3]) == tuple(size):
        return x
    y = F.interpolate(
        x.permute(0, 3, 1, 2), size=size, mode="bilinear", align_corners=align_corners
    )
    return y.permute(0, 2, 3, 1)


def apply_layers(x: torch.Tensor, layers: nn.Sequential, start: int) -> torch.Tensor:
    """The layers of ``layers`` from index ``start`` on, on channels-last ``x``."""
    for layer in list(layers)[start:]:
        if isinstance(layer, nn.ConvTranspose2d):
            x = conv_transpose2x2(x, layer)
        elif isinstance(layer, nn.Conv2d):
            x = conv1x1(x, layer)
        elif isinstance(layer, nn.GroupNorm):
            x = group_norm1(x, layer)
        else:
            x = layer(x)
    return x
