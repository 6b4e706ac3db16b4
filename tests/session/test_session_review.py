"""A frame in review for several objects: correcting one settles that object's doubt alone."""

from __future__ import annotations

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.types import Click, FrameRecord, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares, red_box

STRICT = PropagationSettings(min_confidence=0.95)  # the engine's 0.9 asks for review everywhere


def two_objects_in_review(store=None):
    frames = moving_squares(6)
    session = AnnotationSession(frames, ColourEngine(), store=store)
    square, bar = session.add_object().id, session.add_object().id
    session.set_clicks(0, square, [Click(25, 15, True)])
    session.set_clicks(0, bar, [Click(45, 70, True)])
    list(session.propagate([square, bar], 0, n_frames=3, settings=STRICT))
    assert session.review_reasons(2).keys() == {square, bar}
    return session, square, bar


def correct(session: AnnotationSession, t: int, obj: int, square: int) -> None:
    """One more positive click inside the object, as the widget adds a correction."""
    ys, xs = red_box(t) if obj == square else (slice(45, 46), slice(70, 71))
    click = Click((ys.start + ys.stop) // 2, (xs.start + xs.stop) // 2, True)
    session.set_clicks(t, obj, [*session.clicks(t, obj), click])


def test_correcting_one_object_keeps_the_frame_in_review_for_the_others():
    session, square, bar = two_objects_in_review()
    reason = session.review_reasons(2)[bar]
    correct(session, 2, square, square)
    assert session.user_clicks(2, square)
    assert session.status(2) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(2) == {bar: reason}
    session.undo()
    assert session.review_reasons(2).keys() == {square, bar}
    session.redo()
    correct(session, 2, bar, square)  # the last object in doubt: the frame is your work now
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}


def test_propagation_keeps_your_correction_and_settles_the_others_as_your_frame():
    session, square, bar = two_objects_in_review()
    correct(session, 2, square, square)
    corrected = session.labels[2] == square
    steps = list(session.propagate([square], 1, n_frames=2))
    assert steps[0].frame == 2 and steps[0].stopped and "has your clicks" in steps[0].reason
    assert (session.labels[2] == square).sum() == corrected.sum()
    list(session.propagate([bar], 1, n_frames=1))  # the bar in doubt passes this time
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}


def test_the_settled_doubt_is_read_back_from_the_store(tmp_path):
    frames = moving_squares(6)
    info = VideoInfo("squares.mp4", 6, 64, 96, 25.0, "fingerprint-squares")
    path = tmp_path / "squares.zarr"
    session, square, bar = two_objects_in_review(AnnotationStore.open_or_create(path, info))
    correct(session, 2, square, square)
    session.close()
    stored = AnnotationStore.open_or_create(path, info)
    assert stored.review_reasons()[2].keys() == {bar}  # what `skipclick info` lists
    stored.close()
    resumed = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open_or_create(path, info)
    )
    assert resumed.status(2) == FrameStatus.NEEDS_REVIEW
    assert resumed.review_reasons(2).keys() == {bar}
    resumed.close()


def test_taking_a_correction_back_after_reopening_restores_its_reason(tmp_path):
    """The store kept the reasons of the objects still in doubt only: taking back the
    correction of an object in a later session left its frame *propagated*, no reason, where
    the same session put it back in review for that object."""
    frames = moving_squares(6)
    info = VideoInfo("squares.mp4", 6, 64, 96, 25.0, "fingerprint-squares")

    def corrected_then_taken_back(path, reopen: bool) -> tuple[FrameStatus, dict]:
        session, square, bar = two_objects_in_review(AnnotationStore.open_or_create(path, info))
        reasons, derived = session.review_reasons(2), session.clicks(2, square)
        session.set_clicks(2, bar, [])  # the bar cleared there: the square alone in doubt
        correct(session, 2, square, square)
        assert session.status(2) == FrameStatus.CLICKED  # your work now
        if reopen:
            session.close()
            with AnnotationStore.open(path) as stored:  # `skipclick info`: no doubt there
                assert 2 not in stored.review_reasons()
            store = AnnotationStore.open_or_create(path, info)
            session = AnnotationSession(frames, ColourEngine(), store=store)
        session.set_clicks(2, square, derived)  # the correction taken back by hand
        assert session.review_reasons(2) == {square: reasons[square]}
        result = session.status(2), session.review_reasons(2)
        session.close()
        return result

    same = corrected_then_taken_back(tmp_path / "same.zarr", reopen=False)
    assert same[0] == FrameStatus.NEEDS_REVIEW
    assert corrected_then_taken_back(tmp_path / "reopened.zarr", reopen=True) == same


def test_undo_puts_back_the_reasons_a_propagation_changed():
    """Undo restored masks and statuses but not the reasons: a frame in review again read
    "no reason kept", and frames kept the reasons of the run undone."""
    session, square, bar = two_objects_in_review()
    before = {t: session.review_reasons(t) for t in (1, 2, 3)}
    list(session.propagate([square], 0, n_frames=3))  # the square passes: only the bar left
    assert all(session.review_reasons(t).keys() == {bar} for t in (1, 2, 3))
    session.undo()
    assert {t: session.review_reasons(t) for t in (1, 2, 3)} == before
    session.redo()
    assert all(session.review_reasons(t).keys() == {bar} for t in (1, 2, 3))
    session.undo()
    session.undo()  # the first run too: no reasons left anywhere
    assert all(session.reasons_on(t) == {} for t in (1, 2, 3))


def test_a_frame_corrected_but_still_in_review_is_a_keyframe_to_fill_from():
    """A correction makes a frame a keyframe; one that stayed in review for another object
    was none: Fill said there was no keyframe after it."""
    session, square, _ = two_objects_in_review()
    correct(session, 3, square, square)
    assert session.status(3) == FrameStatus.NEEDS_REVIEW
    assert session.keyframe_statuses()[3] == FrameStatus.CLICKED
    steps = list(session.fill_all([square]))
    assert {s.frame for s in steps} == {1, 2}


def test_an_object_cleared_from_a_frame_in_review_is_in_doubt_no_longer():
    """The cleared object, with no mask there, stayed in doubt: once the other object was
    corrected the frame stayed *needs review*, and deleting the cleared object left it so
    with no reason listed."""
    session, square, bar = two_objects_in_review()
    reason = session.review_reasons(2)[bar]
    session.set_clicks(2, square, [])  # the square cleared from frame 2
    assert session.status(2) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(2) == {bar: reason}
    correct(session, 2, bar, square)
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}
    session.delete_object(square)
    assert session.status(2) == FrameStatus.CLICKED
    session.undo()  # the deletion
    session.undo()  # the correction: in review for the bar alone again
    assert session.status(2) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(2) == {bar: reason}


def test_deleting_the_object_a_saved_frame_was_left_in_review_for_settles_it(tmp_path):
    """A store saved the frame in review for an object cleared there (no mask, no marks):
    deleting that object skipped the frame, which stayed *needs review* with no reason."""
    frames = moving_squares(6)
    info = VideoInfo("squares.mp4", 6, 64, 96, 25.0, "fingerprint-squares")
    path = tmp_path / "squares.zarr"
    session, square, bar = two_objects_in_review(AnnotationStore.open_or_create(path, info))
    session.set_clicks(2, square, [])
    correct(session, 2, bar, square)
    session.close()
    store = AnnotationStore.open_or_create(path, info)
    labels, clicks = store.read_labels(2), store.clicks(2)
    store.commit_frame(
        2,
        labels,
        FrameRecord(FrameStatus.NEEDS_REVIEW, clicks, carried=[bar], review={square: "doubt"}),
    )
    resumed = AnnotationSession(frames, ColourEngine(), store=store)
    resumed.delete_object(square)
    assert resumed.status(2) == FrameStatus.CLICKED  # the bar you corrected there
    resumed.close()
