"""SkipClick's SimpleFPN neck on channels-last tokens, with its per-image part computed once.

Branch inputs are ``cat([decoder, skip])`` and the first layer of each branch is linear, so the
skip half (plus bias) is computed once per image by :meth:`SimpleFPN.skip_terms`. Two stretches
``linear -> GroupNorm -> 1x1 conv`` run folded into one narrow product (``model/norm_fold.py``):
``down_4`` layers 3-5 and ``down_8`` layers 0-2, whose image part is reduced per image to a few
terms (:class:`~.norm_fold.BaseTerms`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .channels_last import apply_layers, matmul, shuffle2x2, unshuffle2x2
from .derived import derived
from .norm_fold import (
    BaseTerms,
    Fold,
    SkipFold,
    apply_fold,
    bias_terms,
    build_fold,
    build_skip_fold,
    skip_terms,
)


@dataclass(frozen=True)
class NeckTerms:
    """Per-image inputs of the neck: first-layer terms of ``down_4``, ``down_16``, ``down_32``
    (channels-last, skip half plus bias) and the folded ``down_8``'s terms per batch item."""

    bases: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    down_8: tuple[BaseTerms, ...]

    def tensors(self) -> list[torch.Tensor]:
        """Every tensor held (for checks that state is left unchanged)."""
        return [*self.bases, *(t for terms in self.down_8 for t in terms.tensors())]


@dataclass(frozen=True)
class _Folds:
    """Weights-only matrices of the two folded stretches (see ``model/norm_fold.py``)."""

    down_4: Fold
    down_4_bias: BaseTerms
    down_8: Fold
    down_8_base: SkipFold | BaseTerms  # SkipFold with skip connections, else the bias's terms


def _transposed_weight(layer: nn.ConvTranspose2d, rows: slice) -> torch.Tensor:
    """A 2x2 stride-2 transposed convolution's weight as ``(in, out * 4)``, columns (c, kh, kw)."""
    return layer.weight[rows].reshape(-1, layer.out_channels * 4)


class SimpleFPN(nn.Module):
    """Four-branch feature pyramid; with skip connections each branch also reads a DINOv2 map."""

    def __init__(self, in_dim: int, out_dims: tuple[int, ...], skip_connections: bool) -> None:
        super().__init__()
        self.dim = in_dim
        self.skip_connections = skip_connections
        d = in_dim * 2 if skip_connections else in_dim
        c4 = max(out_dims[0] * 2, d // 2)
        self.down_4 = nn.Sequential(
            nn.ConvTranspose2d(d, c4, 2, stride=2),
            nn.GroupNorm(1, c4),
            nn.GELU(),
            nn.ConvTranspose2d(c4, c4 // 2, 2, stride=2),
            nn.GroupNorm(1, c4 // 2),
            nn.Conv2d(c4 // 2, out_dims[0], 1),
            nn.GroupNorm(1, out_dims[0]),
            nn.GELU(),
        )
        c8 = max(out_dims[1], d // 2)
        self.down_8 = nn.Sequential(
            nn.ConvTranspose2d(d, c8, 2, stride=2),
            nn.GroupNorm(1, c8),
            nn.Conv2d(c8, out_dims[1], 1),
            nn.GroupNorm(1, out_dims[1]),
            nn.GELU(),
        )
        self.down_16 = nn.Sequential(
            nn.Conv2d(d, out_dims[2], 1), nn.GroupNorm(1, out_dims[2]), nn.GELU()
        )
        c32 = max(out_dims[3], d * 2)
        self.down_32 = nn.Sequential(
            nn.Conv2d(d, c32, 2, stride=2),
            nn.GroupNorm(1, c32),
            nn.Conv2d(c32, out_dims[3], 1),
            nn.GroupNorm(1, out_dims[3]),
            nn.GELU(),
        )

    @property
    def branches(self) -> tuple[nn.Sequential, ...]:
        return (self.down_4, self.down_8, self.down_16, self.down_32)

    def folds(self) -> _Folds:
        """The fold matrices of the current weights (rebuilt when a weight changes)."""
        return derived(self, "_folds", self.parameters(), self._build_folds)

    def _build_folds(self) -> _Folds:
        own, skip = slice(0, self.dim), slice(self.dim, 2 * self.dim)
        first = self.down_4[3]
        weight = _transposed_weight(first, slice(None))
        fold4, k4 = build_fold(weight, self.down_4[4], self.down_4[5], 4, first.weight.dtype)
        bias4 = bias_terms(weight, k4, first.bias.repeat_interleave(4))
        first = self.down_8[0]
        weight = _transposed_weight(first, own)
        fold8, k8 = build_fold(weight, self.down_8[1], self.down_8[2], 4, first.weight.dtype)
        bias = first.bias.repeat_interleave(4)
        if self.skip_connections:
            base8 = build_skip_fold(weight, _transposed_weight(first, skip), bias, k8)
        else:
            base8 = bias_terms(weight, k8, bias)
        return _Folds(fold4, bias4, fold8, base8)

    def _first_layer(
        self, k: int, x: torch.Tensor, half: slice, base: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Branch ``k``'s first layer on channels-last ``x`` using input channels ``half``,
        plus ``base`` (the other half's terms, which hold the bias) or else the bias."""
        layer = self.branches[k][0]
        if k == 0:  # ConvTranspose2d(k2, s2): weight (in, out, 2, 2)
            mat = _transposed_weight(layer, half)
            bias_vec = layer.bias.repeat_interleave(4)
        else:  # Conv2d 1x1 (k = 2) or Conv2d(k2, s2) (k = 3): weight (out, in, kh, kw)
            if k != 2:
                x = unshuffle2x2(x)
            mat = layer.weight[:, half].reshape(layer.out_channels, -1).t()
            bias_vec = layer.bias
        b, h, wd, _ = x.shape
        flat = x.reshape(b * h * wd, -1)
        if base is not None:
            base, bias_vec = base.reshape(b * h * wd, -1), None
        return matmul(flat, mat, bias_vec, base).reshape(b, h, wd, -1)

    def skip_terms(self, skips: list[torch.Tensor], grid: tuple[int, int]) -> NeckTerms:
        """Per-image part of each branch's first layer from the four DINOv2 maps ``(B, N, D)``."""
        skip_half = slice(self.dim, 2 * self.dim)
        cls = [s.reshape(s.shape[0], grid[0], grid[1], -1) for s in skips]
        bases = tuple(self._first_layer(k, cls[k], skip_half) for k in (0, 2, 3))
        fold = self.folds().down_8_base
        down_8 = tuple(skip_terms(fold, item) for item in skips[1])
        return NeckTerms(bases, down_8)

    def _down_4(self, x: torch.Tensor, base: torch.Tensor | None) -> torch.Tensor:
        y = self._first_layer(0, x, slice(0, self.dim), base)
        y = apply_layers(shuffle2x2(y, self.down_4[0].out_channels), self.down_4[1:3], 0)
        folds = self.folds()
        b, h, w, c = y.shape
        rows = y.reshape(b, h * w, c)
        out = torch.stack([apply_fold(folds.down_4, r, folds.down_4_bias, h * w) for r in rows])
        out = shuffle2x2(out.reshape(b, h, w, -1), self.down_4[5].out_channels)
        return apply_layers(out, self.down_4, 6)

    def _down_8(self, x: torch.Tensor, terms: tuple[BaseTerms, ...] | None) -> torch.Tensor:
        folds = self.folds()
        b, h, w, c = x.shape
        rows = x.reshape(b, h * w, c)
        if terms is None:
            outs = [apply_fold(folds.down_8, r, folds.down_8_base, h * w) for r in rows]
        else:
            outs = [apply_fold(folds.down_8, r, t) for r, t in zip(rows, terms, strict=True)]
        out = shuffle2x2(torch.stack(outs).reshape(b, h, w, -1), self.down_8[2].out_channels)
        return apply_layers(out, self.down_8, 3)

    def forward(
        self, x: torch.Tensor, grid: tuple[int, int], terms: NeckTerms | None = None
    ) -> list[torch.Tensor]:
        """Decoder tokens ``(B, N, D)`` -> four channels-last maps at 4g, 2g, g and g/2."""
        if self.skip_connections and terms is None:
            raise ValueError("this neck has skip connections: pass the NeckTerms of skip_terms")
        cl = x.reshape(x.shape[0], grid[0], grid[1], -1)
        bases = terms.bases if terms is not None else (None, None, None)
        outs = [
            self._down_4(cl, bases[0]),
            self._down_8(cl, terms.down_8 if terms is not None else None),
        ]
        own = slice(0, self.dim)
        for k, base in zip((2, 3), bases[1:], strict=True):
            outs.append(apply_layers(self._first_layer(k, cl, own, base), self.branches[k], 1))
        return outs
