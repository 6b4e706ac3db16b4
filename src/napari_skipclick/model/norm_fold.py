"""``linear -> GroupNorm(1, C) -> 1x1 conv`` as one matrix product plus the norm's two scalars.

Two stretches of the neck have this form: ``down_4`` layers 3-5 (a 2x2 stride-2 transposed
convolution, a GroupNorm, a 1x1 convolution) and ``down_8`` layers 0-2 (the same on the decoder
tokens, whose input also holds a DINOv2 map). Both maps are linear and the norm between them is
one mean and one standard deviation over the whole map followed by a per-channel affine, so

    conv(GN(x W + base)) = (x (W K) + base K - mu * k) / sigma + shift

with ``K`` the per-channel scale and the 1x1 convolution, ``k = 1 K`` and ``shift`` from the
norm's bias and the convolution's. The product ``x (W K)`` has the 1x1 convolution's width (128
or 256 channels) instead of the transposed convolution's (1536 or 3072 values per row), and the
wide map is never made. ``mu`` and ``sigma`` come from the Gram matrix of the centred input and
the terms of the image part ``base`` (:class:`BaseTerms`), summed as non-negative parts plus
cross terms so that no large numbers cancel. Per-model matrices are :class:`Fold`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import nn

from .blocks import is_low_precision


@dataclass(frozen=True)
class Fold:
    """Weights-only matrices of one folded stretch; ``J = C * S`` values per input row."""

    mat: torch.Tensor  # (Din, S*O): W K, columns ordered (out channel, sub-position)
    gram: torch.Tensor  # (Din, Din): W W^T
    centred_gram: torch.Tensor  # (Din, Din): Wc Wc^T, Wc = W minus its row means
    row_mean: torch.Tensor  # (Din,): W.mean(1)
    scale: torch.Tensor  # (S*O,): k = 1 K, what a unit shift of the norm's input moves
    shift: torch.Tensor  # (S*O,): conv(norm bias) + conv bias
    width: int  # J
    eps: float


@dataclass(frozen=True)
class BaseTerms:
    """Per-image terms of ``base`` (``P`` rows of ``J`` values added to ``x W``)."""

    out: torch.Tensor  # (P or 1, S*O): base K
    back: torch.Tensor | None  # (P, Din): base W^T (None when base is the same on every row)
    mean: torch.Tensor  # (): mean of base
    back_sum: torch.Tensor  # (Din,): W (column sums of base - mean)
    square: torch.Tensor  # (): sum of (base - mean)^2

    def tensors(self) -> list[torch.Tensor]:
        """Every tensor held (for checks that state is left unchanged)."""
        parts = [self.out, self.back, self.mean, self.back_sum, self.square]
        return [t for t in parts if t is not None]


def _convolution(norm: nn.GroupNorm, conv: nn.Conv2d, sub: int) -> tuple[torch.Tensor, ...]:
    """``K`` ``(C*S, O*S)`` (rows ``(c, s)``, columns ``(o, s)``), ``k`` and ``shift``."""
    w3 = conv.weight.detach().float().reshape(conv.out_channels, -1)
    gamma, beta = norm.weight.detach().float(), norm.bias.detach().float()
    eye = torch.eye(sub, dtype=w3.dtype, device=w3.device)
    k = torch.einsum("oc,c,st->csot", w3, gamma, eye).reshape(w3.shape[1] * sub, -1)
    scale = (w3 @ gamma).repeat_interleave(sub)
    shift = (w3 @ beta + conv.bias.detach().float()).repeat_interleave(sub)
    return k, scale, shift


def build_fold(
    weight: torch.Tensor, norm: nn.GroupNorm, conv: nn.Conv2d, sub: int, dtype: torch.dtype
) -> tuple[Fold, torch.Tensor]:
    """The :class:`Fold` of ``x @ weight`` (``(Din, C*S)``, columns ``(c, s)``), and ``K``.

    ``mat`` is stored in ``dtype`` (bfloat16 in the fast decoder); the rest in float32.
    """
    w = weight.detach().float()
    k, scale, shift = _convolution(norm, conv, sub)
    centred = w - w.mean(dim=1, keepdim=True)
    fold = Fold(
        mat=(w @ k).to(dtype),
        gram=w @ w.t(),
        centred_gram=centred @ centred.t(),
        row_mean=w.mean(dim=1),
        scale=scale,
        shift=shift,
        width=w.shape[1],
        eps=float(norm.eps),
    )
    return fold, k


def bias_terms(weight: torch.Tensor, k: torch.Tensor, bias: torch.Tensor) -> BaseTerms:
    """:class:`BaseTerms` of one ``bias`` row, counted once (scale by the rows at use)."""
    bias = bias.detach().float()
    mean = bias.mean()
    return BaseTerms(
        out=(bias @ k)[None],
        back=None,
        mean=mean,
        back_sum=weight.detach().float() @ (bias - mean),
        square=((bias - mean) ** 2).sum(),
    )


@dataclass(frozen=True)
class SkipFold:
    """Weights-only matrices for ``base = skip @ skip_weight + bias`` (weight ``(Ds, J)``)."""

    skip_weight: torch.Tensor  # (Ds, J)
    bias: torch.Tensor  # (J,)
    out_mat: torch.Tensor  # (Ds, S*O): skip_weight K
    out_bias: torch.Tensor  # (S*O,): bias K
    back_mat: torch.Tensor  # (Ds, Din): skip_weight W^T
    back_bias: torch.Tensor  # (Din,): W bias
    weight_sum: torch.Tensor  # (Din,): W 1
    gram: torch.Tensor  # (Ds, Ds): skip_weight skip_weight^T


def build_skip_fold(
    weight: torch.Tensor, skip_weight: torch.Tensor, bias: torch.Tensor, k: torch.Tensor
) -> SkipFold:
    """The :class:`SkipFold` of a stretch whose own weight is ``weight`` ``(Din, J)``."""
    w, ws = weight.detach().float(), skip_weight.detach().float()
    bias = bias.detach().float()
    return SkipFold(
        skip_weight=ws,
        bias=bias,
        out_mat=ws @ k,
        out_bias=bias @ k,
        back_mat=ws @ w.t(),
        back_bias=w @ bias,
        weight_sum=w.sum(dim=1),
        gram=ws @ ws.t(),
    )


def _float32(fn):
    """Run ``fn`` with autocast off and float32 inputs: Gram sums overflow float16."""

    @functools.wraps(fn)
    def wrapper(first, x: torch.Tensor, *args, **kwargs):
        with torch.autocast(x.device.type, enabled=False):
            return fn(first, x.float(), *args, **kwargs)

    return wrapper


@_float32
def skip_terms(fold: SkipFold, skip: torch.Tensor) -> BaseTerms:
    """:class:`BaseTerms` of ``base = skip @ skip_weight + bias`` for ``skip`` ``(P, Ds)``.

    ``base`` itself (``J`` values per row) is never formed. Runs in float32 (autocast off).
    """
    rows = skip.shape[0]
    skip_mean = skip.mean(dim=0)
    row = skip_mean @ fold.skip_weight + fold.bias  # the mean row of base
    mean = row.mean()
    centred = skip - skip_mean
    spread = (fold.gram * (centred.t() @ centred)).sum()
    back_mean = skip_mean @ fold.back_mat + fold.back_bias - mean * fold.weight_sum
    return BaseTerms(
        out=torch.addmm(fold.out_bias, skip, fold.out_mat),
        back=torch.addmm(fold.back_bias, skip, fold.back_mat),
        mean=mean,
        back_sum=rows * back_mean,
        square=spread + rows * ((row - mean) ** 2).sum(),
    )


@_float32
def apply_fold(fold: Fold, x: torch.Tensor, base: BaseTerms, repeat_base: int = 1) -> torch.Tensor:
    """``conv(GN(x W + base))`` for ``x`` ``(P, Din)``: ``(P, S*O)`` float32.

    ``repeat_base`` is ``P`` when ``base`` holds one row (a bias) that every row adds. Runs in
    float32 with autocast off (the fast decoder's bfloat16 products excepted).
    """
    rows = x.shape[0]
    x_mean = x.mean(dim=0)
    centred = x - x_mean
    low = is_low_precision(fold.mat)
    if low:
        centred = centred.to(fold.mat.dtype)
    spread = (fold.gram * (centred.t() @ centred).float()).sum()
    cross = 0.0 if base.back is None else 2.0 * (centred.float() * base.back).sum()
    shift_of_x = x_mean @ fold.centred_gram @ x_mean
    total = (
        spread
        + cross
        + rows * shift_of_x
        + 2.0 * repeat_base * (x_mean @ base.back_sum)
        + repeat_base * base.square
    )
    mean = x_mean @ fold.row_mean + base.mean
    rstd = torch.rsqrt(total / (rows * fold.width) + fold.eps)
    if low:
        out = (x.to(fold.mat.dtype) @ fold.mat).float().add_(base.out)
    else:
        out = torch.addmm(base.out.expand(rows, -1), x, fold.mat)
    return out.mul_(rstd).add_(fold.shift - mean * rstd * fold.scale)
