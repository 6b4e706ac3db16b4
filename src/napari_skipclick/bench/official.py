"""Load the official SkipClick code from a user-supplied source tree, as a benchmark baseline.

Nothing of the official code ships with this package: ``--official-src`` points to a checkout of
github.com/Schorob/skipclick and ``--dinov2-src`` to one of facebookresearch/dinov2. The
official model imports ``mmcv`` for two trivial pieces; when mmcv is not installed a minimal
stand-in provides them (``ConvModule`` = conv + ReLU as used by the head, ``BaseModule`` =
``nn.Module``; everything else mmcv offers is only referenced at import time).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import sys
import types
from pathlib import Path

import torch
from torch import nn

from ..model.config import SkipClickConfig


class _ConvModule(nn.Module):
    """mmcv ``ConvModule`` without norm: convolution with bias, then ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, **_):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)
        self.activate = nn.ReLU()

    def forward(self, x):
        return self.activate(self.conv(x))


class _BaseModule(nn.Module):
    def __init__(self, init_cfg=None):
        super().__init__()


class _Inert:
    """Registries and decorators referenced at import time; they do nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: lambda f: f

    def __call__(self, *args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda f: f)


class _StandInModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return {"ConvModule": _ConvModule, "BaseModule": _BaseModule}.get(name, _Inert)


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "mmcv" or name.startswith("mmcv."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def _official_kwargs(config: SkipClickConfig, loss) -> dict:
    return {
        "use_disks": config.use_disks,
        "norm_radius": config.norm_radius,
        "with_prev_mask": config.with_prev_mask,
        "extractor_type": config.extractor_type,
        "backbone_params": {
            "img_size": tuple(config.img_size),
            "patch_size": tuple(config.patch_size),
            "embed_dim": config.embed_dim,
            "depth": config.depth,
            "num_heads": config.num_heads,
            "mlp_ratio": config.mlp_ratio,
            "qkv_bias": config.qkv_bias,
            "primitive_stack": True,
        },
        "neck_params": {"in_dim": config.neck_in_dim, "out_dims": list(config.neck_out_dims)},
        "head_params": {
            "in_channels": list(config.head_in_channels),
            "in_index": list(config.head_in_index),
            "dropout_ratio": 0.1,
            "num_classes": config.num_classes,
            "loss_decode": loss,
            "align_corners": config.align_corners,
            "upsample": config.upsample,
            "channels": config.head_channels,
        },
        "random_split": False,
        "trained_extractor": config.trained_extractor,
        "use_intermediate": list(config.use_intermediate),
        "skip_connections": config.skip_connections,
    }


def build_official(
    official_src: str | Path, dinov2_src: str | Path, config: SkipClickConfig
) -> nn.Module:
    """The official ``FeatureVitModel`` for ``config`` (random weights, eval mode)."""
    official_src, dinov2_src = Path(official_src), Path(dinov2_src)
    if not (official_src / "isegm" / "model" / "is_featurevit_model.py").is_file():
        raise FileNotFoundError(f"{official_src} is not a checkout of Schorob/skipclick")
    if not (dinov2_src / "hubconf.py").is_file():
        raise FileNotFoundError(f"{dinov2_src} is not a checkout of facebookresearch/dinov2")
    if importlib.util.find_spec("mmcv") is None:
        sys.meta_path.insert(0, _StandInFinder())
    sys.path.insert(0, str(official_src))
    hub_load = torch.hub.load

    def local_hub(repo, name, *args, **kwargs):
        return hub_load(str(dinov2_src), name, source="local", pretrained=False)

    torch.hub.load = local_hub
    try:
        from isegm.model.is_featurevit_model import FeatureVitModel
        from isegm.model.modeling.transformer_helper.cross_entropy_loss import CrossEntropyLoss

        model = FeatureVitModel(**_official_kwargs(config, CrossEntropyLoss()))
    finally:
        torch.hub.load = hub_load
    return model.eval().requires_grad_(False)


def official_click(model: nn.Module, prev_mask: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """The official ``apply_click`` with its per-call print silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        return model.apply_click(prev_mask, points)
