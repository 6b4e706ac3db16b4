"""An object whose mask the engine keeps at a speck, far under the area expected, while
nothing seems to hide it (a skier gone behind a snow crest, a blob of snow carried on with
the camera) stops after ``max_shrunk_run`` frames, instead of being written on every frame of
the run, each marked *area drifted*; one that gets small slowly, or hides behind something it
coasts past, goes on."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.carry import Carried
from napari_skipclick.session.propagation_settings import PropagationSettings
from napari_skipclick.session.quality import ShapeHistory
from napari_skipclick.session.stop_rules import shrunk
from napari_skipclick.types import FrameStatus
from support.scenes import behind_crest, receding, riding_away, slow_crest


def started(frames: np.ndarray, mask: np.ndarray) -> tuple[AnnotationSession, int, int]:
    """A session on ``frames`` with the object's true ``mask`` and a still dark bar (its
    companion, carried with it) set on frame 0; returns it and both IDs."""
    session = AnnotationSession(frames, create_engine("embedded"))
    obj, bar = session.add_object().id, session.add_object(name="bar").id
    start = np.where(mask, obj, 0)
    start[5:25, 130:136] = bar
    frames[:, 5:25, 130:136] = 30
    session.labels.set_frame(0, start.astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    return session, obj, bar


def test_an_object_gone_behind_a_crest_stops_where_the_engine_keeps_a_speck():
    """Before, the speck of snow around the notch (about 420 pixels of the 1,936) was written
    on every frame to the end, each marked for its area."""
    frames, masks = behind_crest()
    session, obj, bar = started(frames, masks[0])
    steps = [s for s in session.propagate([obj, bar], 0) if s.obj_id == obj]
    last = steps[-1]
    assert last.stopped and last.frame < len(frames) - 1
    assert "pixels expected on 3 frames in a row" in last.reason
    assert session.review_reasons(last.frame)[obj] == last.reason
    for t in range(last.frame + 1, len(frames)):
        assert obj not in session.ids_on(t) and bar in session.ids_on(t)
        reason = session.review_reasons(t)[obj]
        assert reason == f"stopped on frame {last.frame} ({last.reason}); not carried here"


def test_an_object_getting_small_slowly_goes_on():
    """Its frames pass the checks as it shrinks, so the area expected follows it down."""
    frames, masks = receding()
    session, obj, _ = started(frames, masks[0])
    steps = list(session.propagate([obj], 0))
    assert steps[-1].frame == len(frames) - 1 and not any(s.stopped for s in steps)
    assert masks[-1].sum() <= masks[0].sum() / 9 and obj in session.ids_on(len(frames) - 1)


def test_an_object_a_slow_crest_rises_over_stops_where_its_colours_fade():
    """Each frame hides too little of it for its area checks, so the area expected followed
    the mask down: before, a patch of the crest's snow was written on every frame to the
    end, each marked for its colours only."""
    frames, masks = slow_crest()
    session, obj, bar = started(frames, masks[0])
    steps = [s for s in session.propagate([obj, bar], 0) if s.obj_id == obj]
    last = steps[-1]
    assert last.stopped and last.frame < 17  # the crest hides it whole from frame 15
    assert "colours matched the object's under 0.35" in last.reason
    assert "on 3 frames in a row" in last.reason
    for t in range(last.frame + 1, len(frames)):
        assert obj not in session.ids_on(t) and bar in session.ids_on(t)


def test_an_object_riding_away_goes_on_past_a_twenty_fifth_of_its_area():
    """Its area shrinks faster than the trend check allows, so its frames need review; the
    area expected follows its own scale, where before it stayed at the last frame that
    passed and the object stopped on frame 12, at about a sixth of its area."""
    frames, masks = riding_away()
    session, obj, _ = started(frames, masks[0])
    steps = list(session.propagate([obj], 0))
    assert steps[-1].frame == len(frames) - 1 and not any(s.stopped for s in steps)
    last = masks[-1]
    assert last.sum() * 25 < masks[0].sum()
    written = session.labels.read(len(frames) - 1) == obj
    assert (written & last).sum() >= 0.8 * last.sum() and written.sum() < 3 * last.sum()


def test_only_a_speck_nothing_hides_counts_as_shrunk():
    history = ShapeHistory([900], None, 900.0)
    settings = PropagationSettings()
    empty = np.zeros((4, 4), np.float32)

    def carried(coasting: bool = False) -> Carried:
        return Carried(empty, empty, [], 0.9, 0.9, None, 0.9, coasting=coasting)

    assert shrunk(299, carried(), history, settings, hidden=False)
    assert not shrunk(300, carried(), history, settings, hidden=False)
    assert not shrunk(0, carried(), history, settings, hidden=False)  # vanished: stops anyway
    assert not shrunk(10, carried(coasting=True), history, settings, hidden=False)
    assert not shrunk(10, carried(), history, settings, hidden=True)


def test_max_shrunk_run_must_be_positive():
    with pytest.raises(ValueError, match="max_shrunk_run"):
        PropagationSettings(max_shrunk_run=0)


def test_a_mask_whose_colours_fade_as_it_shrinks_counts_as_shrunk():
    history = ShapeHistory([900, 800, 700, 600, 500], None, 500.0)
    settings = PropagationSettings()
    empty = np.zeros((4, 4), np.float32)

    def carried(match: float | None) -> Carried:
        return Carried(empty, empty, [], 0.9, 0.9, None, 0.9, colour_match=match)

    assert "colours matched" in shrunk(450, carried(0.2), history, settings, hidden=False)
    assert shrunk(450, carried(0.5), history, settings, hidden=False) is None
    assert shrunk(450, carried(None), history, settings, hidden=False) is None
    # its area not below the one ``trend_frames`` before: a turn, a shadow
    assert shrunk(950, carried(0.2), history, settings, hidden=False) is None
