"""DINOv2 vision transformer (with optional register tokens) under the official parameter names."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from ..cancel import stop_if_asked
from .blocks import Block
from .config import DinoV2Arch


class PatchEmbed(nn.Module):
    """Non-overlapping patch embedding: ``(B, C, H, W)`` -> tokens ``(B, H/p * W/p, D)``."""

    def __init__(self, in_chans: int, embed_dim: int, patch_size: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        p = self.patch_size
        if height % p or width % p:
            raise ValueError(f"input size {height}x{width} is not a multiple of the patch size {p}")
        return self.proj(x).flatten(2).transpose(1, 2)


class DinoV2(nn.Module):
    """DINOv2 ViT: patch embedding, class/register tokens, LayerScale blocks (timm's ``Block``)."""

    def __init__(self, arch: DinoV2Arch) -> None:
        super().__init__()
        self.arch = arch
        dim = arch.embed_dim
        grid = arch.img_size // arch.patch_size
        self.patch_embed = PatchEmbed(3, dim, arch.patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, dim))
        if arch.num_register_tokens:
            self.register_tokens = nn.Parameter(torch.zeros(1, arch.num_register_tokens, dim))
        else:
            self.register_parameter("register_tokens", None)
        self.mask_token = nn.Parameter(torch.zeros(1, dim))
        norm = partial(nn.LayerNorm, eps=arch.layer_norm_eps)
        self.blocks = nn.ModuleList(
            Block(
                dim,
                arch.num_heads,
                mlp_ratio=arch.mlp_ratio,
                qkv_bias=arch.qkv_bias,
                proj_bias=arch.proj_bias,
                init_values=arch.init_values,
                norm_layer=norm,
            )
            for _ in range(arch.depth)
        )
        self.norm = norm(dim)
        if not arch.ffn_bias:
            raise ValueError("DINOv2 without MLP biases is not supported")

    @property
    def num_prefix_tokens(self) -> int:
        """Class token plus register tokens, dropped from the extracted maps."""
        return 1 + self.arch.num_register_tokens

    def pos_embed_for(self, grid_h: int, grid_w: int) -> torch.Tensor:
        """Position table ``(1, 1 + gh*gw, D)`` resized to a grid like the official DINOv2 code."""
        table = self.pos_embed
        n = table.shape[1] - 1
        side = round(n**0.5)
        if grid_h == side and grid_w == side:
            return table
        table = table.float()
        patch = table[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        offset = self.arch.interpolate_offset
        if offset:
            scale = ((grid_h + offset) / side, (grid_w + offset) / side)
            kwargs = {"scale_factor": scale}
        else:
            kwargs = {"size": (grid_h, grid_w)}
        patch = F.interpolate(
            patch, mode="bicubic", antialias=self.arch.interpolate_antialias, **kwargs
        )
        if tuple(patch.shape[-2:]) != (grid_h, grid_w):
            raise ValueError(f"position table resized to {patch.shape[-2:]}, not {grid_h}x{grid_w}")
        patch = patch.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, -1)
        return torch.cat([table[:, :1], patch], dim=1).to(self.pos_embed.dtype)

    def prepare_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens entering block 0: ``[cls, registers, patches]`` with position embeddings."""
        p = self.arch.patch_size
        grid_h, grid_w = x.shape[-2] // p, x.shape[-1] // p
        tokens = self.patch_embed(x)
        tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        tokens = tokens + self.pos_embed_for(grid_h, grid_w).to(tokens.dtype)
        if self.register_tokens is not None:
            registers = self.register_tokens.expand(tokens.shape[0], -1, -1).to(tokens.dtype)
            tokens = torch.cat([tokens[:, :1], registers, tokens[:, 1:]], dim=1)
        return tokens

    def block_outputs(self, x: torch.Tensor, indices: tuple[int, ...]) -> list[torch.Tensor]:
        """Patch tokens ``(B, N, D)`` output by the blocks ``indices`` (no final norm)."""
        wanted = set(indices)
        if max(indices) >= len(self.blocks):
            raise ValueError(f"block index {max(indices)} beyond DINOv2 depth {len(self.blocks)}")
        tokens = self.prepare_tokens(x)
        outputs = {}
        for i, block in enumerate(self.blocks[: max(indices) + 1]):
            stop_if_asked()  # closing the session stops a CPU encode here, not seconds later
            tokens = block(tokens)
            if i in wanted:
                outputs[i] = tokens[:, self.num_prefix_tokens :]
        return [outputs[i] for i in indices]
