"""A napari Labels layer of the video's shape imported into the running session."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.types import FrameStatus
from support.widget import labels_of, wait_idle

pytestmark = [pytest.mark.gui]


def test_labels_layer_is_imported_as_objects_and_undone_in_one_step(annotator, qtbot):
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    data = np.zeros((127, 480, 854), np.uint8)
    data[3, 100:140, 200:260] = 7
    data[4, 102:142, 204:264] = 7
    data[4, 300:310, 500:600] = 9
    viewer.add_labels(data, name="model output")
    viewer.add_labels(np.zeros((5, 480, 854), np.uint8), name="wrong shape")
    assert [panel.import_combo.itemText(i) for i in range(panel.import_combo.count())] == [
        "model output"
    ]
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(4) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    session = controller.session
    np.testing.assert_array_equal(labels_of(controller, 3), data[3])
    np.testing.assert_array_equal(labels_of(controller, 4), data[4])
    named = {o.id: o.name for o in session.objects}
    assert named[7] == "model output 7" and named[9] == "model output 9"
    assert session.status(3) == FrameStatus.IMPORTED
    controller.undo()  # the whole import is one step
    assert not labels_of(controller, 3).any() and not labels_of(controller, 4).any()
