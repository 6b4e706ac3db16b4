"""Engines that work on a downsized frame: the working grid and the way to it and back.

A frame larger than an engine's ``max_side`` (its longer side, in pixels) is encoded downsized
to that side; clicks and the previous mask go to the downsized grid, and the probabilities come
back to the frame's size (bilinear). The random walker and the embedded engine share these.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import numpy as np

from ..types import Click


def working_shape(shape: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """The grid a frame of ``shape`` is worked on: downsized so that its longer side is at most
    ``max_side`` (None or 0: the frame's own shape)."""
    height, width = int(shape[0]), int(shape[1])
    if not max_side or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def part_on_grid(
    part: tuple[int, int], shape: tuple[int, int], grid: tuple[int, int]
) -> tuple[int, int]:
    """The size on ``grid`` of a part (a crop) of ``part`` pixels of a frame of ``shape``."""
    return (
        max(1, round(part[0] * grid[0] / shape[0])),
        max(1, round(part[1] * grid[1] / shape[1])),
    )


def downsized(image: np.ndarray, max_side: int | None) -> np.ndarray:
    """``image`` (``(H, W)`` or ``(H, W, C)``) on its working grid (``image_on_grid``)."""
    return image_on_grid(image, working_shape(image.shape[:2], max_side))


def image_on_grid(image: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """``image`` (``(H, W)`` or ``(H, W, C)``) resized to ``grid`` (anti-aliased, bilinear), in
    its own dtype; the image itself when it is that size already."""
    if tuple(grid) == image.shape[:2]:
        return image
    # torch, which ``resized`` uses, takes a second or two to import: here, in the encode
    # (background work), rather than in the first click's decode
    importlib.import_module("torch")
    from skimage.transform import resize

    out = resize(image, tuple(grid), order=1, anti_aliasing=True, preserve_range=True)
    if np.issubdtype(image.dtype, np.integer):
        out = np.clip(np.rint(out), 0, np.iinfo(image.dtype).max)
    return out.astype(image.dtype)


def clicks_on_grid(
    clicks: Sequence[Click], shape: tuple[int, int], grid: tuple[int, int]
) -> list[Click]:
    """``clicks`` in pixels of a frame of ``shape`` moved to the same places on ``grid``."""
    if tuple(grid) == tuple(shape):
        return list(clicks)
    sy, sx = grid[0] / shape[0], grid[1] / shape[1]
    return [
        Click(min(c.y * sy, grid[0] - 1), min(c.x * sx, grid[1] - 1), c.positive) for c in clicks
    ]


def resized(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Probabilities (or a prior, ``(h, w)``) resized to ``shape``, clipped to [0, 1], float32:
    bilinear with pixel centres aligned and the edge pixels repeated beyond the ends (as
    ``skimage.transform.resize`` with ``order=1, mode="edge"``). torch's ``interpolate`` does
    it in about 25 ms for a 4K frame, a third of the time of NumPy gathers."""
    values = np.asarray(values, np.float32)
    if values.shape != tuple(shape):
        import torch

        grid = torch.from_numpy(np.ascontiguousarray(values))[None, None]
        out = torch.nn.functional.interpolate(
            grid, size=tuple(int(n) for n in shape), mode="bilinear", align_corners=False
        )
        values = out[0, 0].numpy()
    return np.clip(values, 0.0, 1.0)
