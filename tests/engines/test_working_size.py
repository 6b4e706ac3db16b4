"""Engines on a downsized frame: the working grid, clicks and probabilities to it and back."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import resize

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import working_grid
from napari_skipclick.engines.working_size import (
    clicks_on_grid,
    downsized,
    part_on_grid,
    resized,
    working_shape,
)
from napari_skipclick.types import Click


def test_working_shape_downsizes_only_frames_larger_than_max_side():
    assert working_shape((2160, 3840), 1920) == (1080, 1920)
    assert working_shape((3840, 2160), 1920) == (1920, 1080)
    assert working_shape((1520, 2704), 1920) == (1079, 1920)
    assert working_shape((480, 854), 1920) == (480, 854)
    assert working_shape((2160, 3840), 0) == (2160, 3840)
    assert working_shape((2160, 3840), None) == (2160, 3840)


def test_downsized_keeps_dtype_and_range_and_leaves_small_images_alone():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)
    small = downsized(image, 100)
    assert small.shape == (60, 100, 3) and small.dtype == np.uint8
    assert downsized(image, 500) is image


def test_resized_is_bilinear_with_aligned_pixel_centres():
    rng = np.random.default_rng(1)
    values = ndimage.gaussian_filter(rng.random((40, 70)), 2).astype(np.float32)
    values = (values - values.min()) / (values.max() - values.min())
    for shape in [(80, 140), (57, 101), (20, 35)]:
        ours = resized(values, shape)
        expected = resize(values, shape, order=1, mode="edge", anti_aliasing=False)
        assert ours.shape == shape and ours.dtype == np.float32
        np.testing.assert_allclose(ours, np.clip(expected, 0, 1), atol=2e-4)
    assert resized(values * 3 - 1, values.shape).min() == 0.0  # clipped to [0, 1]


def test_clicks_on_grid_keep_their_place_and_stay_inside():
    shape, grid = (2160, 3840), (1080, 1920)
    corner = Click(2159.0, 3839.0, True)
    moved = clicks_on_grid([Click(1000.0, 2000.0, False), corner], shape, grid)
    assert moved[0] == Click(500.0, 1000.0, False)
    assert 0 <= moved[1].y <= grid[0] - 1 and 0 <= moved[1].x <= grid[1] - 1
    assert moved[1].positive


def _disk_scene(shape: tuple[int, int], radius: float) -> tuple[np.ndarray, np.ndarray]:
    """A dark disk on bright, textured snow: the image and the disk's mask."""
    rng = np.random.default_rng(2)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    centre = (shape[0] * 0.45, shape[1] * 0.55)
    disk = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    snow = 215 + 20 * ndimage.gaussian_filter(rng.standard_normal(shape), 3)
    grey = np.where(disk, 60 + 10 * rng.standard_normal(shape), snow)
    image = np.clip(np.stack([grey, grey, grey * 1.02], -1), 0, 255).astype(np.uint8)
    return image, disk


def test_embedded_engine_works_on_a_downsized_frame_and_answers_at_full_size():
    image, disk = _disk_scene((1200, 1800), 160)
    engine = create_engine("embedded", max_side=600)
    features = engine.encode(image)
    assert features.image_shape == (1200, 1800)
    assert features.arrays["labels"].shape == (400, 600)
    centre = np.argwhere(disk).mean(axis=0)
    click = Click(float(centre[0]), float(centre[1]), True)
    first = engine.decode(features, [click], np.zeros(disk.shape, np.float32))
    assert first.shape == disk.shape and first.dtype == np.float32
    mask = first > 0.5
    assert (mask & disk).sum() / (mask | disk).sum() >= 0.9
    # a second click with the first answer as prior; a click on the last pixel is inside
    corner = Click(1199.0, 1799.0, False)
    second = engine.decode(features, [click, corner], first)
    assert second.shape == disk.shape and not second[-1, -1] > 0.5
    assert ((second > 0.5) & disk).sum() / ((second > 0.5) | disk).sum() >= 0.9


def test_embedded_engine_keeps_frames_up_to_max_side_at_full_size():
    image, _ = _disk_scene((240, 427), 40)
    engine = create_engine("embedded")
    assert engine.encode(image).arrays["labels"].shape == (240, 427)
    assert create_engine("embedded", max_side=0).key != engine.key  # cached apart


def test_embedded_engine_refuses_a_max_side_too_small_to_segment():
    with pytest.raises(ValueError, match="max_side must be 0"):
        create_engine("embedded", max_side=10)


def test_working_grid_asks_the_engine_and_parts_scale_with_it():
    embedded = create_engine("embedded", max_side=1920)
    assert working_grid(embedded, (2160, 3840)) == (1080, 1920)
    assert working_grid(create_engine("random-walker", max_side=320), (480, 640)) == (240, 320)

    class Plain:  # an engine that works every frame at its own size
        pass

    assert working_grid(Plain(), (2160, 3840)) == (2160, 3840)
    assert part_on_grid((400, 601), (2160, 3840), (1080, 1920)) == (200, 300)
    assert part_on_grid((1, 1), (2160, 3840), (1080, 1920)) == (1, 1)
