"""New objects in the widget once an object has ID 65535, the largest."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._qt import messages
from napari_skipclick.checks import MAX_OBJECT_ID
from napari_skipclick.types import ObjectInfo
from support.widget import click, labels_of, wait_idle

pytestmark = [pytest.mark.gui]


def test_after_id_65535_m_and_clicks_make_objects_until_no_id_is_free(
    annotator, qtbot, monkeypatch
):
    """M, Add object and a first click raised "ID 65536 is above 65535" (a traceback)."""
    viewer, widget = annotator
    controller = widget.controller
    theirs = np.zeros(controller.layers.labels.data.shape, np.uint16)
    theirs[0, 300:320, 600:640], theirs[0, :20] = 1, MAX_OBJECT_ID  # 65535: "ignore"
    controller.import_labels(viewer.add_labels(theirs, name="theirs"))
    wait_idle(qtbot, controller)
    assert [o.id for o in controller.session.objects] == [1, MAX_OBJECT_ID]
    controller.undo()  # the import taken back: its IDs stay given
    wait_idle(qtbot, controller)
    assert controller.current_object is None and not controller.session.objects
    taken = [ObjectInfo(i, f"o{i}", "object", (9, 9, 9)) for i in range(3, MAX_OBJECT_ID)]
    controller.session.import_objects(taken)
    controller.undo()  # every ID but 2 given, no object listed
    wait_idle(qtbot, controller)
    click(qtbot, controller, 144, 335)  # a click with no current object: a new one
    assert controller.current_object == 2 and (labels_of(controller, 0) == 2).any()
    controller.undo()  # the click and its object taken back
    wait_idle(qtbot, controller)
    assert controller.current_object is None
    warned: list[str] = []
    monkeypatch.setattr(messages, "show_warning", warned.append)
    points, before = len(controller.layers.prompts.data), labels_of(controller, 0).copy()
    click(qtbot, controller, 60, 100)
    assert controller.add_object() is None
    assert len(warned) == 2 and all("object IDs are taken" in w for w in warned)
    assert len(controller.layers.prompts.data) == points  # the refused click's point went
    assert controller.current_object is None
    assert not controller.session.objects
    assert np.array_equal(labels_of(controller, 0), before)


def test_after_id_65535_painting_with_a_label_never_given_adds_that_object(saving, qtbot):
    """Painting with label 9 was refused as a deleted object's label once 65535 was given."""
    controller = saving[0].controller
    skier = controller.current_object
    gone = controller.add_object(name="gone").id
    controller.add_object(obj_id=MAX_OBJECT_ID)
    controller.delete_object(gone)  # its ID stays given
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    layer = controller.layers.labels
    layer.brush_size = 3
    layer.selected_label = 9  # typed in the layer's label box: never given
    with layer.block_history():
        layer.paint((0, 300, 600), 9)
    assert (labels_of(controller, 0)[299:302, 599:602] == 9).all()
    assert controller.session.object(9).id == 9 and controller.current_object == 9
    assert [o.id for o in controller.session.objects] == [skier, 9, MAX_OBJECT_ID]
    before = labels_of(controller, 0).copy()
    layer.selected_label = gone
    with layer.block_history():
        layer.paint((0, 200, 500), gone)
    assert np.array_equal(labels_of(controller, 0), before)  # a deleted object's ID: refused
    assert f"label {gone} is no object's ID" in controller.last_message
