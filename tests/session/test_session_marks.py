"""Whose work a frame is: the marks of the masks propagation made and of those the user
painted, what takes the last of the user's work off a frame, and undo keeping the marks. A
frame the user accepted (*reviewed*) or imported stays theirs whatever edits follow."""

from __future__ import annotations

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.store_summary import summarise
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.fill import keyframes
from napari_skipclick.session.frame_changes import Marks
from napari_skipclick.session.imports import import_frames
from napari_skipclick.types import Click, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares, red_box

STRICT = PropagationSettings(min_confidence=0.95)  # the engine's 0.9 asks for review everywhere
INFO = VideoInfo("squares.mp4", 6, 64, 96, 25.0, "fingerprint-squares")


def two_propagated(
    settings: PropagationSettings | None = None, store: AnnotationStore | None = None
) -> tuple[AnnotationSession, int, int]:
    """The red square and the blue bar clicked on frame 0 and propagated over frames 1-4."""
    session = AnnotationSession(moving_squares(6), ColourEngine(), store=store)
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    list(session.propagate([red, blue], 0, n_frames=4, settings=settings))
    return session, red, blue


def correct(session: AnnotationSession, t: int, obj: int) -> None:
    """One more positive click inside the object's mask (a square, a bar), near its corner."""
    ys, xs = np.nonzero(session.labels[t] == obj)
    click = Click(int(ys.min()) + 2, int(xs.min()) + 2, True)
    session.set_clicks(t, obj, [*session.clicks(t, obj), click])


def test_deleting_the_object_you_corrected_gives_the_frame_back_to_propagation():
    """The frame stayed *clicked* with nothing of yours on it: the other object's propagated
    mask counted as your own, fill took the frame as a keyframe and propagation stopped."""
    session, red, blue = two_propagated()
    correct(session, 2, red)
    assert session.status(2) == FrameStatus.CLICKED
    session.delete_object(red)
    assert session.status(2) == FrameStatus.PROPAGATED
    assert not session.own_mask(2, blue) and keyframes(session.keyframe_statuses()) == [0]
    steps = [s for s in session.propagate([blue], 0, n_frames=4) if s.frame == 2]
    assert steps[0].written and steps[0].reason is None
    session.undo()  # the propagation
    session.undo()  # the deletion: the frame is yours again
    assert session.status(2) == FrameStatus.CLICKED and session.user_clicks(2, red)
    session.redo()
    assert session.status(2) == FrameStatus.PROPAGATED


def test_a_frame_you_painted_stays_yours_when_another_object_goes(tmp_path):
    """Painting leaves no click: the frame is yours through the painted mark, which the
    store keeps."""
    path = tmp_path / "s.zarr"
    session, red, blue = two_propagated(store=AnnotationStore.open_or_create(path, INFO))
    session.paint(2, (52, 53, 60, 70), np.ones((1, 10), bool), blue)  # blue a row longer
    correct(session, 2, red)
    assert session.marks_on(2).painted == {blue}
    session.close()
    resumed = AnnotationSession(
        moving_squares(6), ColourEngine(), store=AnnotationStore.open_or_create(path, INFO)
    )
    assert resumed.marks_on(2) == Marks(frozenset({red, blue}), frozenset({blue}))
    resumed.delete_object(red)
    assert resumed.status(2) == FrameStatus.CLICKED and resumed.own_mask(2, blue)
    resumed.close()


def test_taking_back_clicks_on_a_propagated_frame_leaves_it_propagations():
    """Removing an object's derived clicks there, or a correction you made, made the frame
    *clicked*: the other objects' masks there were frozen as yours."""
    session, red, blue = two_propagated()
    session.set_clicks(2, red, [])  # red cleared from frame 2
    assert session.status(2) == FrameStatus.PROPAGATED and not session.own_mask(2, blue)
    assert red not in session.marks_on(2).carried
    derived = session.clicks(3, blue)
    correct(session, 3, blue)
    assert session.status(3) == FrameStatus.CLICKED
    session.set_clicks(3, blue, derived)  # the correction taken back
    assert session.status(3) == FrameStatus.PROPAGATED and not session.user_clicks(3, blue)


def test_taking_back_the_last_correction_puts_the_doubt_back():
    """The frame stayed *clicked*, its reason hidden, with nothing of yours on it."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=3, settings=STRICT))
    reasons, derived = session.review_reasons(2), session.clicks(2, red)
    correct(session, 2, red)
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}
    session.set_clicks(2, red, derived)
    assert session.status(2) == FrameStatus.NEEDS_REVIEW and session.review_reasons(2) == reasons


def test_your_click_on_the_spot_of_a_derived_click_is_yours():
    """A click at the coordinates of one propagation derived took that click's time: it
    counted as propagation's, and the object's doubt stayed."""
    session, red, _ = two_propagated(STRICT)
    t = 2
    derived, reasons = session.derived_clicks(t, red), session.review_reasons(t)
    assert red in reasons
    spot = next(c for c in derived if c.positive)
    session.set_clicks(t, red, [*session.clicks(t, red), Click(spot.y, spot.x, True)])
    assert session.user_clicks(t, red) == [spot]
    assert session.derived_clicks(t, red) == derived
    assert red not in session.review_reasons(t)  # its doubt settled
    session.set_clicks(t, red, session.clicks(t, red))  # the same clicks again: times kept
    assert session.user_clicks(t, red) == [spot]


def test_undo_puts_back_the_carried_mark_that_an_erase_and_a_click_took():
    """The mark stayed gone: the frame in review listed no reason, the derived clicks counted
    as the user's and the frame as corrected (a keyframe)."""
    session, red, _ = two_propagated(STRICT)
    t = 3
    reasons, derived = session.review_reasons(t), session.derived_clicks(t, red)
    marks = session.marks_on(t)
    session.paint(t, (0, 64, 0, 96), session.labels[t] == red, 0)  # red erased ...
    ys, xs = red_box(t)
    session.set_clicks(t, red, [*session.clicks(t, red), Click(ys.start + 2, xs.start + 2, True)])
    session.undo()  # ... and clicked again: both taken back
    session.undo()
    assert session.status(t) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(t) == reasons and session.derived_clicks(t, red) == derived
    assert not session.user_clicks(t, red)
    assert session.keyframe_statuses()[t] == FrameStatus.NEEDS_REVIEW
    assert session.marks_on(t) == marks


def test_an_undone_propagation_takes_its_carried_marks_along(tmp_path):
    """The marks stayed (and were saved): a mask painted there later was "propagation's",
    and the first click on it counted as derived."""
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", INFO)
    session = AnnotationSession(moving_squares(6), ColourEngine(), store=store)
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=3))
    session.undo()
    assert all(session.marks_on(t) == Marks() for t in (1, 2, 3))
    session.commit_all()
    assert store.carried_masks() == set()
    ys, xs = red_box(2)
    painted = np.zeros((64, 96), bool)
    painted[ys, xs] = True
    session.paint(2, (0, 64, 0, 96), painted, red)
    click = Click(ys.start + 2, xs.start + 2, True)
    session.set_clicks(2, red, [click])
    assert session.user_clicks(2, red) == [click] and session.derived_clicks(2, red) == []
    session.close()


def test_undoing_a_deletion_puts_the_objects_courses_back():
    session, red, _ = two_propagated()
    course = session.courses.expected(3, red, 1)
    assert course is not None
    session.delete_object(red)
    assert session.courses.expected(3, red, 1) is None
    session.undo()
    np.testing.assert_array_equal(session.courses.expected(3, red, 1), course)
    session.redo()
    assert session.courses.expected(3, red, 1) is None


def written_on(session: AnnotationSession, t: int, objects: list[int]) -> list[bool]:
    """Whether propagating ``objects`` again from frame 0 writes them on frame ``t``."""
    return [s.written for s in session.propagate(objects, 0, n_frames=4) if s.frame == t]


def test_taking_back_a_correction_on_a_reviewed_frame_leaves_it_yours():
    """The frame became *propagated* and the next propagation rewrote both masks."""
    session, red, blue = two_propagated()
    session.set_status(3, FrameStatus.REVIEWED)
    derived = session.clicks(3, blue)
    correct(session, 3, blue)
    assert session.status(3) == FrameStatus.CLICKED
    session.set_clicks(3, blue, derived)  # the correction taken back
    assert session.status(3) == FrameStatus.CLICKED and session.marks_on(3).accepted
    labels = np.array(session.labels[3])
    assert written_on(session, 3, [red, blue]) == [False, False]
    np.testing.assert_array_equal(session.labels[3], labels)
    session.undo()  # the propagation
    session.undo()  # the take-back
    session.undo()  # the correction: the frame is as you accepted it
    assert session.status(3) == FrameStatus.REVIEWED and not session.marks_on(3).accepted
    session.undo()  # the acceptance
    session.set_clicks(3, blue, [*derived, Click(47, 72, True)])
    session.set_clicks(3, blue, derived)
    assert session.status(3) == FrameStatus.PROPAGATED  # never accepted: propagation's


def test_deleting_an_object_you_clicked_on_a_reviewed_frame_leaves_it_yours():
    session, red, blue = two_propagated(STRICT)
    session.set_status(2, FrameStatus.REVIEWED)
    extra = session.add_object().id
    session.set_clicks(2, extra, [Click(5, 5, True)])
    session.delete_object(extra)
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}
    assert written_on(session, 2, [red, blue]) == [False, False]
    session.set_clicks(2, red, [])  # clearing an object there: still yours, not in review
    assert session.status(2) == FrameStatus.CLICKED


def test_an_imported_frame_stays_yours_when_what_you_imported_goes():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    labels = np.zeros((64, 96), np.int32)
    labels[44:48, 60:80] = 5  # the blue bar, imported
    import_frames(session, {3: labels})
    session.set_clicks(3, 5, [Click(45, 70, True)])
    list(session.propagate([red], 0, n_frames=4))  # red carried onto the clicked frame
    assert red in session.marks_on(3).carried
    session.delete_object(5)
    assert session.status(3) == FrameStatus.CLICKED
    assert written_on(session, 3, [red]) == [False]


def test_the_acceptance_is_saved_and_given_back_only_by_you(tmp_path):
    path = tmp_path / "s.zarr"
    session, red, _ = two_propagated(store=AnnotationStore.open_or_create(path, INFO))
    session.set_status(3, FrameStatus.REVIEWED)
    derived = session.clicks(3, red)
    correct(session, 3, red)
    session.close()
    resumed = AnnotationSession(
        moving_squares(6), ColourEngine(), store=AnnotationStore.open_or_create(path, INFO)
    )
    resumed.set_clicks(3, red, derived)
    assert resumed.status(3) == FrameStatus.CLICKED and resumed.marks_on(3).accepted
    resumed.set_status(3, FrameStatus.PROPAGATED)  # you give it to propagation
    assert not resumed.marks_on(3).accepted
    resumed.undo()
    assert resumed.marks_on(3).accepted
    resumed.close()


def test_the_clicks_propagation_derived_stay_its_after_a_correction_makes_the_mask_yours(
    tmp_path,
):
    # a click on a mask you erased, or that another object took (as a zoom refinement), makes
    # the mask yours: the derived clicks were counted as yours from then on (10 for 1)
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", INFO)
    session, red, blue = two_propagated(store=store)
    derived = {t: session.clicks(t, red) for t in (2, 3)}
    erased = session.labels.read(2) == red
    session.paint(2, (0, 64, 0, 96), erased, 0)
    ys, xs = np.nonzero(erased)
    mine = Click(int(ys.min()) + 2, int(xs.min()) + 2, True)
    session.set_clicks(2, red, [*derived[2], mine])
    frame = session.labels.read(3)
    session.labels.set_frame(3, np.where(frame == red, blue, frame))  # blue took it
    session.set_clicks(3, red, [*derived[3], Click(25, 24, True)])
    for t in (2, 3):
        assert red not in session.marks_on(t).carried and session.status(t) == FrameStatus.CLICKED
    assert session.user_clicks(2, red) == [mine] and session.derived_clicks(2, red) == derived[2]
    assert session.user_clicks(3, red) == [Click(25, 24, True)]
    assert session.derived_clicks(3, red) == derived[3]
    session.undo()
    assert session.user_clicks(3, red) == [] and red in session.marks_on(3).carried
    session.redo()
    session.close()
    store = AnnotationStore.open(tmp_path / "s.zarr")
    counted = {o["id"]: o["clicks"] for o in summarise(store)["objects"]}
    assert counted[red] == 3  # frame 0's, and the two (``skipclick info``)
    reopened = AnnotationSession(moving_squares(6), ColourEngine(), store=store)
    assert reopened.user_clicks(2, red) == [mine] and len(reopened.user_clicks(3, red)) == 1
