"""The pre-norm ViT block of DINOv2 and of SkipClick's encoder stack, with timm's names.

Parameter names and arithmetic are those of ``timm.models.vision_transformer.Block`` (which the
official code builds on): ``norm1``, ``attn.qkv``, ``attn.proj``, ``ls1.gamma``, ``norm2``,
``mlp.fc1``, ``mlp.fc2``, ``ls2.gamma``; attention through ``scaled_dot_product_attention``.
It is written out here because importing timm loads torchvision and, through it, triton; importing
triton once a napari window exists ended napari with a segmentation fault (Xvfb, Mesa software
OpenGL), and the widget loads the model just then.

A block whose ``Linear`` weights are bfloat16 (the fast decoder, ``model/fast.py``) multiplies in
bfloat16 and keeps its residual stream, norms and biases in float32 (:func:`linear`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def is_low_precision(weight: torch.Tensor) -> bool:
    """True for the 16-bit weights of the fast decoder (its float32 tensors stay exact)."""
    return weight.dtype in (torch.bfloat16, torch.float16)


def linear(x: torch.Tensor, layer: nn.Linear, keep_low: bool = False) -> torch.Tensor:
    """``layer(x)``; for a 16-bit weight, the product in 16 bits, then the float32 bias.

    With a 16-bit weight the result is float32, or stays 16-bit when ``keep_low`` (for an input
    of the next product, where it would be rounded anyway; then the bias is added in the product,
    rounded to 16 bits).
    """
    weight, bias = layer.weight, layer.bias
    if not is_low_precision(weight):
        return F.linear(x, weight, bias)
    x = x.to(weight.dtype)
    if keep_low:
        return F.linear(x, weight, None if bias is None else bias.to(weight.dtype))
    y = F.linear(x, weight)
    return y.float() if bias is None else torch.add(y, bias)  # float32 in one pass


class Attention(nn.Module):
    """Multi-head self-attention with one fused ``qkv`` projection."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool, proj_bias: bool) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attend(linear(x, self.qkv, keep_low=True))

    def attend(self, qkv: torch.Tensor) -> torch.Tensor:
        """Attention and output projection from the ``qkv`` projection ``(B, N, 3C)``."""
        b, n, c = qkv.shape[0], qkv.shape[1], qkv.shape[2] // 3
        qkv = qkv.reshape(b, n, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return linear(x.transpose(1, 2).reshape(b, n, c), self.proj)


class Mlp(nn.Module):
    """``fc2(GELU(fc1(x)))``."""

    def __init__(self, dim: int, hidden: int, bias: bool) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, bias=bias)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(self.act(linear(x, self.fc1, keep_low=True)), self.fc2)


class LayerScale(nn.Module):
    """Per-channel scale ``gamma`` (DINOv2's LayerScale)."""

    def __init__(self, dim: int, init_values: float) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init_values)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Block(nn.Module):
    """``x + ls1(attn(norm1(x)))``, then ``x + ls2(mlp(norm2(x)))``; LayerScale only with
    ``init_values``."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = False,
        proj_bias: bool = True,
        init_values: float | None = None,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads, qkv_bias, proj_bias)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), proj_bias)
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))

    def forward_centred(self, x: torch.Tensor, centred_qkv: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` given ``centred_qkv = ((x - mean) * norm1.weight) @ qkv.weight.T``.

        ``norm1`` then only needs each token's standard deviation: its ``qkv`` projection is
        ``centred_qkv / std + (norm1.bias @ qkv.weight.T + qkv.bias)``.
        """
        var = x.float().var(dim=-1, unbiased=False, keepdim=True)  # float16 squares overflow
        qkv_layer = self.attn.qkv
        offset = F.linear(self.norm1.bias, qkv_layer.weight, qkv_layer.bias)
        qkv = centred_qkv.mul(torch.rsqrt(var.add_(self.norm1.eps))).add_(offset)
        x = x + self.ls1(self.attn.attend(qkv))
        return x + self.ls2(self.mlp(self.norm2(x)))
