"""SkipClick in plain PyTorch: config, DINOv2 encoder, click decoder, loading, official processing.

Names are imported on first use so that ``skipclick --help`` (which imports the
``weights_cli`` submodule) does not load torch.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_EXPORTS = {
    "CheckpointError": "checkpoint",
    "build_model": "checkpoint",
    "load_skipclick": "checkpoint",
    "pick_device": "checkpoint",
    "read_checkpoint": "checkpoint",
    "save_skipclick": "checkpoint",
    "ConfigError": "config",
    "DinoV2Arch": "config",
    "SkipClickConfig": "config",
    "released_config": "config",
    "DecoderState": "skipclick",
    "SkipClickModel": "skipclick",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS)
