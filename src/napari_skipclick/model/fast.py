"""The fast CPU decoder: the per-click decoder with bfloat16 matrix products.

A copy of the click-dependent modules whose large matrix-product weights are bfloat16: the
encoder stack's Linear layers and the convolutions of the neck's two finest branches (``down_4``,
``down_8``, whose folded stretches then multiply in bfloat16, ``model/norm_fold.py``), together
about 85 % of the multiply-adds. Everything else stays float32: the residual stream of the
encoder stack, layer/group norms, the norms' statistics, the click embedding, the two coarse
neck branches, the head and the final resize: on the official tiny fixture each of those in
bfloat16 cost more mask IoU than it saved time (the head's four-level sum most of all).
The layers decide by their weight's dtype (``blocks.linear``, ``channels_last.matmul``), so the
exact and the fast decoder run the same code. On CPUs with AMX or AVX-512 BF16 the products run
several times faster than in float32; probabilities differ from the exact decoder by about 1e-2
at most (docs/benchmarks.md).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .skipclick import SkipClickModel

FAST_DTYPE = torch.bfloat16


def bf16_matmul_supported() -> bool:
    """Whether this CPU multiplies bfloat16 natively (oneDNN: AVX-512 BF16 or AMX)."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(check is not None and check())


def _low_precision_layers(model: SkipClickModel) -> list[nn.Module]:
    """Layers whose weights the fast decoder keeps in bfloat16."""
    stack = [m for m in model.backbone_mix.modules() if isinstance(m, nn.Linear)]
    convs = (nn.Conv2d, nn.ConvTranspose2d)
    neck = [m for b in (model.neck.down_4, model.neck.down_8) for m in b if isinstance(m, convs)]
    return stack + neck


def fast_decoder(model: SkipClickModel) -> SkipClickModel:
    """A decode-only copy of ``model`` with bfloat16 matrix-product weights.

    The copy has no DINOv2 (``encode``/``extract`` stay with ``model``): give its
    :meth:`~SkipClickModel.decode` a :class:`DecoderState` prepared by ``model``. The original
    is not modified.
    """
    memo = {id(model.feature_extractor): None}
    fast = copy.deepcopy(model, memo)
    for layer in _low_precision_layers(fast):
        layer.weight.data = layer.weight.data.to(FAST_DTYPE)
    return fast.eval().requires_grad_(False)
