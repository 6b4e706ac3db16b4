"""Sessions set up where a propagation run starts, and snapshots of everything undo restores,
as the session tests need them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares


def two_objects_in_store(path: Path, n_frames: int) -> tuple[AnnotationSession, int, int]:
    """A session saving to a new store at ``path`` over ``n_frames`` moving squares: red
    propagated over every frame (each committed), blue clicked on frame 0 (not committed).
    Returns the session, red and blue."""
    frames = moving_squares(n_frames)
    video = VideoInfo("squares.mp4", *frames.shape[:3], 25.0, "squares")
    store = AnnotationStore.open_or_create(path, video)
    session = AnnotationSession(frames, ColourEngine(), store=store)
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    list(session.propagate([red], 0))
    return session, red, blue


def clicked_squares(*absent: int) -> tuple[AnnotationSession, int, int]:
    """The red square and the blue bar of ``moving_squares`` clicked on frame 0 of 8, the
    square marked absent on the frames ``absent``; returns the session and the two IDs."""
    session = AnnotationSession(moving_squares(8), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    for t in absent:
        session.mark_absent(t, red)
    return session, red, blue


def started_session(frames: np.ndarray, start: np.ndarray, engine) -> tuple[AnnotationSession, int]:
    """A session on ``frames`` with ``engine`` and one object whose mask on frame 0 is the
    boolean ``start``, that frame reviewed: where a propagation run starts. Returns the session
    and the object's id."""
    session = AnnotationSession(frames, engine)
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(start, obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    return session, obj


def erase_top_and_propagate(
    session: AnnotationSession, obj: int, expected: dict[int, np.ndarray], settings, frame: int = 6
) -> None:
    """Erase the object's top three rows on ``frame``, propagate again from there over the
    frames of ``expected`` (frame -> the object's boolean mask from one run without the erase),
    and check that each is that mask with the three rows left out."""
    rows = np.flatnonzero((session.labels.read(frame) == obj).any(axis=1))[:3]
    erased = np.array(session.labels.read(frame))
    erased[rows] = 0
    session.labels.set_frame(frame, erased)
    list(session.propagate([obj], frame, n_frames=len(expected), settings=settings))
    for t, mask in expected.items():
        mask = mask.copy()
        mask[rows] = False
        np.testing.assert_array_equal(session.labels.read(t) == obj, mask)


def snapshot(session: AnnotationSession) -> tuple:
    """Everything undo must restore: all labels, clicks, statuses and objects."""
    labels = np.stack([session.labels[t].copy() for t in range(session.n_frames)])
    clicks = {
        (t, o.id): session.clicks(t, o.id) for t in range(session.n_frames) for o in session.objects
    }
    return labels, clicks, session.statuses(), session.objects


def assert_same(a: tuple, b: tuple) -> None:
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:] == b[1:]
