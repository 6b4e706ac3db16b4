"""Propagation: derived clicks, masks carried frame to frame, stops, statuses, progress."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from scipy import ndimage

from napari_skipclick.session import (
    AnnotationSession,
    PropagationSettings,
    StaleResultError,
    propagation,
)
from napari_skipclick.session.propagation import derive_clicks
from napari_skipclick.types import Click, FrameStatus
from support.engines import RED, ColourEngine, moving_squares, red_box

SETTINGS = PropagationSettings()


def red_mask(t: int) -> np.ndarray:
    mask = np.zeros((64, 96), bool)
    mask[red_box(t)] = True
    return mask


def clicked_session(n_frames: int = 12, engine: ColourEngine | None = None, frames=None):
    frames = moving_squares(n_frames) if frames is None else frames
    session = AnnotationSession(frames, engine or ColourEngine())
    obj = session.add_object()
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    return session, obj.id


def test_derived_clicks_lie_inside_and_in_a_ring_outside():
    mask = np.zeros((200, 300), bool)
    mask[50:110, 60:100] = True  # a body
    mask[150:153, 200:290] = True  # a separate thin ski
    clicks = derive_clicks(mask, SETTINGS)
    positives = [c for c in clicks if c.positive]
    negatives = [c for c in clicks if not c.positive]
    assert 2 <= len(positives) <= SETTINGS.max_positive
    assert all(mask[int(c.y), int(c.x)] for c in positives)
    labels, _ = ndimage.label(mask)
    assert {labels[int(c.y), int(c.x)] for c in positives} == {1, 2}  # one per component
    body = next(c for c in positives if labels[int(c.y), int(c.x)] == 1)
    assert 69 <= body.y <= 90 and 79 <= body.x <= 80  # on the plateau of the distance map
    assert 1 <= len(negatives) <= SETTINGS.max_negative
    distance = ndimage.distance_transform_edt(~mask)
    assert all(distance[int(c.y), int(c.x)] >= 8 for c in negatives)
    assert derive_clicks(np.zeros((5, 5), bool), SETTINGS) == []


def test_a_long_thin_object_gets_several_positive_clicks():
    pole = np.zeros((300, 100), bool)
    pole[20:280, 48:51] = True
    positives = [c for c in derive_clicks(pole, SETTINGS) if c.positive]
    assert len(positives) == 3
    assert max(c.y for c in positives) - min(c.y for c in positives) > 150


def test_forward_propagation_follows_the_object_and_sets_statuses():
    session, obj = clicked_session()
    steps = list(session.propagate([obj], 0, n_frames=10))
    assert [s.frame for s in steps] == list(range(1, 11))
    assert all(s.ok and not s.stopped and s.area == 144 for s in steps)
    assert all(s.status == FrameStatus.PROPAGATED and s.source_frame == s.frame - 1 for s in steps)
    assert steps[-1].done == steps[-1].total == 10
    for t in range(11):
        np.testing.assert_array_equal(session.labels[t] == obj, red_mask(t))
    assert not session.labels[11].any()
    assert session.status(0) == FrameStatus.CLICKED
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in range(1, 11))
    assert session.frames_of(obj) == list(range(11))
    # the decoder got the previous frame's mask as prior
    np.testing.assert_array_equal(session.engine.decodes[-1][1] > 0.5, red_mask(9))


def test_backward_propagation_to_the_start():
    frames = moving_squares(8)
    session = AnnotationSession(frames, ColourEngine())
    obj = session.add_object().id
    session.set_clicks(7, obj, [Click(25, 27, True)])
    steps = list(session.propagate([obj], 7, direction=-1))
    assert [s.frame for s in steps] == [6, 5, 4, 3, 2, 1, 0]
    np.testing.assert_array_equal(session.labels[0] == obj, red_mask(0))


def test_propagation_stops_at_user_work():
    session, obj = clicked_session()
    session.set_clicks(4, obj, [Click(25, 20, True)])
    steps = list(session.propagate([obj], 0))
    assert [s.frame for s in steps] == [1, 2, 3, 4]
    assert steps[-1].stopped and "clicks" in steps[-1].reason and steps[-1].ok
    assert session.status(4) == FrameStatus.CLICKED and not session.labels[5].any()
    session.set_status(2, FrameStatus.REVIEWED)
    steps = list(session.propagate([obj], 4))
    assert [s.frame for s in steps] == list(range(5, 12))
    steps = list(session.propagate([obj], 0))
    assert steps[-1].frame == 2 and "reviewed" in steps[-1].reason


def test_a_sudden_area_jump_stops_the_object_and_asks_for_review():
    frames = moving_squares(10)
    frames[5, 10:40, 10:60] = RED  # the square merges with a big red region
    session, obj = clicked_session(frames=frames)
    blue = session.add_object().id
    session.set_clicks(0, blue, [Click(45, 70, True)])
    no_negatives = PropagationSettings(max_negative=0)  # a ring click would erase the region
    steps = list(session.propagate([obj, blue], 0, settings=no_negatives))
    red_steps = [s for s in steps if s.obj_id == obj]
    assert [s.frame for s in red_steps] == [1, 2, 3, 4, 5]
    failed = red_steps[-1]
    assert failed.stopped and not failed.ok and "area changed" in failed.reason
    assert failed.area_ratio > 2
    assert session.status(5) == failed.status == FrameStatus.NEEDS_REVIEW
    assert (session.labels[5] == obj).sum() == failed.area  # written for the user to fix
    assert not (session.labels[6] == obj).any()
    assert (session.labels[9] == blue).sum() == 360  # the other object went on
    assert steps[-1].done == steps[-1].total == len(steps)


def test_low_confidence_stops_the_object():
    session, obj = clicked_session(engine=ColourEngine(confidence=0.55))
    (step,) = list(session.propagate([obj], 0))
    assert step.stopped and "confidence" in step.reason
    assert session.status(1) == FrameStatus.NEEDS_REVIEW


def test_propagation_is_lazy_and_can_be_stopped():
    session, obj = clicked_session()
    run = session.propagate([obj], 0)
    assert not session.labels[1].any()  # nothing runs before iteration
    next(run)
    next(run)
    run.close()
    assert (session.labels[2] == obj).any() and not session.labels[3].any()


def test_engine_switch_mid_run_never_mixes_results():
    session, obj = clicked_session()
    run = session.propagate([obj], 0)
    next(run)
    session.set_engine(ColourEngine(tag="other"))
    with pytest.raises(StaleResultError):
        next(run)
    assert not session.labels[2].any()


def test_bad_requests_are_refused_at_once():
    session, obj = clicked_session()
    with pytest.raises(KeyError):
        session.propagate([obj, 99], 0)
    with pytest.raises(ValueError):
        session.propagate([obj], 0, direction=2)
    with pytest.raises(ValueError):
        session.propagate([obj], 0, n_frames=0)
    with pytest.raises(ValueError):
        PropagationSettings(max_area_ratio=0.5)


def test_slow_drift_stops_the_object_where_its_area_left_the_range():
    frames = moving_squares(8)
    frames[:, 20:32] = (40, 40, 40)  # remove the moving square, draw a shrinking one
    for t, side in enumerate([20, 18, 16, 14, 12, 10, 8, 6]):
        frames[t, 10 : 10 + side, 10 : 10 + side] = RED
    session = AnnotationSession(frames, ColourEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(12, 12, True)])
    steps = list(session.propagate([obj], 0, settings=PropagationSettings(max_negative=0)))
    assert [s.ok for s in steps] == [True, True, True, True, False]
    assert all(0.5 <= s.area_ratio <= 2 for s in steps)  # every single step looks fine
    assert "drifted" in steps[-1].reason and session.status(5) == FrameStatus.NEEDS_REVIEW


def test_reading_while_a_worker_propagates_is_safe():
    import threading

    session, obj = clicked_session(n_frames=40)
    errors = []

    def work():
        try:
            list(session.propagate([obj], 0))
        except Exception as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive():
        session.statuses()
        assert session.objects
        session.frames_of(obj)
        session.labels[0:40:7]
        session.dirty_frames()
    worker.join()
    assert errors == []
    assert len(session.statuses()) == 40


def test_propagation_uses_only_the_public_session_api():
    tree = ast.parse(inspect.getsource(propagation))
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "session"
    }
    assert {"locked", "record", "check_current"} <= used
    assert not [name for name in used if name.startswith("_")]
