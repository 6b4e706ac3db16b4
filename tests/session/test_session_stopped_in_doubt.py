"""Objects a propagation run stopped in doubt (lost, its track in doubt, its motion unknown):
the frames the run goes on to write for the other objects need review for them, where they
are not carried. Those frames were *propagated*, the stopped object missing from them
without a word: Review skipped them and an export wrote them as negative examples."""

from __future__ import annotations

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.session import (
    AnnotationSession,
    PropagationSettings,
    PropagationStep,
    propagation,
)
from napari_skipclick.session.propagation import LEFT_FRAME
from napari_skipclick.session.review_stops import NotCarried, review_stops, stop_text
from napari_skipclick.types import Click, FrameStatus
from support.scenes import emerging, entering, snow
from support.sessions import assert_same, clicked_squares, snapshot


def with_still_square(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``frames`` with a dark textured square standing still in their lower right corner, away
    from the scene's own square; the frames and its mask."""
    frames = frames.copy()
    width = frames.shape[2]
    still = np.zeros(frames.shape[1:3], bool)
    still[70:94, width - 34 : width - 10] = True
    frames[:, still] = (snow(24, 24, seed=11) // 3).reshape(-1, 3)
    return frames, still


def propagated_back(
    frames: np.ndarray, masks: np.ndarray
) -> tuple[AnnotationSession, int, int, list[PropagationStep], tuple]:
    """The scene's square (its true mask) and a still square set on the last frame, both
    propagated backward to frame 0 with the embedded engine. Returns the session, the two
    IDs, the run's steps and a snapshot from before the run."""
    frames, still = with_still_square(frames)
    session = AnnotationSession(frames, create_engine("embedded"))
    square, other = session.add_object(name="square").id, session.add_object(name="still").id
    last = len(frames) - 1
    labels = np.where(masks[last], square, np.where(still, other, 0))
    session.labels.set_frame(last, labels.astype(session.labels.dtype))
    session.set_status(last, FrameStatus.REVIEWED)
    before = snapshot(session)
    steps = list(session.propagate([square, other], last, direction=-1))
    assert all(s.written and not s.stopped for s in steps if s.obj_id == other)
    return session, square, other, steps, before


def stopped(steps: list[PropagationStep], obj_id: int) -> PropagationStep:
    """The object's last step: where it stopped (propagated backward, the lowest frame)."""
    return min((s for s in steps if s.obj_id == obj_id), key=lambda s: s.frame)


def test_the_frames_after_an_object_was_lost_need_review_for_it():
    session, square, other, steps, _ = propagated_back(*emerging())
    last = stopped(steps, square)  # lost behind the panel
    stop = last.frame
    assert last.stopped and "it is not here" in last.reason
    for t in range(stop):
        assert square not in session.ids_on(t) and other in session.ids_on(t)
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
        reason = session.review_reasons(t)[square]
        assert reason.startswith(f"stopped on frame {stop} (") and "it is not here" in reason
        assert reason.endswith("; not carried here")
        assert other not in session.review_reasons(t)


def test_the_steps_of_the_other_objects_tell_the_status_the_frame_ends_with():
    """The widget follows the run by its steps: they said *propagated* for frames the run then
    marked for the lost object."""
    _, square, other, steps, _ = propagated_back(*emerging())
    stop = stopped(steps, square).frame
    told = [s.status for s in steps if s.obj_id == other and s.frame < stop]
    assert told and all(status == FrameStatus.NEEDS_REVIEW for status in told)


def test_a_click_of_the_object_or_not_here_settles_it_and_undo_puts_it_back():
    session, square, _, steps, before = propagated_back(*emerging())
    stop = stopped(steps, square).frame
    clicked, absent = stop - 1, stop - 2
    reason = session.review_reasons(clicked)[square]
    session.set_clicks(clicked, square, [Click(50, 40, True)])
    assert session.status(clicked) == FrameStatus.CLICKED
    assert session.review_reasons(clicked) == {}
    assert session.mark_absent(absent, square)
    assert session.status(absent) == FrameStatus.CLICKED and session.review_reasons(absent) == {}
    session.undo()
    session.undo()
    for t in (clicked, absent):
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
        assert session.review_reasons(t) == {square: reason}
    session.undo()  # the run, with its marks
    assert_same(snapshot(session), before)
    assert all(not session.reasons_on(t) for t in range(session.n_frames))


def test_a_click_of_another_object_there_leaves_the_frame_in_review():
    session, square, other, steps, _ = propagated_back(*emerging())
    t = stopped(steps, square).frame - 1
    session.set_clicks(t, other, [Click(82, 178, True)])
    assert session.status(t) == FrameStatus.NEEDS_REVIEW
    assert list(session.review_reasons(t)) == [square]


def test_the_frames_after_an_object_left_the_picture_need_no_review():
    frames, masks = entering(speed=12)
    # four more frames before it comes in: the run goes on over them for the still square
    frames = np.concatenate([np.repeat(frames[:1], 4, axis=0), frames])
    masks = np.concatenate([np.repeat(masks[:1], 4, axis=0), masks])
    session, square, _, steps, _ = propagated_back(frames, masks)
    last = stopped(steps, square)
    stop = last.frame
    assert last.stopped and last.reason == LEFT_FRAME and stop >= 4
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in range(stop))
    assert all(not session.reasons_on(t) for t in range(stop))


def test_a_stop_where_its_motion_is_unknown_leaves_the_frames_from_there_in_review():
    session, red, blue = clicked_squares(1, 2)
    steps = [s for s in session.propagate([red, blue], 0, n_frames=5) if s.obj_id == red]
    assert steps[-1].frame == 3 and steps[-1].stopped and not steps[-1].written
    for t in (3, 4, 5):  # frame 3 too: it is not carried there either
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
        reason = session.review_reasons(t)[red]
        assert reason.startswith("stopped on frame 3 (its motion is not known")


def test_a_stop_where_you_marked_it_absent_leaves_the_frames_after_it_as_they_are():
    session, red, blue = clicked_squares(2)
    settings = PropagationSettings(max_coast=0)
    steps = [s for s in session.propagate([red, blue], 0, n_frames=5, settings=settings)]
    assert [s.frame for s in steps if s.obj_id == red and s.stopped] == [2]
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in (3, 4, 5))


def reappearing_in_doubt(reach: int | None = None) -> tuple[AnnotationSession, int]:
    """The red square marked absent on frames 2 and 5 and propagated with the blue bar from
    frame 0 over 6 frames (the square over ``reach`` only, as a fill carries it:
    ``propagation.run``; None: 6): the frame it reappears on, 3, stops it (its track in doubt
    there, ``max_review_run`` 1). Returns the session and the square's ID."""
    session, red, blue = clicked_squares(2, 5)
    settings = PropagationSettings(max_review_run=1)
    frames = {} if reach is None else {red: reach}
    steps = list(propagation.run(session, [red, blue], 0, 6, 1, settings, reach=frames))
    last = [s for s in steps if s.obj_id == red][-1]
    assert last.frame == 3 and last.stopped and "in doubt on this frame" in last.reason
    assert all(s.written for s in steps if s.obj_id == blue)
    return session, red


def test_a_stop_after_its_track_was_in_doubt_marks_no_frame_where_you_marked_it_absent():
    session, red = reappearing_in_doubt()
    for t in (4, 6):
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
        assert session.review_reasons(t)[red].startswith("stopped on frame 3 (it reappears")
    assert session.marks_on(5).absent == {red} and session.review_reasons(5) == {}


def test_it_marks_no_frame_beyond_the_frames_it_would_have_gone_to():
    """A fill carries an object over its half of the gap only (``reach``)."""
    session, red = reappearing_in_doubt(reach=4)
    assert session.review_reasons(4)[red].startswith("stopped on frame 3")
    assert session.status(6) == FrameStatus.PROPAGATED and session.review_reasons(6) == {}


def test_a_stop_where_another_objects_mask_covers_it_leaves_the_frames_after_it_in_review():
    """The overlap rule took all of the square's pixels on frame 3 (another object's mask
    covers it there): the engine found it, so the frame passed and the frames after it were
    *propagated* with the square missing, without a word."""
    session, red, blue = clicked_squares()
    cover = session.add_object(name="cover").id
    frame = np.array(session.labels.read(3))
    frame[18:34, 14:30] = cover  # over the square on frame 3 (columns 16-27)
    session.labels.set_frame(3, frame)
    steps = [s for s in session.propagate([red, blue], 0, n_frames=5) if s.obj_id == red]
    last = steps[-1]
    assert last.frame == 3 and last.stopped and last.area == 0
    assert "another object's mask" in last.reason
    assert red not in session.ids_on(3) and cover in session.ids_on(3)
    assert session.review_reasons(3)[red] == last.reason
    for t in (4, 5):
        assert blue in session.ids_on(t) and red not in session.ids_on(t)
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
        reason = session.review_reasons(t)[red]
        assert reason == f"stopped on frame 3 ({last.reason}); not carried here"


def test_the_frame_it_stopped_on_after_its_track_was_in_doubt_says_why_it_stopped():
    """The step said why (``max_review_run``) but the frame's reason, which Review and the
    store show, only what its check found."""
    session, red = reappearing_in_doubt()
    reason = session.review_reasons(3)[red]
    assert reason.startswith("it reappears after 1 frame(s) you marked it absent")
    assert reason.endswith("; its track was in doubt on this frame")
    assert session.review_reasons(4)[red] == f"stopped on frame 3 ({reason}); not carried here"


def test_review_stops_once_on_the_frame_it_stopped_on_not_on_every_frame_after():
    """Each frame after the stop needs review for the lost object: Review listed all of them,
    so an annotator could not tell where something happened. They are one stop together."""
    session, square, _, steps, _ = propagated_back(*emerging())
    last = stopped(steps, square)
    stop = last.frame
    marked = [t for t, s in session.statuses().items() if s == FrameStatus.NEEDS_REVIEW]
    stops = review_stops(session)
    assert set(range(stop + 1)) <= set(marked) and stop >= 3
    assert [s.frame for s in stops if s.frame <= stop] == [stop]
    assert len(stops) <= len(marked) - stop
    at_stop = stops[[s.frame for s in stops].index(stop)]
    assert at_stop.not_carried == (NotCarried(square, stop, last.reason, tuple(range(stop))),)
    text = stop_text(session, at_stop)
    assert text.startswith("square: ") and "it is not here" in text
    assert text.endswith(f"; not carried after it (frames 0–{stop - 1})")
    assert [session.status(t) for t in range(stop)] == [FrameStatus.NEEDS_REVIEW] * stop


def test_a_run_whose_stop_was_corrected_stops_review_on_its_frame_nearest_the_stop():
    session, square, _, steps, _ = propagated_back(*emerging())
    last = stopped(steps, square)
    stop = last.frame
    session.set_clicks(stop, square, [Click(50, 40, True)])  # the stop frame: yours now
    session.set_clicks(1, square, [Click(50, 40, True)])  # one frame of the run settled
    first = [s for s in review_stops(session) if s.frame < stop]
    assert [s.frame for s in first] == [stop - 1]  # backward: the frame after the stop
    frames = tuple(t for t in range(stop) if t != 1)
    assert first[0].not_carried == (NotCarried(square, stop, last.reason, frames),)
    span = f"{stop - 1} frames between 0 and {stop - 1}"
    why = f"stopped on frame {stop} ({last.reason})"
    assert stop_text(session, first[0]) == f"square: {why}; not carried on {span}"


def test_accepting_the_frame_it_stopped_on_accepts_its_absence_on_the_frames_after():
    """Enter on the stop frame left its frames not carried after in review: Review ▶ went on
    to the first of them, then the next, one Enter per frame for one decision."""
    session, square, _, steps, _ = propagated_back(*emerging())
    stop = stopped(steps, square).frame
    labels = [session.labels.read(t).copy() for t in range(stop)]
    before = {t: session.review_reasons(t) for t in range(stop)}
    assert session.set_status(stop, FrameStatus.REVIEWED)
    assert [s.frame for s in review_stops(session) if s.frame <= stop] == []
    for t in range(stop):
        assert square not in session.review_reasons(t)
        assert session.status(t) == FrameStatus.PROPAGATED  # no other object in doubt there
        assert np.array_equal(session.labels.read(t), labels[t])  # nothing painted
    session.undo()  # one step: the frame and the absence it accepted
    assert session.status(stop) == FrameStatus.NEEDS_REVIEW
    assert {t: session.review_reasons(t) for t in range(stop)} == before


def test_accepting_the_frame_review_shows_a_corrected_stops_run_on_accepts_the_run():
    session, square, _, steps, _ = propagated_back(*emerging())
    stop = stopped(steps, square).frame
    session.set_clicks(stop, square, [Click(50, 40, True)])  # the stop frame: yours now
    assert session.set_status(stop - 1, FrameStatus.REVIEWED)  # Review ▶ shows the run there
    assert [s.frame for s in review_stops(session) if s.frame <= stop] == []
    assert all(square not in session.review_reasons(t) for t in range(stop))


def test_accepting_a_frame_of_the_run_review_does_not_stop_on_settles_that_frame_alone():
    session, square, _, steps, _ = propagated_back(*emerging())
    stop = stopped(steps, square).frame
    session.set_status(1, FrameStatus.REVIEWED)
    frames = tuple(t for t in range(stop) if t != 1)
    at_stop = next(s for s in review_stops(session) if s.frame == stop)
    assert [run.frames for run in at_stop.not_carried] == [frames]
