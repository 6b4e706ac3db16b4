"""``eval-video``'s simulated user on a frame whose ground truth holds no pixel of the object:
one correction marks it absent there (one key press in the widget) instead of clicking."""

from __future__ import annotations

import numpy as np

from napari_skipclick.eval.video_protocol import click_until, set_start
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import FrameStatus
from support.engines import ColourEngine, moving_squares, red_box


def carried_to_frame_1() -> tuple[AnnotationSession, int]:
    """The red square's true mask on frame 0, propagated onto frame 1."""
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    truth = np.zeros(session.frame_shape, bool)
    truth[red_box(0)] = True
    set_start(session, obj, truth)
    list(session.propagate([obj], 0, n_frames=1))
    assert obj in session.ids_on(1)
    return session, obj


def test_the_user_marks_the_object_absent_where_the_truth_is_empty():
    """The clicker spent every correction on negative clicks at IoU 0 and left specks."""
    session, obj = carried_to_frame_1()
    hidden = np.zeros(session.frame_shape, np.uint8)  # the object is behind something
    assert click_until(session, 1, obj, hidden, 0.85, 5) == (1, 1.0)
    assert session.marks_on(1).absent == {obj} and not session.clicks(1, obj)
    assert obj not in session.ids_on(1) and session.status(1) == FrameStatus.CLICKED


def test_no_correction_is_made_without_budget_or_where_the_truth_holds_the_object():
    session, obj = carried_to_frame_1()
    empty = np.zeros(session.frame_shape, np.uint8)
    assert click_until(session, 1, obj, empty, 0.85, 0) == (0, 0.0)
    truth = np.zeros(session.frame_shape, np.uint8)
    truth[red_box(1)] = 1
    used, _ = click_until(session, 1, obj, truth, 0.85, 5)
    assert session.marks_on(1).absent == set() and obj in session.ids_on(1)
    assert used == 0  # the carried square is the truth
