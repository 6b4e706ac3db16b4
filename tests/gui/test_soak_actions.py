"""The soak's scripted user paints a new label as a user would: with the ID a new object gets."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.bench.gui_watch import ErrorLog, Heartbeat
from napari_skipclick.bench.soak_actions import SoakActions
from napari_skipclick.checks import MAX_OBJECT_ID
from support.widget import wait_idle

pytestmark = [pytest.mark.gui]


class NewLabels:
    """The soak's random draws, its stroke always one of a new label."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def choice(self, options, p=None):
        return "new label" if "new label" in options else self.rng.choice(options, p=p)

    def __getattr__(self, name: str):
        return getattr(self.rng, name)


def test_a_new_label_stroke_after_id_65535_paints_a_new_object(annotator, qtbot, tmp_path):
    """The soak painted ``registry.next_id``: 65536 once an object had 65535, a label the
    widget refuses, so its "new label" strokes made no object."""
    viewer, widget = annotator
    controller = widget.controller
    top = controller.add_object(name="ignore", obj_id=MAX_OBJECT_ID)
    assert top is not None and controller.session.registry.next_id == MAX_OBJECT_ID + 1
    actions = SoakActions(viewer, widget, Heartbeat(), ErrorLog(), tmp_path, seed=0)
    actions.homes[top.id] = (300.0, 600.0)
    actions._object = lambda: top.id  # the stroke starts on that object
    actions.rng = NewLabels(actions.rng)
    expected = controller.session.registry.new_id()
    actions.paint_stroke()
    wait_idle(qtbot, controller)
    ids = [o.id for o in controller.session.objects]
    assert ids == [expected, MAX_OBJECT_ID] and expected < MAX_OBJECT_ID
    assert (np.asarray(controller.session.labels.read(controller.frame)) == expected).any()
