"""The SkipClick model: encode an image once (DINOv2), decode every click cheaply."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import SkipClickConfig
from .decoder import EncoderStack, SegFormerHead, disk_maps, embed_clicks
from .dinov2 import DinoV2, PatchEmbed
from .neck import NeckTerms, SimpleFPN

#: DINOv2 blocks (0-based) whose outputs the official extractor returns, whatever the config says
EXTRACTION_BLOCKS = (2, 5, 8, 11)


@dataclass(frozen=True)
class DecoderState:
    """Everything ``decode`` needs that does not depend on the clicks (read-only)."""

    tokens: torch.Tensor  # (B, N, D): image tokens for the encoder stack, position table added
    neck_terms: NeckTerms | None  # per-image part of the neck (with skip connections)
    first_qkv: torch.Tensor | None  # (B, N, 3D): image part of the first block's centred qkv
    image_size: tuple[int, int]
    grid: tuple[int, int]


class FeatureExtractor(nn.Module):
    """Holds the DINOv2 network under the official attribute name ``dinov2``."""

    def __init__(self, dinov2: DinoV2) -> None:
        super().__init__()
        self.dinov2 = dinov2


class SkipClickModel(nn.Module):
    """SkipClick with the official parameter names; built from a :class:`SkipClickConfig`."""

    def __init__(self, config: SkipClickConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        dim = config.embed_dim
        patch = config.patch_size[0]
        grid = (config.img_size[0] // patch, config.img_size[1] // patch)
        self.patch_embed_coords = PatchEmbed(3 if config.with_prev_mask else 2, dim, patch)
        self.feature_extractor = FeatureExtractor(DinoV2(config.dinov2))
        self.backbone_mix = EncoderStack(
            grid, dim, config.depth, config.num_heads, config.mlp_ratio, config.qkv_bias
        )
        self.neck = SimpleFPN(config.neck_in_dim, config.neck_out_dims, config.skip_connections)
        self.head = SegFormerHead(
            config.head_in_channels,
            config.head_in_index,
            config.head_channels,
            config.num_classes,
            config.upsample,
            config.align_corners,
        )
        if config.fused:
            self.fuse = nn.Linear(dim * len(config.use_intermediate), dim)
        self.register_buffer("mean", torch.tensor(config.norm_mean).view(1, 3, 1, 1), False)
        self.register_buffer("std", torch.tensor(config.norm_std).view(1, 3, 1, 1), False)

    @property
    def dinov2(self) -> DinoV2:
        return self.feature_extractor.dinov2

    @property
    def patch_size(self) -> int:
        return self.config.patch_size[0]

    def grid_of(self, height: int, width: int) -> tuple[int, int]:
        """Token grid for an input of ``height`` x ``width`` pixels: multiples of the patch, at
        least two a side (the decoder's coarsest branch halves the grid)."""
        p = self.patch_size
        if height % p or width % p or height < 2 * p or width < 2 * p:
            raise ValueError(
                f"input size {height}x{width} must be a multiple of {p} of at least {2 * p} "
                f"({2 * p}, {3 * p}, {4 * p}, ...): the decoder halves the {p}-pixel patch grid"
            )
        return height // p, width // p

    # --- per image -----------------------------------------------------------------------------

    def extract(self, image: torch.Tensor) -> list[torch.Tensor]:
        """DINOv2 maps ``(B, N, D)`` of an RGB batch in [0, 1] that the config uses."""
        self._check_image(image, 3)
        x = (image - self.mean.to(image.dtype)) / self.std.to(image.dtype)
        blocks = EXTRACTION_BLOCKS if self.config.fused else EXTRACTION_BLOCKS[:1]
        return self.dinov2.block_outputs(x, blocks)

    def prepare(self, maps: list[torch.Tensor], image_size: tuple[int, int]) -> DecoderState:
        """Click-independent decoder inputs from the DINOv2 maps of :meth:`extract`."""
        grid = self.grid_of(*image_size)
        fused = self.fuse(torch.cat(list(maps), dim=2)) if self.config.fused else maps[0]
        tokens = fused + self.backbone_mix.pos_embed_for(*grid).to(fused.dtype)
        terms = None
        if self.config.skip_connections:
            terms = self.neck.skip_terms(list(maps), grid)
        first_qkv = None
        if self.backbone_mix.splits_first_norm:
            first_qkv = self.backbone_mix.image_qkv(tokens)
        return DecoderState(tokens, terms, first_qkv, tuple(image_size), grid)

    def encode(self, image: torch.Tensor) -> DecoderState:
        """Run the image encoder once: ``image`` is ``(B, 3, H, W)`` RGB in [0, 1]."""
        return self.prepare(self.extract(image), tuple(image.shape[-2:]))

    # --- per click -----------------------------------------------------------------------------

    def click_maps(
        self, points: torch.Tensor, image_size: tuple[int, int], prev_mask: torch.Tensor | None
    ) -> torch.Tensor:
        """Encoder input maps ``(B, 3, H, W)``: ``[prev_mask, positive disks, negative disks]``."""
        height, width = image_size
        maps = disk_maps(points, height, width, self.config.norm_radius)
        maps = maps.to(self.mean.device)
        if not self.config.with_prev_mask:
            return maps
        if prev_mask is None:
            prev_mask = maps.new_zeros(maps.shape[0], 1, height, width)
        if tuple(prev_mask.shape[-2:]) != (height, width) or prev_mask.ndim != 4:
            raise ValueError(f"prev_mask has shape {tuple(prev_mask.shape)}, expected (B,1,H,W)")
        return torch.cat([prev_mask.to(maps.device, maps.dtype), maps], dim=1)

    def decode(
        self,
        state: DecoderState,
        points: torch.Tensor,
        prev_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``(B, 1, H, W)`` for ``points`` ``(B, 2M, 3)``; ``state`` is not modified."""
        points = torch.as_tensor(points)
        if points.ndim != 3 or points.shape[2] != 3 or points.shape[1] % 2:
            raise ValueError(f"points must have shape (B, 2M, 3), got {tuple(points.shape)}")
        if prev_mask is not None:
            size = tuple(state.image_size)
            if prev_mask.ndim != 4 or tuple(prev_mask.shape[-2:]) != size:
                raise ValueError(
                    f"prev_mask has shape {tuple(prev_mask.shape)}, expected (B,1,H,W)"
                )
            prev_mask = prev_mask.to(state.tokens.device, state.tokens.dtype)
        proj = self.patch_embed_coords.proj
        radius = self.config.norm_radius
        stack = self.backbone_mix
        if state.first_qkv is None or not stack.splits_first_norm:
            embedded = embed_clicks(proj, points, state.image_size, prev_mask, radius)
            x = stack(state.tokens + embedded)
        else:
            weight, bias = stack.click_qkv_embedding(proj)
            wide = embed_clicks(proj, points, state.image_size, prev_mask, radius, weight, bias)
            embedded, click_qkv = wide.split(
                [proj.out_channels, bias.shape[0] - proj.out_channels], -1
            )
            x = stack(state.tokens + embedded, state.first_qkv + click_qkv)
        feats = self.neck(x, state.grid, state.neck_terms)
        logits = self.head(feats)
        return F.interpolate(logits, size=state.image_size, mode="bilinear", align_corners=True)

    def forward(self, image4: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """Official ``forward``: ``image4`` is RGB in [0, 1] plus the previous mask channel."""
        channels = 4 if self.config.with_prev_mask else 3
        self._check_image(image4, channels)
        prev = image4[:, 3:4] if self.config.with_prev_mask else None
        return self.decode(self.encode(image4[:, :3]), points, prev)

    @staticmethod
    def _check_image(image: torch.Tensor, channels: int) -> None:
        if image.ndim != 4 or image.shape[1] != channels:
            raise ValueError(
                f"expected an image batch of shape (B, {channels}, H, W), got {tuple(image.shape)}"
            )
