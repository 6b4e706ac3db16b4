"""The DINOv2 architecture of a checkpoint whose ``extractor_type`` is no torch.hub name, read
from its own tensors (widths, depth, registers, patch, position table) where they tell it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .config import DINOV2_ARCHS, ConfigError, DinoV2Arch

_PREFIX = "feature_extractor.dinov2."
_BLOCK = re.compile(re.escape(_PREFIX) + r"blocks\.(\d+)\.")


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in value.shape)


def arch_from_tensors(state: Mapping[str, Any]) -> dict[str, Any]:
    """The DINOv2 fields the tensors of ``state`` fix (all but ``num_heads``, which no shape
    holds); empty when the checkpoint holds no DINOv2 weights under the official names."""
    cls_token = state.get(_PREFIX + "cls_token")
    patch = state.get(_PREFIX + "patch_embed.proj.weight")
    pos = state.get(_PREFIX + "pos_embed")
    depth = len({int(m.group(1)) for key in state if (m := _BLOCK.match(key))})
    if cls_token is None or patch is None or pos is None or not depth:
        return {}
    block = _PREFIX + "blocks.0."
    registers = state.get(_PREFIX + "register_tokens")
    fields: dict[str, Any] = {
        "embed_dim": _shape(cls_token)[-1],
        "depth": depth,
        "num_register_tokens": 0 if registers is None else _shape(registers)[1],
        "patch_size": _shape(patch)[-1],
        "qkv_bias": block + "attn.qkv.bias" in state,
        "proj_bias": block + "attn.proj.bias" in state,
        "ffn_bias": block + "mlp.fc1.bias" in state,
    }
    fc1 = state.get(block + "mlp.fc1.weight")
    if fc1 is not None:
        fields["mlp_ratio"] = _shape(fc1)[0] / fields["embed_dim"]
    side = math.isqrt(_shape(pos)[1] - 1)
    if side * side == _shape(pos)[1] - 1:
        fields["img_size"] = side * fields["patch_size"]
    # not in any tensor: torch.hub's builders resize register models antialiased, no offset
    with_reg = fields["num_register_tokens"] > 0
    fields["interpolate_antialias"] = with_reg
    fields["interpolate_offset"] = 0.0 if with_reg else 0.1
    return fields


def _hub_heads(fields: Mapping[str, Any]) -> int | None:
    """The heads of the torch.hub DINOv2 of the same width and depth, if there is one."""
    for arch in DINOV2_ARCHS.values():
        if (arch.embed_dim, arch.depth) == (fields.get("embed_dim"), fields.get("depth")):
            return arch.num_heads
    return None


def backbone_arch_for(
    extractor: str,
    state: Mapping[str, Any],
    given: Mapping[str, Any] | DinoV2Arch | None,
) -> Mapping[str, Any] | DinoV2Arch | None:
    """The DINOv2 architecture to build for ``extractor``: ``given`` (complete or some fields,
    the rest read from ``state``), the hub's for a hub name, else the one ``state`` shows.

    Raises :class:`ConfigError` when the number of heads is neither given nor that of a hub
    model of the same width and depth (it is in no tensor's shape).
    """
    if isinstance(given, DinoV2Arch) or (given is None and extractor in DINOV2_ARCHS):
        return given
    fields = {**arch_from_tensors(state), **(given or {})}
    if "num_heads" not in fields and (heads := _hub_heads(fields)) is not None:
        fields["num_heads"] = heads
    if "num_heads" not in fields:
        read = ", ".join(f"{k} {fields[k]}" for k in ("embed_dim", "depth") if k in fields)
        raise ConfigError(
            f"unknown extractor_type {extractor!r} (known: {', '.join(sorted(DINOV2_ARCHS))})"
            + (f"; its DINOv2 tensors give {read}" if read else "")
            + ", but the number of attention heads is in no tensor's shape: give it as "
            'backbone_arch={"num_heads": N} (engine option; the rest is read from the file)'
        )
    return fields
