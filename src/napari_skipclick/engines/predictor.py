"""SkipClick on one image, as the official demo: ``set_image`` once, ``predict`` per click."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import Features
from .registry import create_engine
from .skipclick import SkipClickEngine


class SkipClickPredictor:
    """The one-image API over a :class:`SkipClickEngine` (``segment-anything``'s shape).

    With the default engine options it equals the official demo: the image is resized to
    448×448 whatever the checkpoint's ``img_size``, clicks scale by ``448 / H``, the previous
    probabilities go in resized like the image, the sigmoid comes before the resize back.

    Example:
        >>> predictor = SkipClickPredictor.from_checkpoint("skipclick", device="cpu")
        >>> predictor.set_image(image)                     # uint8 (H, W, 3) RGB
        >>> probs = predictor.predict([(120, 200, True)])  # (y, x, positive), original pixels
        >>> probs = predictor.predict([(120, 200, True), (80, 40, False)], prev_mask=probs)
    """

    def __init__(self, engine: SkipClickEngine) -> None:
        self.engine = engine
        self.features: Features | None = None

    @classmethod
    def from_checkpoint(
        cls, checkpoint: str | Path = "skipclick", **options: Any
    ) -> SkipClickPredictor:
        """Load ``checkpoint`` (a ``.pth`` file or a released name) with the ``skipclick``
        engine's registry ``options`` (``device``, ``precision``, ``input_size``, ...)."""
        return cls(create_engine("skipclick", checkpoint=checkpoint, **options))

    @property
    def original_size(self) -> tuple[int, int] | None:
        """``(H, W)`` of the image given to :meth:`set_image`, None before."""
        return None if self.features is None else tuple(self.features.image_shape)

    def set_image(self, image: np.ndarray) -> None:
        """Encode a uint8 ``(H, W, 3)`` RGB image (the expensive step, once per image)."""
        self.features = self.engine.encode(image)

    def predict(
        self, clicks: Sequence[Sequence[float]], prev_mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Float32 probabilities ``(H, W)`` for clicks ``(y, x, positive)`` in image pixels.

        ``prev_mask`` is the previous prediction (None: zeros), as the demo feeds it back.
        Raises ``RuntimeError`` before :meth:`set_image` and ``ValueError`` for a click outside
        the image or a ``prev_mask`` of another shape.
        """
        if self.features is None:
            raise RuntimeError("call set_image before predict")
        return self.engine.decode(self.features, clicks, prev_mask)
