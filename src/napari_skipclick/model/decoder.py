"""Click-dependent SkipClick parts: disk click maps, encoder stack, SegFormer head (neck: neck.py).

Convolutions of the head run as matrix products on channels-last tensors ``(B, H, W, C)``
(``channels_last.py``); parameters keep the official module layout so checkpoints load unchanged.
Like the blocks, a layer with a bfloat16 weight (the fast decoder) multiplies in bfloat16 and
returns float32.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .blocks import Block, is_low_precision
from .channels_last import apply_layers, conv1x1, matmul, resize_cl
from .derived import derived


def _disks(
    points: torch.Tensor, height: int, width: int, radius: float
) -> tuple[np.ndarray, list[tuple[int, int, int, int, int]]]:
    """Boolean disks ``(B, 2, H, W)`` and the window ``(b, y0, y1, x0, x1)`` drawn per click.

    Drawn with NumPy in float32 (a few small arrays per click: torch's per-operation overhead
    was most of a click's embedding on a GPU).
    """
    points = points.detach().to("cpu", torch.float32).numpy()
    batch, rows = points.shape[:2]
    half = rows // 2
    maps = np.zeros((batch, 2, height, width), dtype=bool)
    windows = []
    limit = np.float32(float(radius) ** 2)
    reach = int(radius) + 2
    for b in range(batch):
        for r in range(rows):
            y, x = points[b, r, 0], points[b, r, 1]
            if max(y, x) < 0:
                continue
            y0, y1 = max(int(y) - reach, 0), min(int(y) + reach + 1, height)
            x0, x1 = max(int(x) - reach, 0), min(int(x) + reach + 1, width)
            if y0 >= y1 or x0 >= x1:
                continue
            dy = (np.arange(y0, y1, dtype=np.float32) - y) ** 2
            dx = (np.arange(x0, x1, dtype=np.float32) - x) ** 2
            maps[b, 0 if r < half else 1, y0:y1, x0:x1] |= (dy[:, None] + dx[None, :]) <= limit
            windows.append((b, y0, y1, x0, x1))
    return maps, windows


def disk_maps(points: torch.Tensor, height: int, width: int, radius: float) -> torch.Tensor:
    """Binary disks ``(B, 2, H, W)`` around positive (rows ``:M``) and negative (``M:``) points.

    ``points`` is ``(B, 2M, 3)`` with rows ``(y, x, index)``; rows with ``max(y, x) < 0`` are
    padding. A pixel ``(i, j)`` is on when ``(i - y)^2 + (j - x)^2 <= radius^2`` in float32.
    """
    return torch.from_numpy(_disks(points, height, width, radius)[0]).float()


def disk_patches(
    points: torch.Tensor, height: int, width: int, radius: float, patch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The patches that hold disk pixels: flat indices ``b * grid + cell`` and their pixels.

    Pixels come as ``(K, 2 * patch * patch)`` floats ordered (channel, row, column), the
    layout of a patch-embedding weight; only the cells the clicks' windows touch are read.
    """
    maps, windows = _disks(points, height, width, radius)
    grid_h, grid_w = height // patch, width // patch
    cells = sorted(
        {
            (b, gy, gx)
            for b, y0, y1, x0, x1 in windows
            for gy in range(y0 // patch, min((y1 - 1) // patch + 1, grid_h))
            for gx in range(x0 // patch, min((x1 - 1) // patch + 1, grid_w))
        }
    )
    if not cells:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, 2 * patch * patch)
    b, gy, gx = np.array(cells).T
    # every cell's 2 x patch x patch pixels, read from a view of the maps split into cells
    split = maps[:, :, : grid_h * patch, : grid_w * patch].reshape(
        maps.shape[0], 2, grid_h, patch, grid_w, patch
    )
    pixels = split[b, :, gy, :, gx, :].reshape(len(cells), -1)  # (K, 2, patch, patch) flat
    keep = pixels.any(axis=1)
    index = (b * grid_h + gy) * grid_w + gx
    return torch.from_numpy(index[keep]), torch.from_numpy(pixels[keep].astype(np.float32))


def embed_clicks(
    proj: nn.Conv2d,
    points: torch.Tensor,
    image_size: tuple[int, int],
    prev_mask: torch.Tensor | None,
    radius: float,
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Patch embedding ``(B, N, D)`` of ``[prev_mask, disks]`` (or of the disks alone).

    Equal to ``proj`` on the full click maps: the previous mask is embedded densely (skipped
    when it is all zero, i.e. None), the disks only in the patches they touch. ``weight``
    ``(D', C, p, p)`` and ``bias`` ``(D',)`` replace ``proj``'s (any width ``D'``).
    """
    height, width = image_size
    p = proj.kernel_size[0]
    grid_h, grid_w = height // p, width // p
    weight = proj.weight if weight is None else weight
    bias = proj.bias if bias is None else bias
    batch, dim = points.shape[0], weight.shape[0]
    weight = weight.reshape(dim, proj.in_channels, p * p)
    with_prev = proj.in_channels == 3
    if with_prev and prev_mask is not None:
        patches = prev_mask.reshape(batch, grid_h, p, grid_w, p).permute(0, 1, 3, 2, 4)
        flat = patches.reshape(batch * grid_h * grid_w, p * p).to(weight.dtype)
        out = torch.addmm(bias, flat, weight[:, 0].t())
    else:
        out = bias.expand(batch * grid_h * grid_w, dim).clone()
    index, pixels = disk_patches(points, height, width, radius, p)
    if index.numel():
        click_weight = (weight[:, 1:] if with_prev else weight).reshape(dim, 2 * p * p)
        values = pixels.to(out.device, weight.dtype) @ click_weight.t()
        out.index_put_((index.to(out.device),), values.to(out.dtype), accumulate=True)
    return out.reshape(batch, grid_h * grid_w, dim)


class EncoderStack(nn.Module):
    """Plain pre-norm transformer blocks (no LayerScale, no final norm) over click+image tokens."""

    def __init__(
        self,
        grid: tuple[int, int],
        embed_dim: int,
        depth: int,
        num_heads: int,
        mlp_ratio: float,
        qkv_bias: bool,
    ) -> None:
        super().__init__()
        self.grid = grid
        self.pos_embed = nn.Parameter(torch.zeros(1, grid[0] * grid[1], embed_dim))
        norm = partial(nn.LayerNorm, eps=1e-6)
        self.blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, norm_layer=norm)
            for _ in range(depth)
        )

    def pos_embed_for(self, grid_h: int, grid_w: int) -> torch.Tensor:
        """Position table for a grid; resized with plain (non-antialiased) bicubic when needed."""
        if (grid_h, grid_w) == tuple(self.grid):
            return self.pos_embed
        table = self.pos_embed.reshape(1, *self.grid, -1).permute(0, 3, 1, 2)
        table = F.interpolate(table, size=(grid_h, grid_w), mode="bicubic")
        return table.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, -1)

    @property
    def splits_first_norm(self) -> bool:
        """Whether the first block takes its ``qkv`` in an image and a click part (float32)."""
        return len(self.blocks) > 0 and not is_low_precision(self.blocks[0].attn.qkv.weight)

    def image_qkv(self, tokens: torch.Tensor) -> torch.Tensor:
        """Image part ``(B, N, 3D)`` of the first block's centred ``qkv`` (see
        :meth:`Block.forward_centred`) for the image ``tokens`` (position table added)."""
        first = self.blocks[0]
        centred = tokens - tokens.mean(dim=-1, keepdim=True)
        return F.linear(centred, first.attn.qkv.weight * first.norm1.weight)

    def click_qkv_embedding(self, proj: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
        """``proj``'s weight and bias widened by the click part of the first centred ``qkv``.

        The click embedding is linear in its inputs: the same inputs times these ``D + 3D``
        rows give the embedding and, in one product, its centred ``qkv`` part.
        """
        first = self.blocks[0]

        def build() -> tuple[torch.Tensor, torch.Tensor]:
            scaled = first.attn.qkv.weight * first.norm1.weight  # (3D, D)
            weight = proj.weight.reshape(proj.out_channels, -1)
            centred = weight - weight.mean(dim=0)
            bias = proj.bias - proj.bias.mean()
            wide = torch.cat([weight, scaled @ centred]).reshape(-1, *proj.weight.shape[1:])
            return wide, torch.cat([proj.bias, scaled @ bias])

        params = (proj.weight, proj.bias, first.attn.qkv.weight, first.norm1.weight)
        return derived(self, "_click_qkv", params, build)

    def forward(self, x: torch.Tensor, centred_qkv: torch.Tensor | None = None) -> torch.Tensor:
        """The blocks on ``x`` ``(B, N, D)``; ``centred_qkv`` (image part plus click part)
        spares the first block its ``norm1`` and ``qkv`` product."""
        blocks = iter(self.blocks)
        if centred_qkv is not None:
            x = next(blocks).forward_centred(x, centred_qkv)
        for block in blocks:
            x = block(x)
        return x


class ConvReLU(nn.Module):
    """1x1 convolution with bias followed by ReLU (mmcv ``ConvModule`` without norm)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu_(conv1x1(x, self.conv))


def _up_conv(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(channels, channels // 2, 2, stride=2),
        nn.GroupNorm(1, channels // 2),
        nn.Conv2d(channels // 2, channels // 2, 1),
        nn.GroupNorm(1, channels // 2),
        nn.GELU(),
    )


class SegFormerHead(nn.Module):
    """All-MLP head: per-level 1x1 conv+ReLU, resize to level 0, fuse, classify."""

    def __init__(
        self,
        in_channels: tuple[int, ...],
        in_index: tuple[int, ...],
        channels: int,
        num_classes: int,
        upsample: str,
        align_corners: bool,
    ) -> None:
        super().__init__()
        self.in_index = in_index
        self.align_corners = align_corners
        self.upsample = upsample
        out = channels * {"x1": 1, "x2": 2, "x4": 4}[upsample]
        self.out_channels = out
        self.convs = nn.ModuleList(ConvReLU(c, out) for c in in_channels)
        self.fusion_conv = ConvReLU(out * len(in_channels), out)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)
        self.up_conv1 = _up_conv(out)
        self.up_conv2 = _up_conv(out // 2)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """Channels-last maps -> logits ``(B, classes, h0, w0)`` at the finest level's size.

        The fusion 1x1 conv is applied per level before resizing (both are linear), which is
        exact and avoids running it on the upsampled maps.
        """
        inputs = [feats[i] for i in self.in_index]
        size = tuple(inputs[0].shape[1:3])
        out = self.out_channels
        fusion = self.fusion_conv.conv.weight.reshape(out, -1)
        total = None
        for i, x in enumerate(inputs):
            level = self.convs[i](x)
            weight = fusion[:, i * out : (i + 1) * out].t()
            part = matmul(level.reshape(-1, level.shape[-1]), weight)
            part = resize_cl(part.reshape(*level.shape[:-1], out), size, self.align_corners)
            total = part if total is None else total.add_(part)
        y = F.relu_(total.add_(self.fusion_conv.conv.bias))
        if self.upsample in ("x2", "x4"):
            y = apply_layers(y, self.up_conv1, 0)
        if self.upsample == "x4":
            y = apply_layers(y, self.up_conv2, 0)
        return conv1x1(y, self.conv_seg).permute(0, 3, 1, 2)
