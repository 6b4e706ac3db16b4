"""The objects panel, colours, keyboard shortcuts and setup checks of the widget."""

from __future__ import annotations

import numpy as np
import pytest
from app_model.types import KeyBinding, KeyCode, KeyMod

from napari_skipclick._qt.frames import LayerFrames
from napari_skipclick._qt.keybindings import SHORTCUTS
from napari_skipclick._qt.panels.objects import frame_ranges
from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick.engines import create_engine
from support.widget import click, labels_of, wait_idle

pytestmark = [pytest.mark.gui]


def test_objects_panel_add_rename_class_delete_and_undo(annotator, qtbot):
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    panel.class_edit.setText("athlete")
    panel.add_class()
    assert controller.session.classes == ["object", "athlete"]
    assert panel.class_combo.currentText() == "athlete"
    panel.add_object()
    panel.class_combo.setCurrentText("object")
    panel.add_object()
    first, second = controller.session.objects
    assert (first.id, first.class_name, second.class_name) == (1, "athlete", "object")
    assert controller.current_object == second.id
    assert panel.table.rowCount() == 2
    panel.table.item(0, 1).setText("skier")  # rename by editing the name cell
    assert controller.session.object(first.id).name == "skier"
    panel.table.cellWidget(1, 2).setCurrentText("athlete")
    assert controller.session.object(second.id).class_name == "athlete"
    panel.table.selectRow(0)
    assert controller.current_object == first.id
    click(qtbot, controller, 144, 335)
    assert panel.table.item(0, 3).text() == "0"
    # the labels layer shows each object in the object's colour
    colormap = controller.layers.labels.colormap
    for info in controller.session.objects:
        np.testing.assert_allclose(colormap.map(info.id)[..., :3], np.array(info.color) / 255)
    before = labels_of(controller, 0).copy()
    panel.delete_selected()
    assert [o.id for o in controller.session.objects] == [second.id]
    assert not (labels_of(controller, 0) == first.id).any()
    controller.undo()  # the object comes back with its pixels and the same ID
    assert [o.id for o in controller.session.objects] == [first.id, second.id]
    np.testing.assert_array_equal(labels_of(controller, 0), before)
    # IDs are never reused
    assert controller.add_object().id == second.id + 1


def test_shortcuts_are_bound_and_act(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    for key, _, _ in SHORTCUTS:
        assert KeyBinding.from_int(key) in viewer.keymap
    press = {name: viewer.keymap[KeyBinding.from_int(key)] for key, name, _ in SHORTCUTS}
    press["new_object"](viewer)
    press["new_object"](viewer)
    ids = [o.id for o in controller.session.objects]
    assert controller.current_object == ids[-1]
    press["next_object"](viewer)
    assert controller.current_object == ids[0]
    press["previous_object"](viewer)
    assert controller.current_object == ids[-1]
    press["toggle_sign"](viewer)
    assert not controller.positive
    assert widget.frame_panel.sign_button.text() == "Clicks: negative (T)"
    press["toggle_sign"](viewer)
    press["zoom"](viewer)
    assert controller.zoom and widget.frame_panel.zoom_button.isChecked()
    press["zoom"](viewer)
    click(qtbot, controller, 144, 335)
    press["accept"](viewer)
    assert controller.session.status(0).value == "reviewed"
    redo = KeyBinding.from_int(KeyMod.CtrlCmd | KeyMod.Shift | KeyCode.KeyZ)
    assert redo in controller.layers.labels.keymap
    widget.close()
    assert KeyBinding.from_int(KeyCode.KeyT) not in viewer.keymap


def test_start_without_image_or_with_bad_store_explains(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    widget = SkipClickWidget(viewer)
    widget.setup_panel.request_start()  # no image layer: nothing starts
    assert widget.controller.session is None
    image = viewer.add_image(np.zeros((3, 20, 30, 3), np.uint8), rgb=True)
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert widget.start(image, create_engine("embedded"), str(not_a_dir / "store")) is None
    assert widget.controller.session is None
    assert widget.controller.last_message.startswith("Cannot start")


def test_layer_frames_convert_any_image_layer():
    gray = np.linspace(0, 1000, 2 * 4 * 5).reshape(2, 4, 5).astype(np.uint16)
    frames = LayerFrames(gray, rgb=False, contrast_limits=(0, 1000))
    assert frames.shape == (2, 4, 5, 3) and len(frames) == 2
    frame = frames[1]
    assert frame.dtype == np.uint8 and frame.shape == (4, 5, 3)
    assert frame[-1, -1, 0] == 255 and (frame[..., 0] == frame[..., 2]).all()
    single = LayerFrames(np.zeros((4, 5, 4), np.uint8), rgb=True, contrast_limits=(0, 255))
    assert single.shape == (1, 4, 5, 3) and single[-1].shape == (4, 5, 3)
    with pytest.raises(IndexError):
        single[1]
    with pytest.raises(ValueError, match="2D image or a"):
        LayerFrames(np.zeros((2, 2, 4, 5)), rgb=False, contrast_limits=(0, 1))
    assert frame_ranges([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"


def test_apply_switches_engine_keeps_work_and_uses_cache_setting(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    labels = labels_of(controller, 0).copy()
    old_engine = controller.session.engine
    panel = widget.setup_panel
    assert panel.start_button.text() == "Apply"
    panel.engine_combo.setCurrentText("random-walker")
    panel.cache_spin.setValue(300)
    panel.request_start()  # builds the engine in a worker, then switches
    qtbot.waitUntil(lambda: controller.session.engine is not old_engine, timeout=60_000)
    wait_idle(qtbot, controller)
    assert controller.session.engine.name == "random-walker"
    assert controller.session.cache is controller.cache
    assert controller.cache.max_bytes == 300 * 2**20
    np.testing.assert_array_equal(labels_of(controller, 0), labels)
    assert controller.session.clicks(0, obj)[0][:2] == (144.0, 335.0)
    click(qtbot, controller, 134, 363, positive=False)  # the new engine decodes the next click
    assert len(controller.session.clicks(0, obj)) == 2


def test_earlier_objects_keep_their_pixels_unless_overridden(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    first = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    owned = labels_of(controller, 0) == first
    second = controller.add_object(name="second").id
    click(qtbot, controller, 144, 335)  # the same spot: the first object keeps its pixels
    np.testing.assert_array_equal(labels_of(controller, 0) == first, owned)
    widget.frame_panel.override_box.setChecked(True)
    assert controller.override
    click(qtbot, controller, 145, 336)  # now the second object takes what its mask covers
    labels = labels_of(controller, 0)
    assert (labels == second).sum() > 0 and (owned & (labels == second)).any()
    assert (labels == first).sum() < owned.sum()
