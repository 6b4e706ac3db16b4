"""napari-skipclick: click-based annotation of images and videos with the SkipClick model.

The public API, imported on first use (napari imports this package for its manifest, and
``skipclick --help`` must stay fast, so nothing heavy loads here):

* ``create_engine(name, **options)`` and ``ENGINES``, the engine registry;
* ``SkipClickPredictor``, SkipClick on one image as the official demo;
* ``AnnotationSession``, the annotation state of one video in plain Python;
* ``AnnotationStore``, the zarr store that keeps it;
* ``SkipClickDataset``, a torch ``Dataset`` over a store for training.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ENGINES": "engines.registry",
    "create_engine": "engines.registry",
    "SkipClickPredictor": "engines.predictor",
    "AnnotationSession": "session",
    "AnnotationStore": "io.store",
    "SkipClickDataset": "io.dataset",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
