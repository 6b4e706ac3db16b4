"""Input checks shared by the model and the engines (numpy only)."""

from __future__ import annotations

import numpy as np


def check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as contiguous uint8 ``(H, W, 3)`` or raise a clear ``ValueError``."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image has no pixels: shape {image.shape}")
    return np.ascontiguousarray(image)
