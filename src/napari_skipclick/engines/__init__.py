"""Engines behind one protocol: ``encode(image) -> Features``, ``decode(features, clicks)``.

The registry (``registry.py``) says which engines exist and builds them: ``create_engine``.
The protocol and shared checks (``base.py``) and the predictor are imported on first use, so
that the command line reads the registry without loading numpy or torch.
"""

from __future__ import annotations

from .._lazy import lazy_getattr
from .registry import (
    DEFAULT_ENGINE,
    ENGINES,
    EngineEntry,
    EngineOption,
    create_engine,
    engine_entry,
)

_LAZY = {
    "Engine": "base",
    "Features": "base",
    "check_clicks": "base",
    "check_image": "base",
    "check_prev_mask": "base",
    "SkipClickPredictor": "predictor",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "EngineEntry",
    "EngineOption",
    "create_engine",
    "engine_entry",
    *_LAZY,
]
