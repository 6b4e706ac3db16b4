"""Engines behind one protocol: ``encode(image) -> Features``, ``decode(features, clicks)``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .base import Engine, Features, check_clicks, check_image, check_prev_mask

#: engine name -> "module:factory"; the factory takes keyword options and returns an Engine.
ENGINES: dict[str, str] = {
    "embedded": "napari_skipclick.engines.embedded:EmbeddedEngine",
    "skipclick": "napari_skipclick.engines.skipclick:SkipClickEngine",
    "random-walker": "napari_skipclick.engines.random_walker:RandomWalkerEngine",
}


def create_engine(name: str, **options: Any) -> Engine:
    """Build the engine called ``name`` (see ``ENGINES``) with its keyword options."""
    try:
        target = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; choose one of {sorted(ENGINES)}") from None
    module_name, factory_name = target.split(":")
    factory = getattr(import_module(module_name), factory_name)
    return factory(**options)


__all__ = [
    "ENGINES",
    "Engine",
    "Features",
    "check_clicks",
    "check_image",
    "check_prev_mask",
    "create_engine",
]
