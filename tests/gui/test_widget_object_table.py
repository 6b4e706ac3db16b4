"""The objects table after reopening a store: one class box per row, each editing its object."""

from __future__ import annotations

import pytest
from qtpy.QtWidgets import QComboBox

from napari_skipclick.engines import create_engine
from support.widget import wait_idle

pytestmark = [pytest.mark.gui]


def _reopened(saving, qtbot, feature_cache):
    """The store reopened with two objects, rider (skier) and board."""
    widget, path = saving
    controller = widget.controller
    controller.add_class("rider")
    controller.add_class("board")
    controller.set_object_class(controller.current_object, "rider")
    controller.add_object(name="board", class_name="board")
    assert controller.flush()
    image = controller.layers.image_layer
    controller.close_session()
    controller.start_session(
        image, create_engine("embedded"), store_path=str(path), cache=feature_cache
    )
    wait_idle(qtbot, controller)
    return widget, controller


def test_a_refresh_leaves_only_the_rows_class_boxes_on_the_table(saving, qtbot, feature_cache):
    """Replaced class boxes stayed on the table's viewport, drawn over row 0, and live."""
    widget, controller = _reopened(saving, qtbot, feature_cache)
    panel = widget.objects_panel
    panel.refresh()  # as every object-list change does; no event loop runs in between
    table = panel.table
    cells = [table.cellWidget(row, 2) for row in range(table.rowCount())]
    shown = [box for box in table.viewport().findChildren(QComboBox) if not box.isHidden()]
    assert len(cells) == 2 and len(shown) == 2
    assert all(any(box is cell for cell in cells) for box in shown)
    assert [box.currentText() for box in cells] == ["rider", "board"]
    cells[1].setCurrentText("rider")  # the board row's box edits the board
    assert [o.class_name for o in controller.session.objects] == ["rider", "rider"]


def test_a_class_box_no_longer_in_the_table_edits_no_object(saving, qtbot, feature_cache):
    widget, controller = _reopened(saving, qtbot, feature_cache)
    table = widget.objects_panel.table
    stale = table.cellWidget(1, 2)
    table.setRowCount(1)  # the row goes; Qt deletes its box later
    stale.setCurrentText("rider")
    assert [o.class_name for o in controller.session.objects] == ["rider", "board"]
