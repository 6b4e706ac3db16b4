"""Painting by hand: a stroke is one undoable edit that makes the frame the annotator's work,
propagation stops at a painted mask, a label that is no object is refused, and a painted frame
is saved like a clicked one."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, moving_squares, red_box
from support.sessions import assert_same, snapshot, two_objects_in_store


def _square(size: int = 5) -> np.ndarray:
    return np.ones((size, size), bool)


def test_the_dabs_of_one_stroke_undo_together_and_make_the_frame_clicked():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    before = snapshot(session)
    stroke = session.history.new_group()
    assert session.paint(1, (10, 15, 10, 15), _square(), obj, group=stroke)
    assert session.paint(1, (12, 17, 14, 19), _square(), obj, group=stroke)
    mask = session.labels.read(1) == obj
    assert mask[10:15, 10:15].all() and mask[12:17, 14:19].all()
    assert np.count_nonzero(mask) == 25 + 25 - 3 * 1  # the dabs overlap on 3 pixels
    assert session.status(1) == FrameStatus.CLICKED
    assert session.frames_of(obj) == [1]
    assert len(session.history.next_edits()) == 2  # a patch a dab while the stroke goes on
    session.end_stroke(stroke)
    (edit,) = session.history.next_edits()  # the dabs folded into one patch
    assert len(edit.changes) == 1 and edit.changes[0].box == (10, 17, 10, 19)
    assert session.undo() == 1  # the whole stroke
    assert_same(snapshot(session), before)
    assert session.redo() == 1
    assert np.array_equal(session.labels.read(1) == obj, mask)


def test_a_stroke_through_two_frames_undoes_on_both_and_strokes_stay_apart():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    session.paint(0, (0, 2, 0, 2), np.ones((2, 2), bool), obj)  # a stroke of its own
    before = snapshot(session)
    dab = np.full((2, 3, 3), obj, np.uint32)  # napari's brush with "n edit dim" 3
    stroke = session.history.new_group()
    assert session.paint_at((slice(1, 3), slice(5, 8), slice(5, 8)), dab, group=stroke) == [1, 2]
    assert session.paint_at((slice(1, 3), slice(6, 9), slice(6, 9)), dab, group=stroke) == [1, 2]
    assert session.history.next_frames() == [1, 2]
    session.end_stroke(stroke)
    (edit,) = session.history.next_edits()  # one patch per frame
    assert [(c.frame, c.box) for c in edit.changes] == [(1, (5, 9, 5, 9)), (2, (5, 9, 5, 9))]
    after = snapshot(session)
    session.undo()
    assert_same(snapshot(session), before)  # the earlier stroke stays
    assert session.labels.read(0)[:2, :2].all()
    session.redo()
    assert_same(snapshot(session), after)


def test_erasing_every_pixel_of_a_frame_leaves_it_empty():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    session.paint(2, (0, 4, 0, 4), _square(4), obj)
    assert session.paint(2, (0, 4, 0, 4), _square(4), 0)
    assert not session.labels.read(2).any()
    assert session.status(2) == FrameStatus.EMPTY
    assert not session.paint(2, (0, 4, 0, 4), _square(4), 0)  # nothing changed: no edit
    session.paint(2, (0, 4, 0, 4), _square(4), obj)
    session.paint(2, (10, 14, 10, 14), _square(4), obj)
    session.paint(2, (0, 4, 0, 4), _square(4), 0)  # its box emptied, pixels left elsewhere
    assert session.status(2) == FrameStatus.CLICKED


@pytest.mark.parametrize(
    ("box", "painted", "value", "message"),
    [
        ((0, 5, 0, 5), _square(), 7, "label 7 is no object's ID"),
        ((0, 5, 0, 5), _square(), -1, "label -1 is no object's ID"),
        ((60, 65, 0, 5), _square(), 1, "lies outside"),
        ((0, 4, 0, 5), _square(), 1, "of shape"),
        ((0, 5, 0, 5), _square(), np.full((5, 5), 1.5), "must be integers"),
    ],
)
def test_a_paint_the_session_cannot_take_changes_nothing(box, painted, value, message):
    session = AnnotationSession(moving_squares(4), ColourEngine())
    session.add_object()
    before = snapshot(session)
    with pytest.raises(ValueError, match=message):
        session.paint(0, box, painted, value)
    assert_same(snapshot(session), before)
    assert [e.changes for e in session.history.next_edits()] == [()]  # the object's addition


def test_a_run_stopped_by_your_eraser_says_so_not_that_you_clicked():
    """The clicks propagation derived on a frame stay when you erase part of its mask there:
    the next run stops at your edit and names it (it said "has clicks for this object")."""
    session = AnnotationSession(moving_squares(8), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=4))
    assert session.clicks(3, red) and not session.user_clicks(3, red)
    rows, cols = red_box(3)
    top = (rows.start, rows.start + 2, cols.start, cols.stop)
    session.paint(3, top, np.ones((2, cols.stop - cols.start), bool), 0)  # the eraser
    steps = list(session.propagate([red], 0, n_frames=4))
    assert steps[-1].stopped
    assert (
        "frame 3 is your work (you clicked, painted or marked an object not here)"
        in steps[-1].reason
    )


def test_propagation_stops_at_a_mask_painted_by_hand():
    session = AnnotationSession(moving_squares(8), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    # the annotator paints the square's lower half on frame 4 by hand, no clicks there
    rows, cols = red_box(4)
    half = (26, rows.stop, cols.start, cols.stop)
    session.paint(4, half, np.ones((rows.stop - 26, cols.stop - cols.start), bool), red)
    painted = session.labels.read(4) == red
    assert session.status(4) == FrameStatus.CLICKED and session.own_mask(4, red)
    assert not session.clicks(4, red)
    steps = list(session.propagate([red], 0))
    assert [s.frame for s in steps if not s.stopped] == [1, 2, 3]
    assert steps[-1].stopped and "frame 4 holds your own mask" in steps[-1].reason
    assert np.array_equal(session.labels.read(4) == red, painted)
    # the paint undone, a run goes through frame 4
    session.undo()
    session.undo()
    assert not session.own_mask(4, red)
    assert [s.frame for s in session.propagate([red], 0) if not s.stopped][-1] == 7


def test_a_correcting_click_keeps_a_fix_painted_on_a_propagated_mask():
    session = AnnotationSession(moving_squares(8), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=4))
    rows, cols = red_box(4)
    # a fix far from the square: a hand-painted spot of the object
    session.paint(4, (2, 5, 60, 63), np.ones((3, 3), bool), red)
    corner = Click(rows.start + 1, cols.start + 1, False)
    session.set_clicks(4, red, [*session.clicks(4, red), corner])
    mask = session.labels.read(4) == red
    assert not mask[rows.start + 1, cols.start + 1]  # the correction took the corner
    assert mask[2:5, 60:63].all()  # and left the painted spot alone


def test_a_painted_frame_is_saved_and_resumed(tmp_path):
    path = tmp_path / "run.zarr"
    session, _, blue = two_objects_in_store(path, 5)
    session.paint(3, (50, 55, 80, 85), _square(), blue)
    assert session.commit_all()
    painted = np.array(session.labels.read(3))
    session.close()
    store = AnnotationStore.open(path)
    assert np.array_equal(store.read_labels(3), painted)
    assert store.statuses()[3] == FrameStatus.CLICKED
    store.close()
    resumed = AnnotationSession(
        moving_squares(5), ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert resumed.own_mask(3, blue) and resumed.status(3) == FrameStatus.CLICKED
    resumed.close()
