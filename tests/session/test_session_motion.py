"""Motion: flow on a crop, warped masks, and thin objects carried by the session."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import Features
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.mask_measures import expected_agreement
from napari_skipclick.session.motion import MotionSettings, estimate_motion, warp_mask
from napari_skipclick.session.motion_background import background_pixels
from napari_skipclick.session.object_shift import best_shift
from napari_skipclick.session.thin_parts import ThinSettings
from napari_skipclick.types import Click, FrameStatus
from support.scenes import iou, snow
from support.sessions import started_session


def pole_mask(t: int, shape=(120, 160), width: int = 3) -> np.ndarray:
    """A tilted pole 3 px wide that moves 3 px right and 1 px down per frame."""
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    y0, x0 = 30 + t, 40 + 3 * t
    along = (rows - y0) * 0.8 + (cols - x0) * 0.6
    across = -(rows - y0) * 0.6 + (cols - x0) * 0.8
    return (np.abs(across) <= width / 2) & (along >= 0) & (along <= 60)


def pole_video(n_frames: int, pan: int = 0) -> np.ndarray:
    """The pole on snow; the camera pans slowly with it, or the snow slides ``pan`` px left."""
    frames = np.empty((n_frames, 120, 160, 3), np.uint8)
    background = snow(120, 160) if not pan else snow(120, 160 + pan * n_frames, seed=1)
    for t in range(n_frames):
        if pan:
            frames[t] = background[:, pan * t : pan * t + 160]
        else:
            frames[t] = np.roll(background, t, axis=1)
        frames[t][pole_mask(t)] = (35, 35, 45)
    return frames


def test_flow_moves_a_textured_patch():
    image = snow(100, 240, seed=3)
    moved = np.roll(image, (2, 5), axis=(0, 1))  # 2 px down, 5 px right
    mask = np.zeros((100, 240), bool)
    mask[40:60, 40:70] = True
    motion = estimate_motion(image, moved, mask, MotionSettings())
    assert motion is not None and motion.box[0] < 40 and motion.box[3] > 70
    # backward flow: a pixel of the new frame came from 2 px up and 5 px left
    assert np.median(motion.flow, axis=(1, 2)) == pytest.approx((-2, -5), abs=0.5)
    warped = warp_mask(mask, motion) > 0.5
    assert iou(warped, np.roll(mask, (2, 5), axis=(0, 1))) > 0.9
    assert motion.box[3] < 200 and not warped[:, 200:].any()  # nothing moves off the crop
    assert estimate_motion(image, moved, np.zeros_like(mask), MotionSettings()) is None
    with pytest.raises(ValueError):
        MotionSettings(method="farneback")


def panning_scene(t: int, plain: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A textured dark square moving 3 px left per frame before snow panning 4 px right
    (or a plain background and a plain square); returns the frame and the square's mask."""
    ground = snow(120, 260, seed=5)
    frame = np.full((120, 200, 3), 200, np.uint8) if plain else ground[:, 40 - 4 * t : 240 - 4 * t]
    frame = frame.copy()
    mask = np.zeros((120, 200), bool)
    mask[40:80, 100 - 3 * t : 140 - 3 * t] = True
    square = snow(40, 40, seed=6) // 3 if not plain else np.full((40, 40, 3), 60, np.uint8)
    frame[mask] = square.reshape(-1, 3)
    return frame, mask


def test_pixels_that_move_with_the_background_are_found():
    (before, mask), (after, moved) = panning_scene(0), panning_scene(1)
    settings = MotionSettings()
    motion = estimate_motion(before, after, mask, settings)
    assert motion is not None and motion.background is not None
    y0, y1, x0, x1 = motion.box
    marked = np.zeros(mask.shape, bool)
    marked[y0:y1, x0:x1] = motion.background
    ring = ndimage.binary_dilation(moved, iterations=20) & ~ndimage.binary_dilation(
        moved, iterations=8
    )
    inner = ndimage.binary_erosion(moved, iterations=4)
    assert marked[ring].mean() > 0.8  # the snow around the square pans with the camera
    assert marked[inner].mean() < 0.05  # the square moves the other way
    # the same motion without texture: no flow can be measured, nothing is marked
    (plain0, _), (plain1, _) = panning_scene(0, plain=True), panning_scene(1, plain=True)
    plain = estimate_motion(plain0, plain1, mask, settings)
    assert plain is not None and (plain.background is None or not plain.background.any())
    # a still object before a still background: the two cannot be told apart
    assert estimate_motion(before, before, mask, settings).background is None
    off = MotionSettings(separation=0)
    flow = np.zeros((2, 120, 200), np.float32)
    grey = before.mean(axis=2) / 255
    moving = np.array([0.0, 4.0], np.float32)
    textured = np.ones_like(grey, bool)
    assert background_pixels(grey * 0, textured, moving, flow, np.array([0.0, -3.0]), off) is None
    with pytest.raises(ValueError):
        MotionSettings(separation=-1)


def test_a_leak_into_a_panning_background_is_dropped():
    frames, masks = zip(*(panning_scene(t) for t in range(6)), strict=True)
    start = masks[0].copy()
    start[40:80, 140:156] = True  # the accepted mask took on a strip of snow beside the square
    results = {}
    for separation in (0.0, MotionSettings().separation):
        motion = MotionSettings(separation=separation)
        settings = PropagationSettings(motion=motion, max_negative=0)
        session, obj = started_session(np.stack(frames), start, create_engine("embedded"))
        list(session.propagate([obj], 0, settings=settings))
        results[separation] = [iou(session.labels.read(t) == obj, masks[t]) for t in range(1, 6)]
    kept, dropped = results[0.0], results[MotionSettings().separation]
    assert dropped[-1] > 0.85 and dropped == sorted(dropped)  # shed frame by frame
    assert max(kept) < 0.7  # without the rule the strip travels with the square


def streaked_scene(t: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured square that the camera follows (it stays put in the picture) before a
    background of vertical streaks (each column one random grey, give or take 2 levels:
    texture across the pan only, as a pan leaves it, but for a rail every 24 rows) panning
    4 px right; returns the frame and the square's mask."""
    rng = np.random.default_rng(7)
    ground = rng.integers(60, 200, 260)[None, :] + rng.integers(0, 3, (120, 260))
    ground[::24] -= 40  # a rail every 24 rows: the flow can tell the pan is level
    ground = np.repeat(ground[..., None], 3, axis=2).astype(np.uint8)
    frame = ground[:, 40 - 4 * t : 240 - 4 * t].copy()
    mask = np.zeros((120, 200), bool)
    mask[40:80, 80:120] = True
    frame[mask] = (snow(40, 40, seed=6) // 3).reshape(-1, 3)
    return frame, mask


def test_a_streaked_background_that_pans_is_told_by_its_shift():
    (before, mask), (after, moved) = streaked_scene(0), streaked_scene(1)
    motion = estimate_motion(before, after, mask, MotionSettings())
    assert motion is not None and motion.explained is not None
    y0, y1, x0, x1 = motion.box
    explained, flowing = np.zeros(mask.shape, bool), np.zeros(mask.shape, bool)
    explained[y0:y1, x0:x1] = motion.explained
    flowing[y0:y1, x0:x1] = motion.background
    ring = ndimage.binary_dilation(moved, iterations=20) & ~ndimage.binary_dilation(
        moved, iterations=8
    )
    inner = ndimage.binary_erosion(moved, iterations=4)
    # streaks have no texture along them: their flow can be measured only by the rails,
    # their shift tells
    assert flowing[ring].mean() < 0.5
    assert explained[ring].mean() > 0.9
    assert explained[inner].mean() < 0.05  # the square stays
    off = estimate_motion(before, after, mask, MotionSettings(explained_ratio=0))
    assert off.explained is None
    # a plain background's motion is not measured: its flow is nought whatever it does
    (plain0, square), (plain1, _) = panning_scene(0, plain=True), panning_scene(1, plain=True)
    assert estimate_motion(plain0, plain1, square, MotionSettings()).explained is None
    with pytest.raises(ValueError):
        MotionSettings(explained_ratio=1.5)


class _CreepingEngine:
    """Answers every decode with the prior grown by 2 px: an engine (with the colours) that
    puts the boundary a little out, frame after frame."""

    name = key = "creeping-test"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        grown = ndimage.binary_dilation(np.asarray(prev_mask) > 0.5, iterations=2)
        return np.where(grown, 0.9, 0.05).astype(np.float32)


def test_a_mask_does_not_creep_into_a_streaked_background_that_pans():
    frames, masks = zip(*(streaked_scene(t) for t in range(6)), strict=True)
    covered = np.ones(masks[0].shape, bool)  # beyond 3 px of the square, except on its right,
    covered[37:83, 77:] = False  # where the pan uncovers what was behind it
    results = {}
    for ratio in (0.0, MotionSettings().explained_ratio):
        settings = PropagationSettings(
            motion=MotionSettings(explained_ratio=ratio), engine_weight=1.0, colour_weight=0
        )
        session, obj = started_session(np.stack(frames), masks[0], _CreepingEngine())
        list(session.propagate([obj], 0, settings=settings))
        results[ratio] = [session.labels.read(t) == obj for t in range(1, 6)]
    crept, kept = results[0.0], results[MotionSettings().explained_ratio]
    # where the background's shift explains the streaks, the ring the engine adds stays out
    assert not any((mask & covered).any() for mask in kept)
    assert max(int((mask & covered).sum()) for mask in crept) > 25
    # where the pan uncovers streaks (nothing explains them yet), the ring creeps slower
    assert all(k.sum() <= c.sum() for k, c in zip(kept, crept, strict=True))
    assert kept[-1].sum() < crept[-1].sum() - 150
    assert iou(kept[-1], masks[5]) > iou(crept[-1], masks[5]) + 0.05


def test_expected_agreement_judges_a_thin_object_by_its_size():
    body = np.zeros((200, 200), bool)
    body[40:160, 60:140] = True
    ski = np.zeros((200, 200), bool)
    ski[100:103, 20:180] = True
    assert expected_agreement(body, 1.5) > 0.85
    assert expected_agreement(ski, 1.5) < 0.3
    assert expected_agreement(np.zeros((5, 5), bool), 1.5) == 0.0


@pytest.mark.slow
def test_a_moving_thin_pole_is_kept_for_ten_frames_with_the_embedded_engine():
    frames = pole_video(11)
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object("object", "pole").id
    session.labels.set_frame(0, np.where(pole_mask(0), obj, 0).astype(np.uint32))
    session.set_status(0, FrameStatus.REVIEWED)
    steps = list(session.propagate([obj], 0, n_frames=10))
    assert [s.frame for s in steps] == list(range(1, 11))
    assert not any(s.stopped for s in steps)
    ious = [iou(session.labels[t] == obj, pole_mask(t)) for t in range(1, 11)]
    assert min(ious) >= 0.5, ious
    # the frame's clicks are the derived ones: most positives on the pole, negatives off it
    clicks = session.clicks(10, obj)
    near = ndimage.binary_dilation(pole_mask(10), iterations=2)
    on_pole = [near[round(c.y), round(c.x)] for c in clicks if c.positive]
    assert sum(on_pole) >= 2 and sum(on_pole) > len(on_pole) / 2
    assert not any(pole_mask(10)[round(c.y), round(c.x)] for c in clicks if not c.positive)


@pytest.mark.slow
def test_a_thin_pole_against_a_background_sliding_the_other_way_is_kept():
    # the pole moves 3 px right while the snow behind it slides 5 px left per frame: a flow
    # smoothed over the pole's surroundings drags it along with the snow
    frames = pole_video(11, pan=5)
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object("object", "pole").id
    session.labels.set_frame(0, np.where(pole_mask(0), obj, 0).astype(np.uint32))
    session.set_status(0, FrameStatus.REVIEWED)
    steps = list(session.propagate([obj], 0, n_frames=10))
    assert all(s.ok for s in steps) and len(steps) == 10
    ious = [iou(session.labels[t] == obj, pole_mask(t)) for t in range(1, 11)]
    assert min(ious) >= 0.8, ious


def test_the_object_shift_ignores_the_background_and_a_passing_occluder():
    rng = np.random.default_rng(1)
    background = rng.random((90, 120)).astype(np.float32)
    bar = 0.3 * rng.random((30, 8)).astype(np.float32)  # a dark textured thin bar
    before, after = background.copy(), np.roll(background, -6, axis=1)  # snow slides left
    before[30:60, 40:48] = bar
    after[32:62, 42:50] = bar  # the bar moves 2 px down and right
    mask = before < 0  # the bar's mask
    mask[30:60, 40:48] = True
    shift = best_shift(before, after, mask, np.zeros((2, 90, 120), np.float32))
    assert shift == pytest.approx((2, 2), abs=0.5)
    # a uniform occluder covering a third of the bar does not pull the shift along
    after[32:42, 30:60] = 0.5
    shift = best_shift(before, after, mask, np.zeros((2, 90, 120), np.float32))
    assert shift == pytest.approx((2, 2), abs=0.5)


class MatchingEngine:
    """A test engine that offers ``match_object``: it knows where the object went."""

    name = "matching-test"
    key = "matching-test"

    def __init__(self, truth):
        self.truth = truth
        self.matches = []

    def encode(self, image):
        t = int(image[0, 0, 0])
        return Features(image.shape[:2], {"t": t})

    def decode(self, features, clicks, prev_mask=None):
        return np.where(self.truth(features.arrays["t"]), 0.9, 0.05).astype(np.float32)

    def match_object(self, source, target, mask):
        self.matches.append((source.arrays["t"], target.arrays["t"], int(mask.sum())))
        return self.truth(target.arrays["t"]).astype(np.float32)


def test_an_engine_hint_is_used_when_the_engine_offers_one():
    frames = pole_video(4)
    frames[:, 0, 0] = np.arange(4)[:, None]  # the test engine reads the frame index here
    engine = MatchingEngine(pole_mask)
    session = AnnotationSession(frames, engine)
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(40, 50, True)])
    # thin parts followed on their own would add the snow's dark specks at the pole's ends
    settings = PropagationSettings(max_negative=0, thin=ThinSettings(width=0))
    steps = list(session.propagate([obj], 0, settings=settings))
    assert [s.frame for s in steps] == [1, 2, 3] and all(s.ok for s in steps)
    assert [m[:2] for m in engine.matches] == [(0, 1), (1, 2), (2, 3)]
    assert all(iou(session.labels[t] == obj, pole_mask(t)) == 1.0 for t in range(4))


def zoomed(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` seen by a camera that zoomed by ``scale`` about its centre (bilinear)."""
    from skimage.transform import SimilarityTransform, warp

    centre = np.array(image.shape[1::-1], float) / 2  # x, y
    inverse = SimilarityTransform(scale=1 / scale, translation=centre * (1 - 1 / scale))
    return warp(image, inverse, order=1, preserve_range=True).astype(np.uint8)


def test_motion_measures_how_much_an_object_grows_or_shrinks():
    image = snow(120, 200, seed=3)
    mask = np.zeros((120, 200), bool)
    mask[40:80, 70:130] = True
    for scale in (0.99, 1.0, 1.02):
        motion = estimate_motion(image, zoomed(image, scale), mask, MotionSettings())
        assert motion.scale == pytest.approx(scale, abs=0.003)
    shifted = estimate_motion(image, np.roll(image, (2, 5), axis=(0, 1)), mask, MotionSettings())
    assert shifted.scale == pytest.approx(1.0, abs=0.003)
    # an object on plain ground has nothing to measure its scale by
    plain = np.full((120, 200, 3), 200, np.uint8)
    assert estimate_motion(plain, plain, mask, MotionSettings()).scale is None
    assert estimate_motion(image, image, mask, MotionSettings(shrink=0)).scale is None
    with pytest.raises(ValueError):
        MotionSettings(shrink=1.0)


def test_the_camera_zoom_is_measured_on_the_surroundings_which_a_leak_does_not_sway():
    image = snow(120, 200, seed=3)
    pole = np.zeros((120, 200), bool)
    pole[58:62, 50:150] = True
    image[pole] = (40, 40, 40)
    for scale in (0.99, 1.02):
        motion = estimate_motion(image, zoomed(image, scale), pole, MotionSettings())
        assert motion.zoom == pytest.approx(scale, abs=0.005)
    # something dark joins the pole along its upper edge: the pole's own flow reads it as a
    # change of size, its surroundings do not
    joined = image.copy()
    joined[55:58, 60:140] = (40, 40, 40)
    motion = estimate_motion(image, joined, pole, MotionSettings())
    assert motion.zoom == pytest.approx(1.0, abs=0.005)
    assert abs(motion.scale - 1.0) > 3 * abs(motion.zoom - 1.0)
    plain = np.full((120, 200, 3), 200, np.uint8)
    assert estimate_motion(plain, plain, pole, MotionSettings()).zoom is None


def test_only_an_object_that_shrinks_with_its_surroundings_shrinks():
    image = snow(120, 200, seed=3)
    mask = np.zeros((120, 200), bool)
    mask[40:80, 70:130] = True
    motion = estimate_motion(image, zoomed(image, 0.99), mask, MotionSettings())
    assert motion.background is None  # the snow zooms with it
    assert motion.shrinks(0.005) and not motion.shrinks(0.02) and not motion.shrinks(0)
    grows = estimate_motion(image, zoomed(image, 1.01), mask, MotionSettings())
    assert not grows.shrinks(0.005)
    # against a background that moves otherwise its rim is its own: tracked, it stays
    against = replace(motion, background=np.zeros_like(motion.tracked))
    assert not against.shrinks(0.005)
