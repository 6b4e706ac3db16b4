"""SkipClick behind the engine protocol: DINOv2 maps cached per frame, a light decode per click."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..model import (
    NoCPredictor,
    SkipClickModel,
    build_model,
    load_skipclick,
    pick_device,
    released_config,
)
from ..model.predictor import demo_probabilities, image_tensor, resize_ac, scale_clicks
from ..model.skipclick import DecoderState
from ..model.weights import file_sha256, resolve_checkpoint
from ..types import Click
from .base import Features, check_clicks, check_image, check_prev_mask

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class SkipClickEngine:
    """SkipClick: ``encode`` runs DINOv2 once per frame, ``decode`` runs the click decoder.

    ``checkpoint`` is a ``.pth`` path or a released name (``skipclick``, ``intermediate``,
    ``frozen``, ``baseline``; downloaded on first use). ``device=None`` picks CUDA, then MPS,
    then CPU. ``precision`` ``bf16``/``fp16`` runs both steps under autocast (GPU only).
    """

    name = "skipclick"

    def __init__(
        self,
        checkpoint: str | Path,
        device: str | None = None,
        precision: str = "fp32",
        backbone_arch: dict[str, Any] | None = None,
    ) -> None:
        path = resolve_checkpoint(checkpoint)
        model = load_skipclick(path, backbone_arch=backbone_arch, device=pick_device(device))
        self._setup(model, file_sha256(path), precision)

    @classmethod
    def from_model(
        cls, model: SkipClickModel, weights_id: str, precision: str = "fp32"
    ) -> SkipClickEngine:
        """Wrap an already built model; ``weights_id`` identifies its weights in :attr:`key`."""
        engine = cls.__new__(cls)
        engine._setup(model.eval().requires_grad_(False), weights_id, precision)
        return engine

    @classmethod
    def random(
        cls,
        variant: str = "skipclick",
        device: str | None = None,
        precision: str = "fp32",
        seed: int = 0,
    ) -> SkipClickEngine:
        """Full-size architecture of a released ``variant`` with random weights (benchmarks)."""
        torch.manual_seed(seed)
        model = build_model(released_config(variant)).to(pick_device(device))
        return cls.from_model(model, f"random-{variant}-{seed}", precision)

    def _setup(self, model: SkipClickModel, weights_id: str, precision: str) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
        self.model = model
        self.device = model.mean.device
        if precision != "fp32" and self.device.type == "cpu":
            raise ValueError(f"precision {precision} needs a GPU; use fp32 on the CPU")
        self.precision = precision
        self.weights_id = weights_id
        self.internal_size = tuple(model.config.img_size)
        self._lock = threading.Lock()
        self._states: OrderedDict[int, tuple[Features, DecoderState]] = OrderedDict()

    @property
    def key(self) -> str:
        """Changes whenever outputs would change: weights, precision, device kind, version."""
        return (
            f"skipclick/{self.weights_id[:16]}/{self.precision}/{self.device.type}/"
            f"{'x'.join(map(str, self.internal_size))}/{__version__}"
        )

    def _autocast(self):
        dtype = PRECISIONS[self.precision]
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)

    def encode(self, image: np.ndarray) -> Features:
        """DINOv2 maps of a uint8 ``(H, W, 3)`` image resized to the internal size."""
        image = check_image(image)
        with torch.inference_mode(), self._autocast():
            tensor = resize_ac(image_tensor(image, self.device), self.internal_size)
            maps = self.model.extract(tensor)
        arrays = {f"skip{i}": m.contiguous() for i, m in enumerate(maps)}
        return Features(image_shape=tuple(image.shape[:2]), arrays=arrays)

    def encode_batch(self, images: Sequence[np.ndarray]) -> list[Features]:
        """:meth:`encode` for several frames in one batch (faster on a GPU)."""
        checked = [check_image(image) for image in images]
        if not checked:
            return []
        with torch.inference_mode(), self._autocast():
            batch = torch.cat(
                [resize_ac(image_tensor(im, self.device), self.internal_size) for im in checked]
            )
            maps = self.model.extract(batch)
        return [
            Features(
                image_shape=tuple(image.shape[:2]),
                arrays={f"skip{i}": m[b : b + 1].clone() for i, m in enumerate(maps)},
            )
            for b, image in enumerate(checked)
        ]

    def decoder_state(self, features: Features) -> DecoderState:
        """Click-independent decoder inputs of ``features``, kept for the two latest frames."""
        with self._lock:
            hit = self._states.get(id(features))
            if hit is not None and hit[0] is features:
                self._states.move_to_end(id(features))
                return hit[1]
        count = sum(1 for name in features.arrays if name.startswith("skip"))
        if count != (4 if self.model.config.fused else 1):
            raise ValueError(
                f"features hold {count} DINOv2 maps; this model needs a matching encode"
            )
        maps = [torch.as_tensor(features.arrays[f"skip{i}"]).to(self.device) for i in range(count)]
        with torch.inference_mode(), self._autocast():
            state = self.model.prepare(maps, self.internal_size)
        with self._lock:
            self._states[id(features)] = (features, state)
            while len(self._states) > 2:
                self._states.popitem(last=False)
        return state

    def decode(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Float32 probabilities ``(H, W)`` for ``clicks`` in original pixels (never mutates)."""
        shape = tuple(features.image_shape)
        checked = check_clicks(clicks, shape)
        prev = check_prev_mask(prev_mask, shape)
        if not checked:
            return np.zeros(shape, dtype=np.float32)
        state = self.decoder_state(features)
        scaled = scale_clicks([tuple(c) for c in checked], shape, self.internal_size)
        with torch.inference_mode(), self._autocast():
            return demo_probabilities(self.model, state, scaled, prev, shape)

    def noc_predictor(
        self, target_size: tuple[int, int] = (448, 448), with_flip: bool = True
    ) -> NoCPredictor:
        """The official NoC predictor (resize to ``target_size`` + flip averaging) on this model."""
        return NoCPredictor(
            self.model, target_size, with_flip, autocast_dtype=PRECISIONS[self.precision]
        )
