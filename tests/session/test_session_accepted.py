"""A frame you accept is the reference of the later frames of its run (``session.accepted``)."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.types import Click, FrameStatus
from session.test_session_picture_edges import TruthEngine
from session.test_session_quality import RedEngine
from support.engines import BACKGROUND, RED
from support.scenes import snow
from support.sessions import started_session


def _closer(n_frames: int, settings: PropagationSettings | None = None) -> AnnotationSession:
    """A red square one pixel wider on each frame (an object coming closer), propagated from
    frame 0 (with ``settings``): from frame 10 on it has grown past 1.5 times its area there."""
    frames = np.empty((n_frames, 80, 100, 3), np.uint8)
    frames[:] = BACKGROUND
    for t in range(n_frames):
        frames[t, 10 : 40 + t, 20 : 50 + t] = RED
    session = AnnotationSession(frames, RedEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(20, 30, True)])
    list(session.propagate([obj], 0, settings=settings))
    return session


def _in_review(session: AnnotationSession) -> list[int]:
    return [t for t in range(session.n_frames) if session.status(t) == FrameStatus.NEEDS_REVIEW]


def test_accepting_a_frame_makes_it_the_reference_of_the_frames_after_it():
    session = _closer(30)
    marked = _in_review(session)
    assert marked == list(range(10, 30))  # each grown past 1.5 times the start frame's area
    assert "since the start frame" in session.review_reasons(11)[1]
    session.set_status(10, FrameStatus.REVIEWED)
    left = _in_review(session)  # grown past 1.5 times frame 10's area, give or take
    assert left == list(range(left[0], 30)) and left[0] > 18
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in range(11, left[0]))
    assert (session.labels[29] == 1).sum() > 2 * (session.labels[10] == 1).sum()
    session.undo()  # the acceptance and what it settled are one step
    assert _in_review(session) == marked


def test_an_accepted_frame_judges_by_the_limits_the_run_judged_by():
    session = _closer(40, PropagationSettings(max_trend_ratio=2.0))
    marked = _in_review(session)
    assert marked[0] == 15  # grown past twice the start frame's area, give or take
    session.set_status(15, FrameStatus.REVIEWED)
    # frame 30 is 1.78 times frame 15's area: within the run's limit, not the default 1.5
    assert session.status(30) == FrameStatus.PROPAGATED
    assert session.status(39) == FrameStatus.NEEDS_REVIEW


def test_frames_beyond_your_work_keep_their_marks():
    session = _closer(16)
    session.set_status(13, FrameStatus.CLICKED)  # your work: the run's frames end here for it
    session.set_status(10, FrameStatus.REVIEWED)
    assert _in_review(session) == [14, 15]
    assert session.status(11) == session.status(12) == FrameStatus.PROPAGATED


def test_a_correction_makes_the_frame_the_reference_of_the_object():
    session = _closer(16)
    session.set_clicks(10, 1, [*session.clicks(10, 1), Click(30, 40, True)])
    assert session.status(10) == FrameStatus.CLICKED
    assert _in_review(session) == []
    session.undo()
    assert _in_review(session) == list(range(10, 16))


def _propagated(frames: np.ndarray, click: Click) -> AnnotationSession:
    """A session of ``frames`` whose red object is clicked on frame 0 and propagated."""
    session = AnnotationSession(frames, RedEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [click])
    list(session.propagate([obj], 0))
    return session


def test_an_accepted_frame_is_the_reference_of_the_length_trend_after_it():
    frames = np.empty((14, 80, 100, 3), np.uint8)
    frames[:] = BACKGROUND
    for t in range(14):  # a pole seen more and more end-on: 4 pixels shorter a frame
        frames[t, 20:23, 20 : 90 - 4 * t] = RED
    session = _propagated(frames, Click(21, 25, True))
    assert _in_review(session) == [8, 10, 12, 13]
    assert "length changed by a factor" in session.review_reasons(10)[1]
    session.set_status(8, FrameStatus.REVIEWED)
    # 10 is within the limits of frame 8's length; 12 and 13 are not
    assert _in_review(session) == [12, 13]
    assert session.status(10) == FrameStatus.PROPAGATED
    session.undo()
    assert _in_review(session) == [8, 10, 12, 13]


def test_an_accepted_frame_is_the_reference_of_the_area_trend_after_it():
    frames = np.empty((12, 80, 100, 3), np.uint8)
    frames[:] = BACKGROUND
    for t in range(12):  # a square that halves its area on frame 5 and keeps it
        size = 40 if t < 5 else 26
        frames[t, 10 : 10 + size, 20 : 20 + size] = RED
    session = _propagated(frames, Click(21, 25, True))
    assert _in_review(session) == [5, 8, 9]
    assert "area changed by a factor 0.49 over 5 frames" in session.review_reasons(8)[1]
    session.set_status(5, FrameStatus.REVIEWED)
    assert _in_review(session) == []
    session.undo()
    assert _in_review(session) == [5, 8, 9]


def test_an_accept_reads_the_frames_after_it_up_to_the_last_mark_it_judges_again(monkeypatch):
    """Enter runs on the GUI thread: the frames of the run after the last mark it may settle
    are not read (their masks, lengths and boundaries were most of its cost on a long run)."""
    frames = np.empty((24, 80, 100, 3), np.uint8)
    frames[:] = BACKGROUND
    for t in range(24):  # a red square that comes closer up to frame 12, then goes back
        side = 30 + min(t, 24 - t)
        frames[t, 10 : 10 + side, 20 : 20 + side] = RED
    session = _propagated(frames, Click(20, 30, True))
    marked = _in_review(session)
    assert marked and marked[-1] < 20
    read: list[int] = []
    real = session.labels.read
    monkeypatch.setattr(session.labels, "read", lambda t: read.append(t) or real(t))
    session.set_status(3, FrameStatus.REVIEWED)
    assert sorted(set(read) - {3}) == list(range(4, marked[-1] + 1))


def _sliding_out(t: int, lost: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured square growing from 30 to 50 pixels over frames 0-10, moving 8 px right a
    frame, out through the right edge from frame 15 on (gone on frame 20); on frame ``lost``
    the engine finds its top half alone."""
    frame = snow(100, 160, seed=5)
    side = 30 + 2 * min(t, 10)
    left = 2 + 8 * t
    shown = max(min(160 - left, side), 0)
    frame[30 : 30 + side, left : left + shown] = (snow(side, side, seed=6) // 3)[:, :shown]
    mask = np.zeros((100, 160), bool)
    mask[30 : 30 + side, left : left + shown] = True
    if t == lost:
        mask[54:] = False
    frame[0, 0] = t  # the test engine reads the frame index here
    return frame, mask


def test_an_accepted_frame_judges_an_object_leaving_the_picture_as_a_run_from_it_would():
    scenes = [_sliding_out(t, 16) for t in range(21)]
    frames, masks = (np.stack(a) for a in zip(*scenes, strict=True))
    session, obj = started_session(frames, masks[0], TruthEngine(masks))
    list(session.propagate([obj], 0))
    assert _in_review(session) == list(range(5, 20))  # grown past 1.5 times frame 0's area
    assert "since the start frame" in session.review_reasons(19)[obj]  # a sliver left
    session.set_status(11, FrameStatus.REVIEWED)
    # a run from frame 11 judges the part still in the picture: it marks the frame lost alone
    fresh, again = started_session(frames[11:], masks[11], TruthEngine(masks))
    list(fresh.propagate([again], 0))
    from_accepted = [t + 11 for t in _in_review(fresh)]
    assert from_accepted == [16]
    assert [t for t in _in_review(session) if t > 11] == from_accepted
    assert session.status(19) == FrameStatus.PROPAGATED
