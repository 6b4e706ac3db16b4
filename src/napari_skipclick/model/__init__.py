"""SkipClick in plain PyTorch: config, DINOv2 encoder, click decoder, loading and predictors."""

from .checkpoint import (
    CheckpointError,
    build_model,
    load_skipclick,
    pick_device,
    read_checkpoint,
    save_skipclick,
)
from .config import ConfigError, DinoV2Arch, SkipClickConfig, released_config
from .noc import NoCPredictor
from .predictor import SkipClickPredictor
from .skipclick import DecoderState, SkipClickModel

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DecoderState",
    "DinoV2Arch",
    "NoCPredictor",
    "SkipClickConfig",
    "SkipClickModel",
    "SkipClickPredictor",
    "build_model",
    "load_skipclick",
    "pick_device",
    "read_checkpoint",
    "released_config",
    "save_skipclick",
]
