"""SkipClick under the paper's NoC protocol: whole image resized to T, horizontal-flip averaging."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engines.base import Features, check_clicks, check_image
from ..types import Click


class SkipClickNocEngine:
    """Presents SkipClick's official NoC predictor through the engine protocol.

    The predictor (``napari_skipclick.model.NoCPredictor``) keeps the previous probabilities
    itself, as the official one does; the NoC loop passes the same map as ``prev_mask``, so the
    argument is not needed and is ignored here.
    """

    name = "skipclick"

    def __init__(self, predictor: Any, key: str) -> None:
        self.predictor = predictor
        self._key = key

    @classmethod
    def from_checkpoint(
        cls,
        checkpoint: str | Path,
        target_size: tuple[int, int] = (448, 448),
        with_flip: bool = True,
        device: str | None = None,
        **options: Any,
    ) -> SkipClickNocEngine:
        """Load a checkpoint (path or registry name) through the ``skipclick`` engine; ``options``
        go to that engine (e.g. ``backbone_arch``)."""
        from ..engines import create_engine

        engine = create_engine("skipclick", checkpoint=str(checkpoint), device=device, **options)
        predictor = engine.noc_predictor(target_size=tuple(target_size), with_flip=with_flip)
        height, width = target_size
        return cls(predictor, f"{engine.key}/noc/{height}x{width}/flip={int(with_flip)}")

    @property
    def key(self) -> str:
        """The SkipClick engine key plus the NoC input size and flip setting."""
        return self._key

    def encode(self, image: np.ndarray) -> Features:
        """Encode the image (and its mirror) at the NoC input size; resets the previous mask."""
        image = check_image(image)
        self.predictor.set_image(image)
        return Features(image_shape=image.shape[:2])

    def decode(
        self,
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probabilities after all ``clicks`` so far, for the image given to the last ``encode``."""
        clicks = check_clicks(clicks, features.image_shape)
        return np.asarray(self.predictor.predict(clicks), dtype=np.float32)
