"""The user's clicks of one frame carried to the next with the motion (propagation)."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.derived_clicks import carried_clicks, derive_clicks
from napari_skipclick.session.motion import Motion, move_points
from napari_skipclick.types import Click
from support.engines import ColourEngine, moving_squares, red_box


def shifted(box: tuple[int, int, int, int], dy: float, dx: float) -> Motion:
    """A motion that moves everything in ``box`` by (dy, dx) (its backward flow is minus that)."""
    y0, y1, x0, x1 = box
    flow = np.empty((2, y1 - y0, x1 - x0), np.float32)
    flow[0], flow[1] = -dy, -dx
    return Motion(box, flow)


def test_points_move_with_the_motion_and_are_unknown_off_its_box():
    motion = shifted((10, 50, 20, 80), 3.0, -2.0)
    moved = move_points(np.array([[12.0, 30.0], [49.0, 79.0], [5.0, 30.0], [30.0, 81.0]]), motion)
    np.testing.assert_allclose(moved[:2], [[15.0, 28.0], [52.0, 77.0]])
    assert np.isnan(moved[2:]).all()


def test_points_follow_a_flow_that_differs_across_the_box():
    # the left half stands still, the right half moves 4 px down: a point is moved by the
    # flow where it lands, not only where it starts
    motion = shifted((0, 40, 0, 40), 0.0, 0.0)
    motion.flow[0, :, 20:] = -4.0
    moved = move_points(np.array([[10.0, 5.0], [10.0, 30.0]]), motion)
    np.testing.assert_allclose(moved, [[10.0, 5.0], [14.0, 30.0]])


def test_a_carried_click_must_lie_clearly_on_its_side_of_the_mask():
    carried = np.zeros((60, 80), bool)
    carried[20:40, 20:50] = True
    motion = shifted((0, 60, 0, 80), 2.0, 5.0)
    clicks = [
        Click(28, 25, True),  # moves to (30, 30): 10 px inside
        Click(28, 40, True),  # moves to (30, 45): 4 px from the right edge
        Click(28, 43, True),  # moves to (30, 48): 1 px from it, left behind
        Click(10, 20, False),  # moves to (12, 25): 8 px above the mask
        Click(15, 20, False),  # moves to (17, 25): 2 px above it, left behind
        Click(28, 20, False),  # moves to (30, 25): inside the mask, left behind
        Click(57, 76, True),  # moves off the frame
    ]
    kept = carried_clicks(clicks, motion, carried, depth=3.0)
    assert kept == [Click(30, 30, True), Click(30, 45, True), Click(12, 25, False)]
    assert carried_clicks(clicks, None, carried, depth=3.0) == []


def test_the_user_clicks_are_those_made_after_propagation_wrote_its_own():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    first = [Click(25, 15, True), Click(50, 70, False)]
    session.set_clicks(0, obj, first)
    list(session.propagate([obj], 0, n_frames=1))
    derived = session.clicks(1, obj)
    assert derived and session.user_clicks(1, obj) == []
    correction = Click(10, 60, False)
    session.set_clicks(1, obj, [*derived, correction])
    assert session.user_clicks(1, obj) == [correction]
    assert session.user_clicks(0, obj) == first  # a clicked frame: every click is the user's


def test_a_correction_goes_with_the_object_to_the_next_frame():
    engine = ColourEngine()
    session = AnnotationSession(moving_squares(4), engine)
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    list(session.propagate([obj], 0, n_frames=1))
    correction = Click(26, 40, False)  # on the background right of the square
    session.set_clicks(1, obj, [*session.clicks(1, obj), correction])
    list(session.propagate([obj], 1, n_frames=1))
    # the engine decoded frame 2 with the clicks derived from the moved mask and the
    # correction, moved with the square (2 px right per frame)
    clicks, _ = engine.decodes[-1]
    mask = np.zeros((64, 96), bool)
    mask[red_box(2)] = True
    own = derive_clicks(mask, PropagationSettings())
    assert clicks[: len(own)] == own
    assert len(clicks) == len(own) + 1
    moved = clicks[-1]
    assert not moved.positive and abs(moved.y - 26) <= 0.5 and abs(moved.x - 42) <= 0.5
    assert session.clicks(2, obj) == clicks  # what the engine decoded is what the frame shows
    # with click_depth below 0 nothing is carried
    list(session.propagate([obj], 1, n_frames=1, settings=PropagationSettings(click_depth=-1)))
    assert engine.decodes[-1][0] == own
