"""The frame an undo shows: the one on screen when the edit changed it, else the nearest changed
one; a store reopens there."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from support.widget import wait_idle

pytestmark = [pytest.mark.gui]


def _deleted_from_frames(qtbot, controller, frames: range, on: int) -> int:
    """An object painted on ``frames``, deleted while frame ``on`` is shown; its ID."""
    obj = controller.add_object(name="board").id
    for t in frames:
        controller.session.paint(t, (240, 270, 250, 280), np.ones((30, 30), bool), obj)
    controller.go_to_frame(on)
    controller.delete_object(obj)
    wait_idle(qtbot, controller)
    assert obj not in {o.id for o in controller.session.objects}
    return obj


@pytest.mark.parametrize(("on", "shown"), [(10, 10), (20, 11)])
def test_undo_stays_on_the_frame_or_goes_to_the_nearest_changed(annotator, qtbot, on, shown):
    _, widget = annotator
    controller = widget.controller
    obj = _deleted_from_frames(qtbot, controller, range(12), on)
    controller.undo()
    wait_idle(qtbot, controller)
    assert obj in controller.session.ids_on(10)
    assert controller.frame == shown
    assert int(np.asarray(controller.layers.labels.data[shown])[255, 265]) == obj


def test_a_store_reopens_on_the_frame_an_undo_showed(saving, qtbot, feature_cache):
    widget, path = saving
    controller = widget.controller
    _deleted_from_frames(qtbot, controller, range(12), 10)
    controller.undo()
    wait_idle(qtbot, controller)
    assert controller.flush()
    image = controller.layers.image_layer
    controller.close_session()
    controller.go_to_frame(0)
    controller.start_session(
        image, create_engine("embedded"), store_path=str(path), cache=feature_cache
    )
    wait_idle(qtbot, controller)
    controller.go_to_last_edit()  # as opening a store in the app does
    assert controller.frame == 10
