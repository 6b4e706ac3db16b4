"""An object that comes into view late (first clicked on a frame after the first), propagated
backward: where the frames say it is not there yet, it stops, the frame marked, instead of a
rim or speck of it being carried onto earlier frames for ``max_review_run`` frames."""

from __future__ import annotations

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.carry import MAPPED, Carried
from napari_skipclick.session.propagation import LEFT_FRAME
from napari_skipclick.session.propagation_settings import PropagationSettings
from napari_skipclick.session.quality import ShapeHistory, lost
from napari_skipclick.types import FrameStatus
from support.scenes import emerging, entering


def backward_from_last(frames: np.ndarray, masks: np.ndarray) -> tuple[AnnotationSession, dict]:
    """The object's true mask set on the last frame, propagated backward to frame 0; returns
    the session and the steps by frame."""
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object().id
    last = len(frames) - 1
    session.labels.set_frame(last, np.where(masks[last], obj, 0).astype(session.labels.dtype))
    session.set_status(last, FrameStatus.REVIEWED)
    return session, {s.frame: s for s in session.propagate([obj], last, direction=-1)}


def test_an_object_coming_in_across_an_edge_leaves_no_speck_before_it_shows():
    """The mask's rim of snow stayed in the picture as the square left it (backward): 7 pixels
    of snow were carried onto every frame before, each marked for review."""
    frames, masks = entering(speed=12)
    session, steps = backward_from_last(frames, masks)
    gone = max(t for t in range(len(frames)) if not masks[t].any())
    assert min(steps) == gone and steps[gone].stopped and steps[gone].reason == LEFT_FRAME
    assert all(not session.labels.read(t).any() for t in range(gone + 1))
    assert all(steps[t].area > 0 for t in steps if t > gone)
    assert session.frames_of(1) == list(range(gone + 1, len(frames)))


def test_an_object_coming_out_from_behind_a_panel_stops_where_it_is_hidden():
    """Behind the panel the engine's mask shrank to a rim, which the motion then carried onto
    eight frames, up to frame 0, each marked for review."""
    frames, masks = emerging()
    session, steps = backward_from_last(frames, masks)
    stop = min(steps)
    assert steps[stop].stopped and "it is not here" in steps[stop].reason
    assert not masks[stop].any() and session.status(stop) == FrameStatus.NEEDS_REVIEW
    assert not session.labels.read(stop).any()
    assert stop not in session.frames_of(1)  # no clicks of it are left there either
    assert stop >= 4  # at most one frame with nothing of it in view keeps a mask (marked)
    marked = [t for t in steps if not masks[t].any() and session.labels.read(t).any()]
    assert all(session.status(t) == FrameStatus.NEEDS_REVIEW for t in marked)
    assert len(marked) <= 1


def test_only_an_object_the_engine_loses_after_it_shrank_to_a_rim_is_lost():
    history = ShapeHistory([900], None, 900.0)
    settings = PropagationSettings()
    empty = np.zeros((4, 4), np.float32)

    def carried(refusal: str | None) -> Carried:
        return Carried(empty, empty, [], 0.1, 0.9, refusal, 0.9)

    assert lost(carried("the engine's mask disagrees"), 299, history, settings)
    # a mask whole on the frame before goes on (hidden at once, it may show again)
    assert not lost(carried("the engine's mask disagrees"), 300, history, settings)
    assert not lost(carried(None), 10, history, settings)  # the engine still finds it
    assert not lost(carried(MAPPED), 10, history, settings)  # a line its surroundings place
