"""Undo and redo in the widget do only cheap work on the GUI thread: the edit's frame is shown,
the object table and colours are rebuilt only when the object list changed."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._qt.objects_panel import FRAMES_COLUMN
from napari_skipclick.frame_lists import frame_ranges
from support.widget import click, labels_of, wait_idle

pytestmark = [pytest.mark.gui]


def test_undo_redo_show_the_edit_without_rebuilding_the_objects(annotator, qtbot, monkeypatch):
    _, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    controller.go_to_frame(3)
    wait_idle(qtbot, controller)
    click(qtbot, controller, 144, 335)
    on_3 = labels_of(controller, 3).copy()
    assert (on_3 == obj).any()
    controller.go_to_frame(0)
    wait_idle(qtbot, controller)

    def frames_cell() -> str:
        return widget.objects_panel.table.item(0, FRAMES_COLUMN).text()

    assert frames_cell() == frame_ranges([0, 3])
    rebuilt: list[str] = []
    monkeypatch.setattr(controller.layers, "set_objects", lambda objs: rebuilt.append("colours"))
    controller.objects_changed.connect(lambda: rebuilt.append("object table"))

    controller.undo()  # the edit of frame 3: the GUI goes there and shows it undone
    assert controller.frame == 3
    assert not (labels_of(controller, 3) == obj).any()
    assert frames_cell() == frame_ranges([0])
    controller.redo()
    np.testing.assert_array_equal(labels_of(controller, 3), on_3)
    assert frames_cell() == frame_ranges([0, 3])
    assert rebuilt == []  # the objects did not change: no colour map or table rebuilt
