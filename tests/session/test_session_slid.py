"""An object whose mask grows off it onto what is around it (a board seen from above whose
mask runs onto the rider's legs and the mountains), more than ``max_slid_growth`` times its
start area while the engine disagrees or its colours do not match, stops after
``max_slid_run`` frames instead of being written on every frame of the run; one that comes
closer grows as much, and goes on."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.carry import Carried
from napari_skipclick.session.propagation_settings import PropagationSettings
from napari_skipclick.session.quality import ShapeHistory
from napari_skipclick.session.stop_rules import slid
from napari_skipclick.types import FrameStatus
from support.scenes import approaching, spreading


def started(frames: np.ndarray, mask: np.ndarray) -> tuple[AnnotationSession, int]:
    """A session on ``frames`` with the object's true ``mask`` set on frame 0."""
    session = AnnotationSession(frames, create_engine("embedded"))
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(mask, obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    return session, obj


def test_a_mask_grown_onto_a_stain_stops():
    """Before, the square's mask, grown onto the stain, was written on every frame."""
    frames, masks = spreading()
    session, obj = started(frames, masks[0])
    steps = list(session.propagate([obj], 0))
    last = steps[-1]
    assert last.stopped and last.frame < len(frames) - 1
    assert "times its start area while the engine disagreed" in last.reason
    assert "on 3 frames in a row" in last.reason
    assert session.review_reasons(last.frame)[obj] == last.reason
    assert last.area > 1.5 * masks[0].sum()
    assert all(obj not in session.ids_on(t) for t in range(last.frame + 1, len(frames)))


def test_a_mask_grown_onto_a_stain_goes_on_without_the_rule():
    frames, masks = spreading()
    session, obj = started(frames, masks[0])
    settings = PropagationSettings(max_slid_run=0)
    steps = list(session.propagate([obj], 0, settings=settings))
    assert steps[-1].frame == len(frames) - 1 and not any(s.stopped for s in steps)


def test_an_object_coming_closer_goes_on():
    """It grows 4.3 times, each frame marked for its area, but the engine agrees and its
    colours stay its own."""
    frames, masks = approaching()
    session, obj = started(frames, masks[0])
    steps = list(session.propagate([obj], 0))
    assert steps[-1].frame == len(frames) - 1 and not any(s.stopped for s in steps)
    last = session.labels.read(len(frames) - 1) == obj
    assert (last & masks[-1]).sum() / (last | masks[-1]).sum() > 0.9


def test_only_a_grown_mask_the_engine_or_colours_disown_counts_as_slid():
    history = ShapeHistory([900], None, 900.0)
    settings = PropagationSettings()
    empty = np.zeros((4, 4), np.float32)

    def carried(engine: bool = True, colour: float | None = 0.9, **kw: bool) -> Carried:
        refusal = None if engine else "the engine's mask was refused"
        return Carried(empty, empty, [], 0.9, 0.9, refusal, 0.9, colour_match=colour, **kw)

    assert slid(1351, carried(colour=0.6), history, settings, hidden=False)
    assert slid(1351, carried(engine=False), history, settings, hidden=False)
    assert not slid(1350, carried(colour=0.6), history, settings, hidden=False)
    assert not slid(1351, carried(), history, settings, hidden=False)  # coming closer
    assert not slid(1351, carried(colour=None), history, settings, hidden=False)
    assert not slid(1351, carried(engine=False, coasting=True), history, settings, False)
    assert not slid(1351, carried(engine=False), history, settings, hidden=True)
    off = PropagationSettings(max_slid_run=0)
    assert not slid(1351, carried(colour=0.6), history, off, hidden=False)


def test_max_slid_growth_and_run_are_checked():
    with pytest.raises(ValueError, match="max_slid_growth"):
        PropagationSettings(max_slid_growth=0.9)
    with pytest.raises(ValueError, match="max_slid_run"):
        PropagationSettings(max_slid_run=-1)
