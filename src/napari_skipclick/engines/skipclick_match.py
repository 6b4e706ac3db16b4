"""SkipClick's object hint for propagation: DINO-style label propagation on cached patch maps.

Each patch of the new frame takes the object share of the ``top_k`` most similar patches of
the old frame (cosine similarity of the deepest cached DINOv2 map, softmax with a
``temperature``) within ``radius`` patches of its own place, as in the label propagation of
the DINO paper. It reads only the features both frames already have: no extra encode.
"""

from __future__ import annotations

import numpy as np
import torch

from .base import Features

#: neighbours whose object share each new patch takes
TOP_K = 5
#: softmax temperature over the cosine similarities of those neighbours
TEMPERATURE = 0.1
#: how far (in patches, either axis) a patch may have moved between the two frames
RADIUS = 6


def _patches(features: Features) -> torch.Tensor:
    """The deepest cached map of the unmirrored image, ``(N, D)``, unit length per patch."""
    names = sorted(name for name in features.arrays if name.startswith("skip"))
    if not names:
        raise ValueError("the features hold no DINOv2 map (skip0, skip1, ...)")
    maps = torch.as_tensor(features.arrays[names[-1]])[0].float().cpu()
    return torch.nn.functional.normalize(maps, dim=-1)


def _resize(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    return resize(values, shape, order=1, anti_aliasing=True, preserve_range=True)


def match_object(
    source: Features, target: Features, mask: np.ndarray, grid: tuple[int, int]
) -> np.ndarray | None:
    """Probability ``(H, W)`` that each pixel of the target frame shows the masked object.

    Args:
        source: cached SkipClick features of the frame ``mask`` belongs to.
        target: cached features of the new frame (same engine, same image size).
        mask: boolean ``(H, W)`` object mask on the source frame.
        grid: the patch grid ``(rows, columns)`` the features were computed on.

    Returns:
        float32 probabilities in [0, 1], or None when ``mask`` is empty or the two frames'
        features do not match in size.
    """
    mask = np.asarray(mask, bool)
    if not mask.any() or tuple(source.image_shape) != tuple(target.image_shape):
        return None
    before, after = _patches(source), _patches(target)
    if before.shape != after.shape or before.shape[0] != grid[0] * grid[1]:
        return None
    share = torch.from_numpy(_resize(mask.astype(np.float32), grid).ravel()).float()
    rows, cols = torch.meshgrid(torch.arange(grid[0]), torch.arange(grid[1]), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    near = (rows[:, None] - rows[None, :]).abs().le(RADIUS) & (
        cols[:, None] - cols[None, :]
    ).abs().le(RADIUS)
    similarity = (after @ before.T).masked_fill(~near, -2.0)
    values, index = similarity.topk(min(TOP_K, similarity.shape[1]), dim=1)
    weights = torch.softmax(values / TEMPERATURE, dim=1)
    labels = (weights * share[index]).sum(dim=1).reshape(grid).numpy()
    probabilities = _resize(labels.astype(np.float32), tuple(target.image_shape))
    return np.clip(probabilities, 0.0, 1.0).astype(np.float32)
