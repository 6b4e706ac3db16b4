"""Propagation through frames where an object is marked absent (a skier behind a gate panel):
it writes nothing there, and carries the object's mask with its expected motion onto the
first frame after them, which needs review; a run longer than ``max_coast`` stops it."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session import AnnotationSession, PropagationSettings, PropagationStep
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, moving_squares, red_box
from support.sessions import clicked_squares


def red_iou(session: AnnotationSession, t: int, red: int) -> float:
    """The IoU of the red square's mask on frame ``t`` with the true square."""
    truth = np.zeros(session.frame_shape, bool)
    truth[red_box(t)] = True
    mask = session.labels.read(t) == red
    return float((mask & truth).sum() / (mask | truth).sum())


def steps_of(steps: list[PropagationStep], obj_id: int) -> dict[int, PropagationStep]:
    return {s.frame: s for s in steps if s.obj_id == obj_id}


def test_the_object_goes_on_through_frames_marked_absent_and_reappears_for_review():
    """It stopped at frame 3, and had to be clicked again on frame 5 and propagated again."""
    session, red, blue = clicked_squares(3, 4)
    steps = steps_of(list(session.propagate([red, blue], 0, n_frames=7)), red)
    assert sorted(steps) == list(range(1, 8))
    for t in (3, 4):
        assert not steps[t].written and not steps[t].stopped
        assert steps[t].reason == f"you marked it absent on frame {t}; it goes on"
        assert red not in session.ids_on(t) and session.marks_on(t).absent == {red}
        assert session.status(t) == FrameStatus.CLICKED
    reappearing = steps[5]
    assert reappearing.written and not reappearing.ok and reappearing.source_frame == 2
    assert red_iou(session, 5, red) > 0.5  # moved on 6 px, as the square moved
    assert session.status(5) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(5)[red].startswith(
        "it reappears after 2 frame(s) you marked it absent"
    )
    assert all(red_iou(session, t, red) > 0.9 for t in (6, 7)) and steps[7].ok
    assert session.status(7) == FrameStatus.PROPAGATED


def test_the_other_objects_are_unaffected():
    session, red, blue = clicked_squares(3, 4)
    alone, red_alone, blue_alone = clicked_squares()
    mine = steps_of(list(session.propagate([red, blue], 0, n_frames=7)), blue)
    theirs = steps_of(list(alone.propagate([red_alone, blue_alone], 0, n_frames=7)), blue_alone)
    assert all(step.ok and step.written for step in mine.values()) and len(mine) == 7
    for t in range(1, 8):
        assert np.array_equal(session.labels.read(t) == blue, alone.labels.read(t) == blue_alone)
        assert mine[t].area == theirs[t].area


def test_undo_takes_the_whole_run_back_as_one_step():
    session, red, blue = clicked_squares(3, 4)
    list(session.propagate([red, blue], 0, n_frames=7))
    assert red in session.ids_on(5) and session.status(5) == FrameStatus.NEEDS_REVIEW
    session.undo()
    assert not any(session.labels.read(t).any() for t in range(1, 8))
    assert session.review_reasons(5) == {} and session.status(5) == FrameStatus.EMPTY
    assert session.marks_on(3).absent == {red} and session.marks_on(4).absent == {red}


def test_a_run_of_absent_frames_longer_than_max_coast_stops_the_object():
    session, red, blue = clicked_squares(3, 4)
    settings = PropagationSettings(max_coast=1)
    steps = steps_of(list(session.propagate([red, blue], 0, n_frames=7, settings=settings)), red)
    assert max(steps) == 4 and not steps[3].stopped
    assert steps[4].stopped and not steps[4].written
    assert steps[4].reason == (
        "you marked it absent on frames 3-4: more than max_coast (1) frames in a row to carry "
        "it across"
    )
    assert not any(red in session.ids_on(t) for t in range(3, 8))


def test_a_run_that_ends_where_it_is_marked_absent_says_so():
    """The run's last steps said only "it goes on": the end of the run named no object."""
    session, red, blue = clicked_squares(5, 6, 7)
    steps = list(session.propagate([red, blue], 0, n_frames=7))
    mine = steps_of(steps, red)
    assert not mine[7].written and not mine[7].stopped and mine[7].ended_absent
    assert mine[7].summary == "the run ended where you marked it absent (frames 5-7)"
    assert [s.frame for s in steps if s.summary] == [7]  # the others' steps say nothing
    assert mine[6].summary is None and not mine[6].ended_absent
    session, red, _ = clicked_squares(7)
    steps = steps_of(list(session.propagate([red], 0, n_frames=7)), red)
    assert steps[7].summary == "the run ended where you marked it absent (frame 7)"


def test_the_frame_where_it_reappears_counts_towards_a_run_of_doubt():
    session, red, blue = clicked_squares(3, 4)
    settings = PropagationSettings(max_review_run=1)
    steps = steps_of(list(session.propagate([red, blue], 0, n_frames=7, settings=settings)), red)
    assert max(steps) == 5 and steps[5].stopped and steps[5].written
    assert steps[5].reason.endswith("; its track was in doubt on this frame")


def test_backward_propagation_goes_on_through_them_too():
    session = AnnotationSession(moving_squares(8), ColourEngine())
    red = session.add_object().id
    session.set_clicks(7, red, [Click(25, 30, True)])
    session.mark_absent(4, red)
    session.mark_absent(3, red)
    steps = steps_of(list(session.propagate([red], 7, n_frames=7, direction=-1)), red)
    assert not steps[4].written and not steps[3].written and not steps[3].stopped
    assert steps[2].source_frame == 5 and not steps[2].ok
    assert red_iou(session, 2, red) > 0.5
    assert session.review_reasons(2)[red].startswith(
        "it reappears after 2 frame(s) you marked it absent"
    )
    assert red_iou(session, 0, red) > 0.9


def test_an_unknown_motion_or_a_start_where_it_is_absent_stops_it_at_once():
    """Marked absent from the frame after the one clicked, its motion was unknown: its mask was
    left where it was, landed on background where it reappeared, and that was carried for ten
    more frames. A run started on a frame where it is marked absent said "it goes on" for every
    marked frame before it stopped."""
    session, red, _ = clicked_squares(1, 2)
    steps = steps_of(list(session.propagate([red], 0, n_frames=7)), red)
    assert steps[3].stopped and not steps[3].written and red not in session.ids_on(3)
    assert steps[3].reason.startswith("its motion is not known to carry it across frames 1-2")
    session, red, _ = clicked_squares()
    list(session.propagate([red], 0, n_frames=7))
    session.mark_absent(2, red)
    session.mark_absent(3, red)
    steps = steps_of(list(session.propagate([red], 2, n_frames=5)), red)
    assert list(steps) == [3] and steps[3].stopped and steps[3].reason == "no mask on frame 2"


def encoded_frames(session: AnnotationSession) -> list[int]:
    """The frames ``session``'s engine encodes from now on, in order."""
    encoded: list[int] = []
    engine, encode = session.engine, session.engine.encode
    frames = [session.image(t) for t in range(session.n_frames)]

    def recording(image: np.ndarray):
        encoded.extend(t for t, frame in enumerate(frames) if np.array_equal(frame, image))
        return encode(image)

    engine.encode = recording
    return encoded


def test_a_frame_every_object_passes_over_or_stops_at_is_not_encoded():
    """Nothing decodes it: each frame the run only passed cost a whole encode (a second with
    SkipClick)."""
    session, red, blue = clicked_squares(3, 4)
    session.mark_absent(3, blue)
    session.mark_absent(4, blue)
    encoded = encoded_frames(session)
    steps = list(session.propagate([red, blue], 0, n_frames=7))
    assert {(s.frame, s.written) for s in steps if s.frame in (3, 4)} == {(3, False), (4, False)}
    assert sorted(encoded) == [1, 2, 5, 6, 7]
    assert red in session.ids_on(5) and blue in session.ids_on(7)
    session, red, _ = clicked_squares()
    session.set_status(2, FrameStatus.REVIEWED)
    encoded = encoded_frames(session)
    steps = steps_of(list(session.propagate([red], 0, n_frames=7)), red)
    assert max(steps) == 2 and steps[2].stopped and 2 not in encoded
