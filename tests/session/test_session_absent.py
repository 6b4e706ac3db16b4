"""An object marked not on a frame (``AnnotationSession.mark_absent``): it is cleared there as
one undoable step, the frame is the user's work, propagation and fill do not write it back
(propagation through such frames: test_session_absent_gap.py), an edit that gives it pixels
there ends the mark, and the store keeps it."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.fill import keyframes, shares
from napari_skipclick.session.imports import import_frames
from napari_skipclick.types import Click, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares, red_box

STRICT = PropagationSettings(min_confidence=0.95)  # the engine's 0.9 asks for review everywhere
INFO = VideoInfo("squares.mp4", 8, 64, 96, 25.0, "fingerprint-squares")


def propagated(
    *objects: str,
    settings: PropagationSettings | None = None,
    store: AnnotationStore | None = None,
    n_frames: int = 6,
) -> tuple[AnnotationSession, dict[str, int]]:
    """The red square (and the blue bar) clicked on frame 0 and propagated over ``n_frames``
    frames (0: not propagated)."""
    session = AnnotationSession(moving_squares(8), ColourEngine(), store=store)
    clicks = {"red": Click(25, 15, True), "blue": Click(45, 70, True)}
    ids = {name: session.add_object().id for name in objects}
    for name, obj in ids.items():
        session.set_clicks(0, obj, [clicks[name]])
    if n_frames:
        list(session.propagate(ids.values(), 0, n_frames=n_frames, settings=settings))
    return session, ids


def test_an_object_marked_absent_is_cleared_and_propagation_writes_nothing_there():
    """Clearing its clicks left the frame saying nothing: propagation wrote it back."""
    session, ids = propagated("red", "blue")
    red, blue = ids["red"], ids["blue"]
    session.mark_absent(3, red)
    assert red not in session.ids_on(3) and not session.clicks(3, red)
    assert blue in session.ids_on(3) and session.marks_on(3).absent == {red}
    assert session.status(3) == FrameStatus.CLICKED  # your work: a keyframe
    steps = {s.frame: s for s in session.propagate([red, blue], 0, n_frames=6) if s.obj_id == red}
    assert not steps[3].written and not steps[3].stopped
    assert steps[3].reason == "you marked it absent on frame 3; it goes on"
    assert red not in session.ids_on(3) and red in session.ids_on(4)
    no_coast = PropagationSettings(max_coast=0)
    steps = {s.frame: s for s in session.propagate([red], 0, n_frames=6, settings=no_coast)}
    assert steps[3].stopped and steps[3].reason == "you marked it absent on frame 3"
    assert max(steps) == 3 and red not in session.ids_on(3)


def test_marking_absent_is_one_undoable_step():
    session, ids = propagated("red")
    red = ids["red"]
    pixels, clicks = session.labels[2].copy(), session.timed_clicks(2, red)
    session.mark_absent(2, red)
    session.mark_absent(2, red)  # marked so already: no second step
    assert not session.labels[2].any() and session.status(2) == FrameStatus.CLICKED
    session.undo()
    assert np.array_equal(session.labels[2], pixels) and session.timed_clicks(2, red) == clicks
    assert session.status(2) == FrameStatus.PROPAGATED and session.marks_on(2).absent == set()
    assert red in session.marks_on(2).carried
    session.redo()
    assert session.marks_on(2).absent == {red} and session.status(2) == FrameStatus.CLICKED


def test_an_edit_giving_the_object_pixels_there_ends_the_mark():
    """You changed your mind: a click, a stroke or an import of the object ends the mark."""
    session, ids = propagated("red")
    red = ids["red"]
    session.mark_absent(2, red)
    session.set_clicks(2, red, [Click(25, 20, True)])
    assert red in session.ids_on(2) and session.marks_on(2).absent == set()
    session.undo()
    assert session.marks_on(2).absent == {red}
    session.paint(2, (20, 24, 14, 18), np.ones((4, 4), bool), red)
    assert session.marks_on(2).absent == set() and session.status(2) == FrameStatus.CLICKED
    session.undo()
    session.set_clicks(2, red, [])  # clearing clicks it does not have gives it nothing
    assert session.marks_on(2).absent == {red}
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[red_box(2)] = red
    import_frames(session, {2: labels})
    assert session.marks_on(2).absent == set() and session.status(2) == FrameStatus.IMPORTED
    session.undo()
    assert session.marks_on(2).absent == {red} and session.status(2) == FrameStatus.CLICKED


def test_a_frame_holding_only_absent_marks_stays_yours():
    """Taking back a correction of another object there gave the frame back to propagation,
    and clearing the last other object left it *empty*, as if never annotated."""
    session, ids = propagated("red", "blue")
    red, blue = ids["red"], ids["blue"]
    session.mark_absent(2, red)
    derived = session.clicks(2, blue)
    session.set_clicks(2, blue, [*derived, Click(45, 70, True)])
    session.set_clicks(2, blue, derived)  # the correction taken back
    assert session.status(2) == FrameStatus.CLICKED
    session.set_clicks(2, blue, [])
    assert not session.labels[2].any() and session.status(2) == FrameStatus.CLICKED
    assert 2 in keyframes(session.keyframe_statuses())


def test_deleting_the_object_drops_its_absent_marks():
    session, ids = propagated("red")
    red = ids["red"]
    session.mark_absent(2, red)
    session.delete_object(red)
    assert session.marks_on(2).absent == set() and session.status(2) == FrameStatus.EMPTY
    session.undo()
    assert session.marks_on(2).absent == {red} and session.status(2) == FrameStatus.CLICKED


def test_marking_absent_ends_the_objects_doubt_there():
    session, ids = propagated("red", "blue", settings=STRICT)
    red, blue = ids["red"], ids["blue"]
    assert set(session.review_reasons(2)) == {red, blue}
    session.mark_absent(2, red)
    assert session.status(2) == FrameStatus.NEEDS_REVIEW  # blue still in doubt
    assert set(session.review_reasons(2)) == {blue}
    session.mark_absent(2, blue)
    assert session.status(2) == FrameStatus.CLICKED and session.review_reasons(2) == {}


def test_an_accepted_frame_keeps_its_status():
    session, ids = propagated("red")
    session.set_status(2, FrameStatus.REVIEWED)
    session.mark_absent(2, ids["red"])
    assert session.status(2) == FrameStatus.REVIEWED and not session.labels[2].any()


def test_the_empty_status_is_refused_on_a_frame_with_an_absent_mark():
    """It left the frame *clicked* without a word, and pushed an undo step that did nothing:
    the next undo took that back instead of the mark."""
    session, ids = propagated("red")
    red = ids["red"]
    session.mark_absent(2, red)
    with pytest.raises(ValueError, match=r"cannot set frame 2 empty: .*object\(s\) 1 \("):
        session.set_status(2, FrameStatus.EMPTY)
    assert session.status(2) == FrameStatus.CLICKED and session.marks_on(2).absent == {red}
    session.undo()  # the mark, the last step
    assert session.marks_on(2).absent == set() and red in session.ids_on(2)
    session.set_status(2, FrameStatus.EMPTY)  # no mark: any status may be given
    assert session.status(2) == FrameStatus.EMPTY


def test_unknown_objects_and_frames_are_refused():
    session, ids = propagated("red")
    with pytest.raises(ValueError, match="object 99"):
        session.mark_absent(2, 99)
    with pytest.raises(ValueError, match="out of range"):
        session.mark_absent(8, ids["red"])
    assert session.marks_on(2).absent == set()


def test_fill_carries_an_object_towards_a_keyframe_it_is_absent_on_over_half_the_gap():
    """Fill carried it across the whole gap, up to the frame before the keyframe without it."""
    session, ids = propagated("red", n_frames=0)
    red = ids["red"]
    session.mark_absent(6, red)  # a frame with nothing on it
    assert keyframes(session.keyframe_statuses()) == [0, 6]
    steps = list(session.fill([red], 0, 6))
    assert sorted(s.frame for s in steps) == [1, 2, 3]
    assert all(red in session.ids_on(t) for t in (1, 2, 3))
    assert not any(red in session.ids_on(t) for t in (4, 5))
    assert shares(100, 0, 5, 3.0, (False, True)) == (3, 0)
    assert shares(0, 100, 5, 3.0, (True, False)) == (0, 2)
    assert shares(100, 0, 5, 3.0) == (5, 0)


def test_absent_marks_are_saved_and_read_back(tmp_path):
    path = tmp_path / "s.zarr"
    session, ids = propagated("red", store=AnnotationStore.open_or_create(path, INFO))
    red = ids["red"]
    session.mark_absent(4, red)
    session.close()
    store = AnnotationStore.open_or_create(path, INFO)
    assert store.frame_record(4)["absent"] == [red] and 4 in store.annotated_frames()
    resumed = AnnotationSession(moving_squares(8), ColourEngine(), store=store)
    assert resumed.marks_on(4).absent == {red} and resumed.status(4) == FrameStatus.CLICKED
    steps = [s for s in resumed.propagate([red], 0, n_frames=6) if s.frame == 4]
    assert not steps[0].written and red not in resumed.ids_on(4)
    resumed.close()
