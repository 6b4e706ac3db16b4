"""An object keeps its course: the shift a step measured is what the next step expects."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.motion import MotionSettings, estimate_motion, warp_mask
from napari_skipclick.session.motion_chain import Chain
from napari_skipclick.session.object_shift import best_shift
from napari_skipclick.session.track import KEPT_CHAINS
from napari_skipclick.types import FrameStatus
from support.scenes import iou


def textured_bar() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Before, after (the bar moved 2 px down and right) and the bar's mask on before."""
    rng = np.random.default_rng(1)
    background = rng.random((90, 120)).astype(np.float32)
    bar = 0.3 * rng.random((30, 8)).astype(np.float32)
    before, after = background.copy(), background.copy()
    before[30:60, 40:48] = bar
    after[32:62, 42:50] = bar
    mask = np.zeros((90, 120), bool)
    mask[30:60, 40:48] = True
    return before, after, mask


def test_a_shift_off_the_crop_does_not_match_the_crop_edge():
    rng = np.random.default_rng(2)
    before = (0.5 + 0.5 * rng.random((90, 120))).astype(np.float32)
    after = before.copy()
    before[30:60, 100:108] = 0.1  # a plain dark bar near the crop's right edge
    after[30:60, 102:110] = 0.1 + 0.02 * rng.random((30, 8))  # moved 2 px right, noisy
    after[:, -1] = 0.1  # the edge column is as dark as the bar
    mask = np.zeros((90, 120), bool)
    mask[30:60, 100:108] = True
    # the dense flow points 30 px to the right, off the crop: read at the edge, it would match
    dense = np.zeros((2, 90, 120), np.float32)
    dense[1] = -30.0
    assert best_shift(before, after, mask, dense) == pytest.approx((0, 2), abs=0.5)


def test_a_plain_object_keeps_its_course():
    # a mask on plain snow that stays plain: every shift explains the frame as well
    plain = np.full((120, 160, 3), 220, np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[60:64, 50:100] = True
    course = np.array([1.0, -6.0])
    motion = estimate_motion(plain, plain, mask, MotionSettings(), course=course)
    assert motion.shift == pytest.approx(course, abs=0.5)
    moved = warp_mask(mask, motion) > 0.5
    assert iou(moved, np.roll(mask, (1, -6), axis=(0, 1))) > 0.9


def test_a_plain_object_leaving_the_picture_keeps_its_course_out_of_it():
    # a ski on plain snow at the bottom edge, going 3 rows a frame down: half of it leaves the
    # picture. Before, the pixels a shift moved beyond the picture counted as mismatched, so
    # the ski stayed where it was (or climbed a row) and lingered at the edge for frames
    plain = np.full((120, 160, 3), 220, np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[114:, 50:100] = True
    course = np.array([3.0, 0.0])
    motion = estimate_motion(plain, plain, mask, MotionSettings(), course=course)
    assert motion.shift == pytest.approx(course, abs=0.5)
    moved = warp_mask(mask, motion) > 0.5
    assert moved[117:, 50:100].all() and not moved[:117].any()


def test_what_the_object_shows_beats_its_course():
    before, after, mask = textured_bar()
    dense = np.zeros((2, 90, 120), np.float32)
    assert best_shift(before, after, mask, dense, np.array([0.0, -8.0])) == pytest.approx(
        (2, 2), abs=0.5
    )


def test_an_object_unseen_on_a_frame_goes_on_its_way():
    """A dark bar moves 4 px left per frame on plain snow; on frame 4 nothing shows it (a
    flash of light): its mask there moves on with the bar's course, not stays behind."""
    n = 6
    frames = np.full((n, 100, 200, 3), 220, np.uint8)

    def bar(t: int) -> np.ndarray:
        out = np.zeros((100, 200), bool)
        out[50:54, 110 - 4 * t : 160 - 4 * t] = True
        return out

    for t in range(n):
        if t != 4:
            frames[t][bar(t)] = (60, 60, 70)
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object("object", "skis").id
    session.labels.set_frame(0, np.where(bar(0), obj, 0).astype(np.uint32))
    session.set_status(0, FrameStatus.REVIEWED)
    steps = list(session.propagate([obj], 0, n_frames=4))
    assert [s.stopped for s in steps] == [False] * 4
    for t in range(1, 4):
        assert iou(session.labels[t] == obj, bar(t)) > 0.8
    unseen = session.labels[4] == obj
    columns = np.flatnonzero(unseen.any(axis=0))
    assert columns.size and abs(columns.mean() - np.flatnonzero(bar(4).any(axis=0)).mean()) <= 2


def test_the_course_holds_from_one_run_to_the_next():
    """Propagating one frame at a time, correcting in between, keeps the course too."""
    frames = np.full((4, 100, 200, 3), 220, np.uint8)
    bar = np.zeros((4, 100, 200), bool)
    for t in range(4):
        bar[t, 50:54, 110 - 4 * t : 160 - 4 * t] = True
        if t != 2:
            frames[t][bar[t]] = (60, 60, 70)
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object("object", "skis").id
    session.labels.set_frame(0, np.where(bar[0], obj, 0).astype(np.uint32))
    assert session.courses.expected(0, obj, 1) is None
    list(session.propagate([obj], 0, n_frames=1))
    assert session.courses.expected(1, obj, 1) == pytest.approx((0, -4), abs=0.5)
    assert session.courses.expected(1, obj, -1) == pytest.approx((0, 4), abs=0.5)
    list(session.propagate([obj], 1, n_frames=1))  # frame 2 shows nothing: the course holds
    columns = np.flatnonzero((session.labels[2] == obj).any(axis=0))
    assert columns.size and abs(columns.mean() - np.flatnonzero(bar[2].any(axis=0)).mean()) <= 2


def test_a_deleted_object_leaves_no_course():
    """Deleting an object drops its courses and its chain; other objects keep theirs, a chain
    only for the frame it carried the object onto, edited to a mask changed since within its
    box, none for one changed beyond it."""
    frames = np.full((2, 60, 120, 3), 220, np.uint8)
    session = AnnotationSession(frames, create_engine("embedded"))
    kept, deleted = session.add_object().id, session.add_object().id
    mask = np.zeros((60, 120), bool)
    mask[20:22, 30:60] = True
    chain = Chain(mask.astype(np.float32), (10, 40, 20, 80), np.mgrid[10:40, 20:80] * 1.0)
    for obj in (kept, deleted):
        session.courses.remember(1, obj, 1, np.array([0.0, -4.0]))
        session.courses.remember_chain(1, obj, chain, mask)
    session.delete_object(deleted)
    assert session.courses.expected(1, deleted, 1) is None
    assert session.courses.chain(1, deleted, mask) is None
    assert session.courses.expected(1, kept, 1) == pytest.approx((0, -4))
    assert session.courses.chain(1, kept, mask) is chain
    assert session.courses.chain(0, kept, mask) is None
    moved = np.roll(mask, 1, axis=1)
    np.testing.assert_array_equal(session.courses.chain(1, kept, moved).pixels, moved)
    moved[50, 100] = True  # beyond the chain's box
    assert session.courses.chain(1, kept, moved) is None


def test_the_chains_of_the_last_frames_an_object_was_carried_onto_are_kept():
    frames = np.full((2, 60, 120, 3), 220, np.uint8)
    courses = AnnotationSession(frames, create_engine("embedded")).courses
    mask = np.zeros((60, 120), bool)
    mask[20:22, 30:60] = True
    chain = Chain(mask.astype(np.float32), (0, 60, 0, 120), np.mgrid[0:60, 0:120] * 1.0)
    for t in range(KEPT_CHAINS + 1):
        courses.remember_chain(t, 1, chain, mask)
    assert courses.chain(0, 1, mask) is None  # the oldest beyond the limit
    assert all(courses.chain(t, 1, mask) is chain for t in range(1, KEPT_CHAINS + 1))
    courses.remember_chain(5, 1, None, mask)  # the engine's answer taken there
    assert courses.chain(5, 1, mask) is None and courses.chain(6, 1, mask) is chain
