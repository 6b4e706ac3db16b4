"""A thin object that moves with its surroundings moves with their affine map (a camera's pan,
zoom and roll), not with its whole-pixel shift; a frame the motion carries it onto that way is
no doubt about its track."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import SimilarityTransform, warp

from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.flow_fields import MIN_AFFINE_PIXELS, affine
from napari_skipclick.session.motion import MotionSettings, estimate_motion, source_points
from napari_skipclick.session.thin_parts import ThinSettings
from napari_skipclick.types import FrameStatus
from support.engines import FloodEngine
from support.scenes import grey_rgb, iou, panned_frames

SHAPE = (96, 128)


def _texture(seed: int, sigma: float = 1.5) -> np.ndarray:
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).normal(0, 1, SHAPE), sigma)
    return 150 + 50 * noise / noise.std()


def test_the_affine_map_fits_a_zoom_and_leaves_out_what_moves_on_its_own():
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]].astype(np.float64)
    # backward flow of a zoom by 2 % about (48, 64) and a pan of (0.45, 1.3) px
    camera = np.stack([(48 - rows) * 0.02 / 1.02 - 0.45, (64 - cols) * 0.02 / 1.02 - 1.3])
    dense = camera.copy()
    dense[:, 10:40, 10:40] += 3.0  # a player running across it
    fitted = affine(dense.astype(np.float32), np.ones(SHAPE, bool))
    np.testing.assert_allclose(fitted, camera, atol=1e-3)
    few = np.zeros(SHAPE, bool)
    few.flat[: MIN_AFFINE_PIXELS - 1] = True
    assert affine(dense.astype(np.float32), few) is None


def _zoomed_ski() -> tuple[np.ndarray, np.ndarray, np.ndarray, SimilarityTransform]:
    """A dark ski two pixels wide on plain snow amid texture, and the frame after a camera
    zoomed in by 1.5 % and panned (0.45, 1.3) px: both frames, the ski's mask and the map."""
    scene = _texture(5)
    scene[30:66, 34:94] = 225.0
    scene[47:49, 44:84] = 40.0
    mask = np.zeros(SHAPE, bool)
    mask[47:49, 44:84] = True
    about = SimilarityTransform(translation=(-64.0, -48.0))
    move = SimilarityTransform(scale=1.015, translation=(64.0 + 1.3, 48.0 + 0.45))
    camera = SimilarityTransform(move.params @ about.params)  # (x, y) of frame 0 -> frame 1
    after = warp(scene, camera.inverse, order=1, mode="edge", preserve_range=True)
    return grey_rgb(scene), grey_rgb(after), mask, camera


def _source_error(surroundings: bool) -> tuple[bool, np.ndarray]:
    """Whether the motion moved the zoomed ski with its surroundings' map, and how far (rows,
    columns) the pixels of its new mask are said to come from where they came from."""
    before, after, mask, camera = _zoomed_ski()
    motion = estimate_motion(before, after, mask, MotionSettings(), surroundings=surroundings)
    y0, y1, x0, x1 = motion.box
    moved = warp(mask.astype(float), camera.inverse, order=1) > 0.5
    rows, cols = np.nonzero(moved[y0:y1, x0:x1])
    said = source_points(motion)[:, rows, cols]
    points = np.stack([cols + x0, rows + y0, np.ones_like(cols)]).astype(float)
    truth = (np.linalg.inv(camera.params) @ points)[1::-1]
    return motion.camera, np.abs(said - truth)


def test_a_ski_moves_with_the_camera_that_zooms_and_pans_over_it():
    camera, error = _source_error(surroundings=True)
    assert camera
    assert error.max() < 0.05
    # its own shift is whole pixels: 0.45 px off in rows on every step
    camera, error = _source_error(surroundings=False)
    assert not camera
    assert error[0].mean() > 0.3


def test_an_object_that_moves_on_its_own_keeps_its_shift():
    """A textured patch moves 1 px, the ground under it 0.3 px (too close to tell apart as
    background): its shift explains its pixels better than the ground's map."""
    scene, own = _texture(5), _texture(6, 1.0)
    patch = np.zeros(SHAPE, bool)
    patch[40:56, 50:70] = True
    moved = ndimage.shift(patch, (0, 1), order=0)
    ground = ndimage.shift(scene, (0, 0.3), order=1, mode="nearest")
    after = np.where(moved, ndimage.shift(own, (0, 1), order=0), ground)
    before = grey_rgb(np.where(patch, own, scene))
    motion = estimate_motion(before, grey_rgb(after), patch, MotionSettings(), surroundings=True)
    assert motion.background is None and not motion.camera
    np.testing.assert_allclose(motion.shift, (0, 1))


def test_a_ski_the_engine_never_takes_goes_on_while_the_camera_carries_it():
    """The engine floods the snow on every frame, so the motion carries the ski: each frame
    asks for review, but the camera's map, which the snow around it shows, says where it is,
    so the track is in no doubt and goes on past ``max_review_run`` frames."""
    frames, masks = panned_frames(12, 0.4)
    session = AnnotationSession(frames, FloodEngine())
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(masks[0], obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    settings = PropagationSettings(thin=ThinSettings(width=0), max_review_run=4)
    steps = list(session.propagate([obj], 0, n_frames=11, settings=settings))
    # before: stopped on frame 4, "its track was in doubt on 4 frames in a row"
    assert [step.frame for step in steps] == list(range(1, 12))
    assert not any(step.stopped for step in steps)
    assert all("the motion carried it" in step.reason for step in steps)
    carried = session.labels.read(11) == obj
    moved = np.nonzero(carried)[1].mean() - np.nonzero(masks[0])[1].mean()
    assert moved == pytest.approx(4.4, abs=0.6)  # the camera panned 4.4 px
    assert iou(carried, masks[11]) > 0.6
