"""The official pre- and post-processing around the model: the demo's and the NoC predictor's.

Both resize the image to a square internal size (bilinear, ``align_corners=True``, aspect ratio
not kept), scale clicks by ``S / H``, resize the previous probabilities in like the image, take
the sigmoid and resize back (spec §5, §7.3). The NoC predictor also runs a horizontally flipped
copy and averages the two passes' logits before the sigmoid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_image
from .skipclick import DecoderState, SkipClickModel


def image_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 ``(H, W, 3)`` -> float32 ``(1, 3, H, W)`` in [0, 1] on ``device``.

    A read-only frame (a memory-mapped or cached one) is copied first: torch shares the memory
    of the arrays it converts and warns on read-only ones.
    """
    tensor = torch.from_numpy(np.require(check_image(image), requirements="W")).to(device)
    return tensor.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def resize_ac(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with ``align_corners=True`` (identity when the size already matches)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=True)


def with_flip(x: torch.Tensor) -> torch.Tensor:
    """The batch followed by its horizontal mirror: ``(B, C, H, W)`` -> ``(2B, C, H, W)``."""
    return torch.cat([x, torch.flip(x, dims=[3])], dim=0)


def model_input(
    image: np.ndarray, size: tuple[int, int], device: torch.device, flip: bool = False
) -> torch.Tensor:
    """A uint8 ``(H, W, 3)`` image resized to ``size`` (and its mirror when ``flip``)."""
    tensor = resize_ac(image_tensor(image, device), size)
    return with_flip(tensor) if flip else tensor


def points_tensor(
    clicks_per_image: Sequence[Sequence[tuple[float, float, bool]]], device: torch.device
) -> torch.Tensor:
    """Official points layout ``(B, 2M, 3)``: ``(y, x, order)``, positives first, -1 padding."""
    counts = [sum(c[2] for c in clicks) for clicks in clicks_per_image]
    m = max([1, *counts, *(len(c) - n for c, n in zip(clicks_per_image, counts, strict=True))])
    points = np.full((len(clicks_per_image), 2 * m, 3), -1.0, dtype=np.float32)
    for b, clicks in enumerate(clicks_per_image):
        pos = [(y, x, i) for i, (y, x, p) in enumerate(clicks) if p]
        neg = [(y, x, i) for i, (y, x, p) in enumerate(clicks) if not p]
        if pos:
            points[b, : len(pos)] = pos
        if neg:
            points[b, m : m + len(neg)] = neg
    return torch.from_numpy(points).to(device)


def scale_clicks(
    clicks: Sequence[tuple[float, float, bool]],
    original_size: tuple[int, int],
    internal_size: tuple[int, int],
) -> list[tuple[float, float, bool]]:
    """Clicks in original pixels -> model pixels (``y / H * S``, as the official code)."""
    (height, width), (size_h, size_w) = original_size, internal_size
    return [(y / height * size_h, x / width * size_w, bool(p)) for y, x, p in clicks]


def probabilities(
    model: SkipClickModel,
    state: DecoderState,
    scaled_clicks: Sequence[tuple[float, float, bool]],
    prev_mask: np.ndarray | None,
    original_size: tuple[int, int],
    flip: bool = False,
) -> np.ndarray:
    """Float32 probabilities ``(H, W)`` at the original size for clicks in model pixels.

    ``state`` holds one image (the demo) or the image and its mirror (``flip``, the NoC
    predictor: mirrored clicks at ``x' = S_w - x - 1``, logits of both passes averaged).
    ``prev_mask`` is the previous probability map at the original size, or None for zeros.
    """
    if not scaled_clicks:
        return np.zeros(original_size, dtype=np.float32)
    device = model.mean.device
    lists = [list(scaled_clicks)]
    prev = None
    if prev_mask is not None:
        prev_arr = np.asarray(prev_mask, dtype=np.float32)
        if prev_arr.shape != tuple(original_size):
            raise ValueError(f"prev_mask has shape {prev_arr.shape}, expected {original_size}")
        prev = resize_ac(torch.from_numpy(prev_arr).to(device)[None, None], state.image_size)
    if flip:
        width = state.image_size[1]
        lists.append([(y, width - x - 1, p) for y, x, p in scaled_clicks])
        prev = None if prev is None else with_flip(prev)
    # the click disks are drawn on the CPU (model/decoder.py): the points stay there
    logits = model.decode(state, points_tensor(lists, torch.device("cpu")), prev).float()
    if flip:
        logits = 0.5 * (logits[:1] + torch.flip(logits[1:], dims=[3]))
    probs = resize_ac(torch.sigmoid(logits), original_size)
    return probs[0, 0].cpu().numpy()
