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

from ._lazy import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
