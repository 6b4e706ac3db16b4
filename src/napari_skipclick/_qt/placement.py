"""Where the widget's layers lie in the viewer: over the image layer they annotate, with its
whole transform (scale, translate, rotate, shear and affine), so that a click lands on the
pixel under the pointer and a mask on the pixels it covers."""

from __future__ import annotations

from typing import Any

import numpy as np

#: the image layer's transform parts, and the events that say one changed
PARTS = ("scale", "translate", "rotate", "shear", "affine")


def placement(image_layer: Any, ndim: int) -> dict[str, Any]:
    """The image layer's transform for a layer of ``ndim`` dimensions over its last ones (the
    labels ``(T, H, W)``, the prompts ``(y, x)``); a single image's gets a time axis in front.

    Args:
        image_layer: the napari image layer annotated.
        ndim: the dimensions of the layer to place.

    Returns:
        ``scale``, ``translate``, ``rotate``, ``shear`` and ``affine``, as napari's layers take
        them.
    """
    d = image_layer.ndim
    scale = np.asarray(image_layer.scale, float)
    translate = np.asarray(image_layer.translate, float)
    rotate = np.asarray(image_layer.rotate, float)
    shear = np.eye(d)
    shear[np.triu_indices(d, 1)] = np.asarray(image_layer.shear, float)
    affine = np.asarray(image_layer.affine.affine_matrix, float)
    linear, shift = affine[:d, :d], affine[:d, d]
    if d < ndim:  # a single image under (T, H, W) labels: the time axis as it is
        extra = ndim - d
        scale, translate = np.r_[np.ones(extra), scale], np.r_[np.zeros(extra), translate]
        rotate, shear, linear = (_padded(m, extra) for m in (rotate, shear, linear))
        shift = np.r_[np.zeros(extra), shift]
    else:
        scale, translate, shift = scale[-ndim:], translate[-ndim:], shift[-ndim:]
        rotate, shear, linear = (m[-ndim:, -ndim:] for m in (rotate, shear, linear))
    matrix = np.eye(ndim + 1)
    matrix[:ndim, :ndim], matrix[:ndim, ndim] = linear, shift
    return {
        "scale": scale,
        "translate": translate,
        "rotate": rotate,
        "shear": shear[np.triu_indices(ndim, 1)],
        "affine": matrix,
    }


def _padded(matrix: np.ndarray, extra: int) -> np.ndarray:
    """``matrix`` with ``extra`` identity dimensions in front."""
    n = matrix.shape[0] + extra
    out = np.eye(n)
    out[extra:, extra:] = matrix
    return out


def place(layer: Any, image_layer: Any, ndim: int) -> None:
    """Put ``layer`` (of ``ndim`` dimensions) over ``image_layer``: its whole transform."""
    for part, value in placement(image_layer, ndim).items():
        setattr(layer, part, value)
