"""App-level predictor with the official demo's pre/post-processing (resize to internal size)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_image
from .skipclick import DecoderState, SkipClickModel


def image_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 ``(H, W, 3)`` -> float32 ``(1, 3, H, W)`` in [0, 1] on ``device``."""
    tensor = torch.from_numpy(check_image(image)).to(device)
    return tensor.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def resize_ac(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with ``align_corners=True`` (identity when the size already matches)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=True)


def check_click_list(
    clicks: Sequence[Sequence[float]], shape: tuple[int, int]
) -> list[tuple[float, float, bool]]:
    """Clicks ``(y, x, positive)`` as floats; ``ValueError`` for one outside ``shape``."""
    height, width = shape
    out = []
    for i, click in enumerate(clicks):
        try:
            y, x, positive = click
            y, x = float(y), float(x)
        except (TypeError, ValueError):
            raise ValueError(f"click {i} is not (y, x, positive): {click!r}") from None
        if not (np.isfinite(y) and np.isfinite(x) and 0 <= y <= height - 1 and 0 <= x <= width - 1):
            raise ValueError(
                f"click {i} at (y={y:g}, x={x:g}) lies outside the {height}x{width} image"
            )
        out.append((y, x, bool(positive)))
    return out


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
    """Clicks in original pixels -> model pixels (``y / H * S``, as the official demo)."""
    (height, width), (size_h, size_w) = original_size, internal_size
    return [(y / height * size_h, x / width * size_w, p) for y, x, p in clicks]


def demo_probabilities(
    model: SkipClickModel,
    state: DecoderState,
    scaled_clicks: Sequence[tuple[float, float, bool]],
    prev_mask: np.ndarray | None,
    original_size: tuple[int, int],
) -> np.ndarray:
    """Decode like the official demo: prev mask resized in, sigmoid, then resized back out."""
    if not scaled_clicks:
        return np.zeros(original_size, dtype=np.float32)
    device = model.mean.device
    prev = None
    if prev_mask is not None:
        prev_arr = np.asarray(prev_mask, dtype=np.float32)
        if prev_arr.shape != tuple(original_size):
            raise ValueError(f"prev_mask has shape {prev_arr.shape}, expected {original_size}")
        prev = resize_ac(torch.from_numpy(prev_arr).to(device)[None, None], state.image_size)
    logits = model.decode(state, points_tensor([scaled_clicks], device), prev)
    probs = resize_ac(torch.sigmoid(logits.float()), original_size)
    return probs[0, 0].cpu().numpy()


class SkipClickPredictor:
    """``set_image`` once, then cheap ``predict`` per click, like the official GUI demo."""

    def __init__(self, model: SkipClickModel, internal_size: tuple[int, int] | None = None) -> None:
        self.model = model
        self.internal_size = tuple(internal_size or model.config.img_size)
        self.original_size: tuple[int, int] | None = None
        self.state: DecoderState | None = None

    @property
    def device(self) -> torch.device:
        return self.model.mean.device

    @torch.inference_mode()
    def set_image(self, image: np.ndarray) -> None:
        """Encode a uint8 ``(H, W, 3)`` RGB image (resized to the internal size)."""
        tensor = image_tensor(image, self.device)
        self.original_size = tuple(tensor.shape[-2:])
        self.state = self.model.encode(resize_ac(tensor, self.internal_size))

    @torch.inference_mode()
    def predict(
        self, clicks: Sequence[Sequence[float]], prev_mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Float32 probabilities ``(H, W)`` at the original size for clicks ``(y, x, positive)``."""
        if self.state is None:
            raise RuntimeError("call set_image before predict")
        checked = check_click_list(clicks, self.original_size)
        scaled = scale_clicks(checked, self.original_size, self.internal_size)
        return demo_probabilities(self.model, self.state, scaled, prev_mask, self.original_size)
