"""Click disks: the sparse patches the click embedding reads against the dense disk maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_skipclick.model.decoder import disk_maps, disk_patches


def _points(rng: np.random.Generator, batch: int, per_sign: int, height: int, width: int):
    """Random ``(B, 2M, 3)`` points, some beyond the picture's edge, some padding (-1)."""
    ys = rng.uniform(-8, height + 8, (batch, 2 * per_sign))
    xs = rng.uniform(-8, width + 8, (batch, 2 * per_sign))
    order = rng.integers(0, 20, (batch, 2 * per_sign))
    points = np.stack([ys, xs, order], axis=-1).astype(np.float32)
    points[rng.random((batch, 2 * per_sign)) < 0.3] = -1.0
    return torch.from_numpy(points)


@pytest.mark.parametrize("seed", range(6))
def test_disk_patches_are_the_nonzero_cells_of_the_dense_maps(seed):
    rng = np.random.default_rng(seed)
    height, width, patch, radius = int(rng.integers(30, 200)), int(rng.integers(30, 200)), 14, 5.0
    points = _points(rng, int(rng.integers(1, 3)), int(rng.integers(1, 8)), height, width)
    dense = disk_maps(points, height, width, radius)  # (B, 2, H, W)
    grid_h, grid_w = height // patch, width // patch
    cells = dense[:, :, : grid_h * patch, : grid_w * patch].reshape(
        dense.shape[0], 2, grid_h, patch, grid_w, patch
    )
    cells = cells.permute(0, 2, 4, 1, 3, 5).reshape(-1, 2 * patch * patch)  # (B*grid, 2*p*p)
    expected = torch.nonzero(cells.any(dim=1)).flatten()
    index, pixels = disk_patches(points, height, width, radius, patch)
    assert index.dtype == torch.long and pixels.dtype == torch.float32
    assert torch.equal(index, expected)
    assert torch.equal(pixels, cells[expected])


def test_a_disk_is_the_pixels_within_the_radius_and_padding_draws_nothing():
    points = torch.tensor([[[10.0, 12.0, 0.0], [-1.0, -1.0, -1.0]]])  # one positive, no negative
    dense = disk_maps(points, 28, 28, 3.0)
    rows, cols = np.mgrid[:28, :28]
    inside = (rows - 10.0) ** 2 + (cols - 12.0) ** 2 <= 9.0
    assert np.array_equal(dense[0, 0].numpy().astype(bool), inside)
    assert not dense[0, 1].any()
    index, pixels = disk_patches(points, 28, 28, 3.0, 14)
    assert index.tolist() == [0, 1]  # the disk crosses from the first cell into the second
    assert pixels.sum() == inside.sum()
