"""SkipClick behind the engine protocol: DINOv2 maps cached per frame, a light decode per click."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..model import SkipClickModel, build_model, load_skipclick, pick_device, released_config
from ..model.config import DinoV2Arch
from ..model.fast import bf16_matmul_supported, fast_decoder
from ..model.processing import model_input, probabilities, scale_clicks
from ..model.skipclick import DecoderState
from ..model.weights import file_sha256, resolve_checkpoint
from ..types import Click
from .base import Features, check_clicks, check_image, check_prev_mask
from .skipclick_match import match_object

#: autocast dtype per precision; ``fast`` is the CPU decoder with bfloat16 products (no autocast)
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16, "fast": None}
#: ``demo``: the official demo's processing; ``noc``: the NoC predictor's (adds flip averaging)
PROTOCOLS = ("demo", "noc")


class SkipClickEngine:
    """SkipClick: ``encode`` runs DINOv2 once per frame, ``decode`` runs the click decoder.

    Args:
        checkpoint: a ``.pth`` path or a released name (``skipclick``, ``intermediate``,
            ``frozen``, ``baseline``; downloaded on first use).
        device: a torch device, or ``auto``/None for CUDA, then MPS, then the CPU.
        precision: ``fp32`` (exact); ``bf16``/``fp16`` run both steps under autocast (GPU only);
            ``fast`` decodes clicks with bfloat16 matrix products (CPU with AVX-512 BF16 or
            AMX only; encode stays fp32; see ``model/fast.py``).
        input_size: side of the square image the model sees. The official demo uses 448
            whatever the checkpoint's ``img_size``; the paper's NoC runs 448, or 672 for DAVIS.
        protocol: ``demo`` processes like the official demo; ``noc`` like the official NoC
            predictor, which also runs the mirrored image and averages both passes' logits.
        backbone_arch: DINOv2 architecture for an ``extractor_type`` the loader does not know.
    """

    name = "skipclick"

    def __init__(
        self,
        checkpoint: str | Path = "skipclick",
        device: str | None = "auto",
        precision: str = "fp32",
        input_size: int = 448,
        protocol: str = "demo",
        backbone_arch: dict[str, Any] | None = None,
    ) -> None:
        chosen = pick_device(device)
        _check_settings(precision, protocol, chosen)  # before a checkpoint is downloaded
        path = resolve_checkpoint(checkpoint)
        model = load_skipclick(path, backbone_arch=backbone_arch, device=chosen)
        arch = model.config.dinov2 if backbone_arch else None
        self._setup(model, weights_id(path, arch), precision, input_size, protocol)

    @classmethod
    def from_model(
        cls,
        model: SkipClickModel,
        weights_id: str,
        precision: str = "fp32",
        input_size: int = 448,
        protocol: str = "demo",
    ) -> SkipClickEngine:
        """Wrap an already built model; ``weights_id`` identifies its weights in :attr:`key`."""
        engine = cls.__new__(cls)
        engine._setup(
            model.eval().requires_grad_(False), weights_id, precision, input_size, protocol
        )
        return engine

    @classmethod
    def random(
        cls,
        variant: str = "skipclick",
        device: str | None = "auto",
        precision: str = "fp32",
        seed: int = 0,
    ) -> SkipClickEngine:
        """Full-size architecture of a released ``variant`` with random weights (benchmarks)."""
        torch.manual_seed(seed)
        model = build_model(released_config(variant)).to(pick_device(device))
        return cls.from_model(model, f"random-{variant}-{seed}", precision)

    def _setup(
        self,
        model: SkipClickModel,
        weights_id: str,
        precision: str,
        input_size: int,
        protocol: str,
    ) -> None:
        _check_settings(precision, protocol, model.mean.device)
        model.grid_of(input_size, input_size)  # a size the decoder takes
        self.model = model
        self.device = model.mean.device
        self.decoder = fast_decoder(model) if precision == "fast" else model
        self.precision = precision
        self.protocol = protocol
        self.flip = protocol == "noc"
        self.weights_id = weights_id
        self.internal_size = (int(input_size), int(input_size))
        self._lock = threading.Lock()
        self._states: OrderedDict[int, tuple[Features, DecoderState]] = OrderedDict()

    @property
    def key(self) -> str:
        """Changes whenever outputs would change: weights, precision, device, size, protocol."""
        return (
            f"skipclick/{self.weights_id[:16]}/{self.precision}/{self.device.type}/"
            f"{'x'.join(map(str, self.internal_size))}/{self.protocol}/{__version__}"
        )

    @property
    def features_key(self) -> str:
        """What the cached features depend on: weights, encode precision, size, protocol.

        Not the device, nor the CPU decoder (``fast`` encodes in fp32): the cache stores the
        maps as float16, far coarser than CPU and CUDA fp32 maps differ, so features computed
        on a GPU are used by a CPU session.
        """
        encode = self.precision if PRECISIONS[self.precision] is not None else "fp32"
        return (
            f"skipclick-features/{self.weights_id[:16]}/{encode}/"
            f"{'x'.join(map(str, self.internal_size))}/{self.protocol}/{__version__}"
        )

    def _autocast(self):
        dtype = PRECISIONS[self.precision]
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None)

    def encode(self, image: np.ndarray) -> Features:
        """DINOv2 maps of a uint8 ``(H, W, 3)`` image resized to the internal size."""
        return self.encode_batch([image])[0]

    def encode_batch(self, images: Sequence[np.ndarray]) -> list[Features]:
        """:meth:`encode` for several frames in one batch (faster on a GPU)."""
        checked = [check_image(image) for image in images]
        if not checked:
            return []
        per_image = 2 if self.flip else 1
        with torch.inference_mode(), self._autocast():
            batch = torch.cat(
                [model_input(im, self.internal_size, self.device, self.flip) for im in checked]
            )
            maps = self.model.extract(batch)
        if len(checked) == 1:
            slices = [{f"skip{i}": m.contiguous() for i, m in enumerate(maps)}]
        else:
            slices = [
                {
                    f"skip{i}": m[b * per_image : (b + 1) * per_image].clone()
                    for i, m in enumerate(maps)
                }
                for b in range(len(checked))
            ]
        return [
            Features(image_shape=tuple(image.shape[:2]), arrays=arrays)
            for image, arrays in zip(checked, slices, strict=True)
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
        if maps[0].shape[0] != (2 if self.flip else 1):
            raise ValueError(f"features were not encoded for the {self.protocol!r} protocol")
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
        """Float32 probabilities ``(H, W)`` for ``clicks`` in original pixels (never mutates).

        ``prev_mask`` is the previous probability map (None: zeros), as the official demo and
        NoC predictor feed back their last prediction.
        """
        shape = tuple(features.image_shape)
        checked = check_clicks(clicks, shape)
        prev = check_prev_mask(prev_mask, shape)
        if not checked:
            return np.zeros(shape, dtype=np.float32)
        state = self.decoder_state(features)
        scaled = scale_clicks([tuple(c) for c in checked], shape, self.internal_size)
        with torch.inference_mode(), self._autocast():
            return probabilities(self.decoder, state, scaled, prev, shape, self.flip)

    def match_object(
        self, source: Features, target: Features, mask: np.ndarray
    ) -> np.ndarray | None:
        """Where the object masked on ``source`` lies on ``target`` (see ``skipclick_match``)."""
        return match_object(source, target, mask, self.model.grid_of(*self.internal_size))


def _check_settings(precision: str, protocol: str, device: torch.device) -> None:
    """Raise ``ValueError`` for a precision or protocol unknown, or not for ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    on_cpu = device.type == "cpu"
    if precision in ("bf16", "fp16") and on_cpu:
        raise ValueError(f"precision {precision} needs a GPU; use fp32 or fast on the CPU")
    if precision == "fast" and not on_cpu:
        raise ValueError("precision fast is the CPU decoder; use bf16 or fp16 on a GPU")
    if precision == "fast" and not bf16_matmul_supported():
        raise ValueError(
            "precision fast needs a CPU with native bfloat16 (AVX-512 BF16 or AMX); "
            "this one has neither: use fp32"
        )


def weights_id(path: Path, arch: DinoV2Arch | None = None) -> str:
    """What identifies a checkpoint's outputs: its SHA-256, and the DINOv2 architecture built
    from a ``backbone_arch`` given (another one gives other features). The architecture as
    resolved, not the dict given: ignored keys and fields equal to the file's change nothing."""
    digest = file_sha256(path)
    if arch is None:
        return digest
    resolved = json.dumps(asdict(arch), sort_keys=True)
    return hashlib.sha256(f"{digest}/{resolved}".encode()).hexdigest()
