"""Filling the frames between two keyframes from both ends (``AnnotationSession.fill``)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.fill import from_both, gaps, keyframes_around, shares
from napari_skipclick.session.propagation_settings import PropagationSettings
from napari_skipclick.types import Click, FrameStatus
from support.engines import BACKGROUND, ColourEngine, moving_squares, red_box


def red_mask(t: int) -> np.ndarray:
    mask = np.zeros((64, 96), bool)
    mask[red_box(t)] = True
    return mask


def keyed_session(ends: tuple[int, ...] = (0, 9), hidden: tuple[int, ...] = ()):
    """The red square clicked on each frame of ``ends`` (keyframes), and painted over with the
    background on the frames of ``hidden``."""
    frames = moving_squares(12)
    for t in hidden:
        frames[t][red_box(t)] = BACKGROUND
    session = AnnotationSession(frames, ColourEngine())
    obj = session.add_object().id
    for t in ends:
        session.set_clicks(t, obj, [Click(25, 15 + 2 * t, True)])
    return session, obj


def test_each_frame_between_is_carried_from_the_nearer_keyframe():
    session, obj = keyed_session()
    steps = list(session.fill([obj], 0, 9))
    # the first half forward from frame 0, the second backward from frame 9
    assert [s.frame for s in steps] == [1, 2, 3, 4, 8, 7, 6, 5]
    assert [s.source_frame for s in steps] == [0, 1, 2, 3, 9, 8, 7, 6]
    assert [(s.done, s.total) for s in steps] == [(k, 8) for k in range(1, 9)]
    for t in range(10):
        np.testing.assert_array_equal(session.labels[t] == obj, red_mask(t))
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in range(1, 9))
    assert session.status(0) == session.status(9) == FrameStatus.CLICKED
    assert not session.labels[10].any()
    # both halves are one undo step
    assert session.history.next_frames() == list(range(1, 9))
    session.undo()
    assert not any(session.labels[t].any() for t in range(1, 9))


def test_an_odd_count_of_frames_gives_the_middle_one_to_the_first_keyframe():
    assert shares(100, 100, 9, 3.0) == (5, 4)
    assert shares(100, 120, 8, 3.0) == (4, 4)
    assert shares(100, 300, 1, 3.0) == (1, 0)
    assert shares(100, 0, 7, 3.0) == (7, 0)
    assert shares(0, 100, 7, 3.0) == (0, 7)
    assert shares(0, 0, 7, 3.0) == (0, 0)
    # far less on one keyframe (leaving the picture, hidden): all from the other
    assert shares(100, 301, 7, 3.0) == (0, 7)
    assert shares(301, 100, 7, 3.0) == (7, 0)
    assert from_both(100, 300, 3.0) and not from_both(100, 301, 3.0)
    assert not from_both(0, 100, 3.0) and not from_both(0, 0, 3.0)
    session, obj = keyed_session((1, 11))
    steps = list(session.fill([obj], 1, 11))
    assert [s.frame for s in steps] == [2, 3, 4, 5, 6, 10, 9, 8, 7]


def test_an_object_on_one_keyframe_only_is_carried_from_it_across_the_gap():
    session, both = keyed_session()
    start_only = session.add_object().id
    session.set_clicks(0, start_only, [Click(45, 70, True)])  # the blue bar, on frame 0 only
    steps = list(session.fill([both, start_only], 0, 9))
    forward = [(s.frame, s.obj_id) for s in steps if s.source_frame < s.frame]
    backward = [(s.frame, s.obj_id) for s in steps if s.source_frame > s.frame]
    assert [t for t, o in forward if o == start_only] == list(range(1, 9))
    assert [t for t, o in forward if o == both] == [1, 2, 3, 4]
    assert [t for t, o in backward] == [8, 7, 6, 5] and {o for _, o in backward} == {both}
    assert steps[-1].done == steps[-1].total == 16
    bar = session.labels[0] == start_only
    assert bar.sum() > 300
    for t in range(1, 9):
        np.testing.assert_array_equal(session.labels[t] == start_only, bar)
        np.testing.assert_array_equal(session.labels[t] == both, red_mask(t))

    end_only, obj = keyed_session((9,))
    session_steps = list(end_only.fill([obj], 0, 9))
    assert [s.frame for s in session_steps] == [8, 7, 6, 5, 4, 3, 2, 1]
    np.testing.assert_array_equal(end_only.labels[1] == obj, red_mask(1))


def test_an_object_that_shows_far_less_on_one_keyframe_is_carried_from_the_other():
    session, obj = keyed_session((0,))
    sliver = np.zeros((64, 96), np.uint8)
    sliver[20:32, 38:40] = obj  # 24 of its 144 pixels: half hidden, or leaving the picture
    session.labels.set_frame(9, sliver)
    session.set_status(9, FrameStatus.REVIEWED)
    steps = list(session.fill([obj], 0, 9))
    assert [s.frame for s in steps] == list(range(1, 9))
    assert all(s.source_frame == s.frame - 1 for s in steps)
    np.testing.assert_array_equal(session.labels[8] == obj, red_mask(8))
    # within the ratio, both ends carry their half
    sliver[20:32, 28:40] = obj  # all 144 pixels
    session.labels.set_frame(9, sliver)
    assert [s.frame for s in session.fill([obj], 0, 9)] == [1, 2, 3, 4, 8, 7, 6, 5]


def test_filling_stops_at_user_work_between_the_keyframes():
    session, obj = keyed_session()
    session.set_status(3, FrameStatus.REVIEWED)  # an empty reviewed frame: the object is gone
    steps = list(session.fill([obj], 0, 9))
    forward = [s for s in steps if s.source_frame < s.frame]
    assert [s.frame for s in forward] == [1, 2, 3]
    assert forward[-1].stopped and "reviewed" in forward[-1].reason
    assert not session.labels[3].any()


#: stop an object on its first frame in doubt (the red square hidden), so that a half stops there
STOP_IN_DOUBT = PropagationSettings(max_review_run=1)


def test_where_the_forward_half_stops_the_backward_half_takes_over():
    session, obj = keyed_session(hidden=(3,))
    steps = list(session.fill([obj], 0, 9, settings=STOP_IN_DOUBT))
    forward = [s for s in steps if s.source_frame < s.frame]
    backward = [s for s in steps if s.source_frame > s.frame]
    assert [s.frame for s in forward] == [1, 2, 3] and forward[-1].stopped
    # down to the frame where the forward half stopped, not only its own half
    assert [s.frame for s in backward] == [8, 7, 6, 5, 4, 3]
    np.testing.assert_array_equal(session.labels[4] == obj, red_mask(4))
    assert [s.done for s in steps] == list(range(1, 10)) and steps[-1].total == 9
    assert session.history.next_frames() == list(range(1, 9))  # still one undo step


def test_the_other_end_carries_on_only_while_its_own_track_holds():
    # hidden on frames 3 and 4: the forward half stops on 3, the backward one carries the
    # square on from frame 5 and stops on 4; frame 3 keeps what the forward half made of it
    session, obj = keyed_session(hidden=(3, 4))
    steps = list(session.fill([obj], 0, 9, settings=STOP_IN_DOUBT))
    backward = [s for s in steps if s.source_frame > s.frame]
    assert [s.frame for s in backward] == [8, 7, 6, 5, 4] and backward[-1].stopped
    forward_3 = next(s for s in steps if s.frame == 3)
    assert forward_3.source_frame == 2 and forward_3.stopped and session.labels[3].any()


def test_frames_that_need_review_without_a_stop_are_not_taken_over():
    # (on a thin object the engine's mask is often refused for frames in a row while the
    # motion carries it well: such marks are no loss)
    session, obj = keyed_session(hidden=(3,))
    # the object goes on (the motion leaves a rim of it on frame 3, which the engine does not
    # find on frame 4: with the default drift limit it is lost there, ``quality.lost``)
    steps = list(session.fill([obj], 0, 9, settings=PropagationSettings(max_drift_ratio=10.0)))
    forward = [(s.frame, s.ok, s.stopped) for s in steps if s.source_frame < s.frame]
    assert forward == [(1, True, False), (2, True, False), (3, False, False), (4, False, False)]
    assert [s.frame for s in steps if s.source_frame > s.frame] == [8, 7, 6, 5]


def test_where_the_backward_half_stops_the_forward_half_goes_on():
    session, obj = keyed_session(hidden=(6,))
    steps = list(session.fill([obj], 0, 9, settings=STOP_IN_DOUBT))
    assert [(s.frame, s.source_frame) for s in steps] == [
        (1, 0), (2, 1), (3, 2), (4, 3), (8, 9), (7, 8), (6, 7), (5, 4), (6, 5)
    ]  # fmt: skip
    np.testing.assert_array_equal(session.labels[5] == obj, red_mask(5))
    assert steps[-1].done == steps[-1].total == 9


def test_an_object_from_one_keyframe_is_not_taken_over_by_the_other():
    session, obj = keyed_session((0,), hidden=(3,))
    session.set_clicks(9, obj, [Click(25, 33, True)])  # a sliver: 24 of the 144 pixels
    session.labels.set_frame(9, np.where(red_mask(9) & (np.arange(96) < 30), obj, 0))
    steps = list(session.fill([obj], 0, 9, settings=STOP_IN_DOUBT))
    assert [s.frame for s in steps] == [1, 2, 3]
    assert not session.labels[4].any()


def test_bad_fill_requests_are_refused_at_once():
    session, obj = keyed_session()
    with pytest.raises(ValueError, match="no frame lies between"):
        session.fill([obj], 4, 5)
    with pytest.raises(ValueError, match="no frame lies between"):
        session.fill([obj], 9, 0)
    other = session.add_object().id
    with pytest.raises(ValueError, match="none of the objects has a mask"):
        session.fill([other], 0, 9)
    with pytest.raises(KeyError):
        session.fill([99], 0, 9)
    with pytest.raises(IndexError):
        session.fill([obj], 0, 40)
    assert not session.labels[1].any()


def test_the_keyframes_around_a_frame():
    statuses = {
        0: FrameStatus.CLICKED,
        3: FrameStatus.PROPAGATED,
        5: FrameStatus.REVIEWED,
        8: FrameStatus.NEEDS_REVIEW,
        12: FrameStatus.IMPORTED,
    }
    assert keyframes_around(statuses, 0) == (0, 5)
    assert keyframes_around(statuses, 3) == (0, 5)
    assert keyframes_around(statuses, 5) == (5, 12)
    assert keyframes_around(statuses, 9) == (5, 12)
    assert keyframes_around(statuses, 12) == (12, None)
    assert keyframes_around({3: FrameStatus.PROPAGATED}, 3) == (None, None)
    # backward: on a keyframe, the gap before it; elsewhere the same gap
    assert keyframes_around(statuses, 5, -1) == (0, 5)
    assert keyframes_around(statuses, 9, -1) == (5, 12)
    assert keyframes_around(statuses, 12, -1) == (5, 12)
    assert keyframes_around(statuses, 0, -1) == (None, 0)


def test_every_gap_between_keyframes_is_filled_in_one_run_and_one_undo_step():
    session, obj = keyed_session((0, 4, 5, 11))
    bar = session.add_object().id
    session.set_clicks(5, bar, [Click(45, 70, True)])  # the blue bar on keyframe 5 only
    steps = list(session.fill_all())
    # 0-4 and 5-11 (4 and 5 have no frame between); the bar from 5 on, the square both ways
    square_frames = [s.frame for s in steps if s.obj_id == obj]
    assert square_frames == [1, 2, 3, 6, 7, 8, 10, 9]
    assert [s.frame for s in steps if s.obj_id == bar] == [6, 7, 8, 9, 10]
    assert [(s.done, s.total) for s in steps] == [(k, 13) for k in range(1, 14)]
    for t in range(12):
        np.testing.assert_array_equal(session.labels[t] == obj, red_mask(t))
    assert session.history.next_frames() == [1, 2, 3, 6, 7, 8, 9, 10]
    session.undo()
    assert not any(session.labels[t].any() for t in (1, 2, 3, 6, 7, 8, 9, 10))

    only_bar = list(session.fill_all([bar]))
    assert {s.obj_id for s in only_bar} == {bar}
    with pytest.raises(ValueError, match="no two keyframes"):
        session.fill_all([session.add_object().id])  # an object on no keyframe
    lone, _ = keyed_session((0, 1))
    with pytest.raises(ValueError, match="no two keyframes"):
        lone.fill_all()


def test_the_gaps_between_keyframes():
    statuses = {
        0: FrameStatus.CLICKED,
        1: FrameStatus.PROPAGATED,
        3: FrameStatus.IMPORTED,
        4: FrameStatus.REVIEWED,
        6: FrameStatus.NEEDS_REVIEW,
        9: FrameStatus.CLICKED,
    }
    assert gaps(statuses) == [(0, 3), (4, 9)]
    assert gaps({2: FrameStatus.CLICKED}) == []


def test_fill_all_fills_only_the_gaps_that_are_empty_or_stale():
    session, obj = keyed_session((0, 5, 11))
    list(session.fill_all())
    session.set_status(3, FrameStatus.NEEDS_REVIEW)  # a frame left in review stays so
    versions = {t: session.labels.version(t) for t in range(12)}
    with pytest.raises(ValueError, match=r"filled already \(2 left as they were\)"):
        session.fill_all()
    from napari_skipclick.session.fill import gaps_to_fill

    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([], 2)
    # your new click on keyframe 11 makes the frames filled from it stale: that gap alone
    session.set_clicks(11, obj, [*session.clicks(11, obj), Click(26, 39, True)])
    steps = list(session.fill_all())
    assert {s.frame for s in steps} == set(range(6, 11))
    assert all(session.labels.version(t) == versions[t] for t in range(1, 5))
    assert session.status(3) == FrameStatus.NEEDS_REVIEW
    # a frame left empty for the object: its gap is filled again
    session.set_clicks(2, obj, [])
    assert session.status(2) == FrameStatus.EMPTY
    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([(0, 5, [obj])], 1)
    list(session.fill_all())
    np.testing.assert_array_equal(session.labels[2] == obj, red_mask(2))


def test_fill_all_leaves_a_gap_the_object_really_left():
    """The square hidden on frames 3-6: each half of the fill loses it there and stops. The
    frames it left empty made every later Fill all redo the gap, and so did the frame you
    cleared of the mask the motion carried onto the background; now it is filled once, and
    again after your next click on a keyframe."""
    from napari_skipclick.session.fill import gaps_to_fill

    session, obj = keyed_session((0, 9), hidden=(3, 4, 5, 6))
    list(session.fill_all())
    assert not any(obj in session.ids_on(t) for t in (4, 5))
    session.set_clicks(3, obj, [])  # the carried mask on the background, deleted
    versions = {t: session.labels.version(t) for t in range(10)}
    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([], 1)
    with pytest.raises(ValueError, match="filled already"):
        session.fill_all()
    assert {t: session.labels.version(t) for t in range(10)} == versions
    assert obj not in session.ids_on(3)
    session.set_clicks(9, obj, [*session.clicks(9, obj), Click(26, 35, True)])
    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([(0, 9, [obj])], 0)


def test_painting_a_keyframe_makes_its_gap_stale():
    """A keyframe you only painted has no click of yours: painting it again after a fill
    never made the frames carried from it stale."""
    from napari_skipclick.session.fill import gaps_to_fill

    session, obj = keyed_session((0,))
    painted = np.zeros((64, 96), bool)
    painted[red_box(9)] = True
    session.paint(9, (0, 64, 0, 96), painted, obj)  # keyframe 9: painted, no click
    assert session.status(9) == FrameStatus.CLICKED and not session.clicks(9, obj)
    list(session.fill_all())
    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([], 1)
    top = painted & ~np.roll(painted, 1, axis=0)
    session.paint(9, (0, 64, 0, 96), top, 0)  # its top row erased
    with session.locked():
        assert gaps_to_fill(session, [obj]) == ([(0, 9, [obj])], 0)
