"""Zoom-in refinement: decode in a crop around the object so small objects get fine masks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..checks import in_crop
from ..engines.base import Engine, working_grid
from ..engines.cache import FeatureCache
from ..engines.embedded_zoom import zoom_box as crop_box
from ..engines.working_size import clicks_on_grid, image_on_grid, part_on_grid, resized
from ..types import Click

#: the crop is the object's box (mask ∪ positive clicks) grown by this factor per side length
EXPANSION = 1.4
#: smallest crop side in pixels (less when the image is smaller)
MIN_SIZE = 200


def zoom_box(
    mask: np.ndarray,
    clicks: Sequence[Click],
    expansion: float = EXPANSION,
    min_size: int = MIN_SIZE,
    grid: tuple[int, int] | None = None,
) -> tuple[int, int, int, int]:
    """Crop (y0, y1, x0, x1) around ``mask`` and the clicks, with context, inside the image
    (the rule of ``engines.embedded_zoom.zoom_box``, with the widget's defaults). ``grid``:
    the engine's working grid of the frame (``working_grid``), on which the smallest crop is
    ``min_size`` pixels, so that a downsized frame's crop holds as much context."""
    if grid is not None:
        min_size = round(min_size * max(mask.shape[0] / grid[0], mask.shape[1] / grid[1]))
    return crop_box(mask, clicks, expansion, min_size)


def crop_key(frame_key: str, box: tuple[int, int, int, int]) -> str:
    """Cache key of the features of a crop of the frame with content key ``frame_key``."""
    return f"{frame_key}:crop:{box[0]},{box[1]},{box[2]},{box[3]}"


def decode_in_crop(
    engine: Engine,
    cache: FeatureCache,
    frame_key: str,
    image: np.ndarray,
    box: tuple[int, int, int, int],
    clicks: Sequence[Click],
    prior: np.ndarray | None,
) -> np.ndarray:
    """Encode (cached) the crop ``box`` of ``image``, decode there, and paste into a full frame.

    Clicks are shifted into the crop; negative clicks outside it are left out. An engine that
    works large frames downsized (``working_grid``) gets the crop at the same scale, so that
    its pixel-sized settings see a pole as wide as on the whole frame. Returns float32
    probabilities of the whole frame, zero outside the crop.
    """
    y0, y1, x0, x1 = box
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    shape = crop.shape[:2]
    grid = part_on_grid(shape, image.shape[:2], working_grid(engine, image.shape[:2]))
    features = cache.get_or_compute(crop_key(frame_key, box), engine, image_on_grid(crop, grid))
    shifted = [c for c in (in_crop(click, box) for click in clicks) if c is not None]
    crop_prior = None if prior is None else resized(prior[y0:y1, x0:x1], grid)
    probabilities = np.zeros(image.shape[:2], np.float32)
    crop_probabilities = engine.decode(features, clicks_on_grid(shifted, shape, grid), crop_prior)
    probabilities[y0:y1, x0:x1] = resized(crop_probabilities, shape)
    return probabilities
