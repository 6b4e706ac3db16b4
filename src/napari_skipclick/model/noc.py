"""The official NoC-evaluation predictor (NoBRS, ``--suppress-zoom``, horizontal-flip averaging)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .predictor import check_click_list, image_tensor, points_tensor, resize_ac
from .skipclick import DecoderState, SkipClickModel


class NoCPredictor:
    """Resize image and previous probability to ``target_size``, average logits over a flip.

    Reproduces the official evaluation predictor: the 4-channel input (image, previous
    probability) is resized to ``target_size`` (bilinear, align_corners=True, aspect ratio not
    kept), clicks are scaled by ``T/H``, the flipped copy gets ``x' = T_w - x - 1``, logits of
    both are averaged, then the sigmoid, then the resize back. Each prediction becomes the next
    previous probability.
    """

    def __init__(
        self,
        model: SkipClickModel,
        target_size: tuple[int, int] = (448, 448),
        with_flip: bool = True,
        autocast_dtype: torch.dtype | None = None,
    ) -> None:
        self.model = model
        self.target_size = (int(target_size[0]), int(target_size[1]))
        model.grid_of(*self.target_size)
        self.with_flip = with_flip
        self.autocast_dtype = autocast_dtype
        self.image_size: tuple[int, int] | None = None
        self.state: DecoderState | None = None
        self._prev: torch.Tensor | None = None

    @property
    def device(self) -> torch.device:
        return self.model.mean.device

    def _autocast(self):
        enabled = self.autocast_dtype is not None
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=enabled)

    @torch.inference_mode()
    def set_image(self, image: np.ndarray) -> None:
        """Encode a uint8 ``(H, W, 3)`` image (and its mirror image); reset the prediction."""
        tensor = image_tensor(image, self.device)
        self.image_size = tuple(tensor.shape[-2:])
        resized = resize_ac(tensor, self.target_size)
        if self.with_flip:
            resized = torch.cat([resized, torch.flip(resized, dims=[3])], dim=0)
        with self._autocast():
            self.state = self.model.encode(resized)
        self._prev = torch.zeros(1, 1, *self.image_size, device=self.device)

    @property
    def prev_probability(self) -> np.ndarray:
        """The last prediction (zeros right after :meth:`set_image`)."""
        if self._prev is None:
            raise RuntimeError("call set_image first")
        return self._prev[0, 0].cpu().numpy()

    @torch.inference_mode()
    def predict(self, clicks: Sequence[Sequence[float]]) -> np.ndarray:
        """Probabilities ``(H, W)`` for all clicks so far, given as ``(y, x, positive)``."""
        if self.state is None:
            raise RuntimeError("call set_image before predict")
        height, width = self.image_size
        size_h, size_w = self.target_size
        checked = check_click_list(clicks, self.image_size)
        scaled = [(size_h * y / height, size_w * x / width, p) for y, x, p in checked]
        lists = [scaled]
        prev = resize_ac(self._prev, self.target_size)
        if self.with_flip:
            lists.append([(y, size_w - x - 1, p) for y, x, p in scaled])
            prev = torch.cat([prev, torch.flip(prev, dims=[3])], dim=0)
        with self._autocast():
            logits = self.model.decode(self.state, points_tensor(lists, self.device), prev)
        logits = logits.float()
        if self.with_flip:
            logits = 0.5 * (logits[:1] + torch.flip(logits[1:], dims=[3]))
        probs = resize_ac(torch.sigmoid(logits), self.image_size)
        self._prev = probs
        return probs[0, 0].cpu().numpy()
