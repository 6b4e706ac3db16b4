"""The objects panel, colours, keyboard shortcuts and setup checks of the widget."""

from __future__ import annotations

import types

import dask
import numpy as np
import pytest
from app_model.types import KeyBinding, KeyCode
from qtpy.QtCore import Qt
from qtpy.QtGui import QColor

from napari_skipclick._qt.frames import LayerFrames
from napari_skipclick._qt.keybindings import SHORTCUTS
from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick.engines import create_engine
from napari_skipclick.frame_lists import frame_ranges
from napari_skipclick.session import color_for
from napari_skipclick.types import Click, FrameStatus
from support.widget import click, labels_of, press_key, wait_idle

pytestmark = [pytest.mark.gui]


def test_objects_made_without_m_are_of_the_class_selected_too(annotator, qtbot):
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    panel.class_edit.setText("pole")
    panel.add_class()
    assert panel.class_combo.currentText() == "pole" and controller.current_object is None
    click(qtbot, controller, 144, 335)  # the first click makes an object
    layer = controller.layers.labels
    layer.selected_label = 7  # a new label typed in the labels layer's controls
    with layer.block_history():
        layer.paint((0, 300, 600), 7)
    assert [(o.id, o.class_name) for o in controller.session.objects] == [(1, "pole"), (7, "pole")]


def test_objects_panel_add_rename_class_delete_and_undo(annotator, qtbot):
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    panel.class_edit.setText("athlete")
    panel.add_class()
    assert controller.session.classes == ["object", "athlete"]
    assert panel.class_combo.currentText() == "athlete"
    assert controller.last_message == "Added class athlete"
    panel.add_object()
    assert controller.last_message == "Added object 1 (athlete 1, class athlete)"
    panel.class_combo.setCurrentText("object")
    panel.add_object()
    first, second = controller.session.objects
    assert (first.id, first.class_name, second.class_name) == (1, "athlete", "object")
    assert controller.current_object == second.id
    assert panel.table.rowCount() == 2
    panel.table.item(0, 1).setText("skier")  # rename by editing the name cell
    assert controller.session.object(first.id).name == "skier"
    assert controller.last_message == f"Renamed object {first.id} ({first.name} → skier)"
    panel.table.item(0, 1).setText("   ")  # a blank name: refused, the name shown again
    assert panel.table.item(0, 1).text() == "skier"
    assert controller.last_message == f"An object needs a name: object {first.id} stays 'skier'"
    panel.table.item(0, 1).setText("skier ")  # the same name: no edit, no undo step
    assert controller.last_message.startswith("An object needs a name")
    panel.table.cellWidget(1, 2).setCurrentText("athlete")
    assert controller.session.object(second.id).class_name == "athlete"
    assert controller.last_message == f"Object {second.id} ({second.name}): class object → athlete"
    controller.undo()  # the class change, then the name: each an undo step
    assert controller.session.object(second.id).class_name == "object"
    assert panel.table.cellWidget(1, 2).currentText() == "object"
    assert controller.last_message == (
        f"Undid changing object {second.id}'s class (object → athlete)"
    )
    controller.undo()
    assert panel.table.item(0, 1).text() == controller.session.object(first.id).name != "skier"
    assert controller.last_message.startswith(f"Undid renaming object {first.id} (")
    controller.redo(), controller.redo()
    assert panel.table.item(0, 1).text() == "skier"
    assert panel.table.cellWidget(1, 2).currentText() == "athlete"
    panel.table.selectRow(0)
    assert controller.current_object == first.id
    click(qtbot, controller, 144, 335)
    assert panel.table.item(0, 3).text() == "0"
    # the labels layer and the table show object ID i in color_for(i); the table's swatch
    # (the ID cell's icon) stays visible on the selected row
    colormap = controller.layers.labels.colormap
    for row, info in enumerate(controller.session.objects):
        rgb = color_for(info.id)
        np.testing.assert_allclose(colormap.map(info.id)[..., :3], np.array(rgb) / 255)
        item = panel.table.item(row, 0)
        assert item.background().color() == QColor(*rgb)
        assert item.data(Qt.ItemDataRole.DecorationRole) == QColor(*rgb)
    assert color_for(first.id) != color_for(second.id)
    before = labels_of(controller, 0).copy()
    panel.delete_selected()  # in a worker
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert [o.id for o in controller.session.objects] == [second.id]
    assert not (labels_of(controller, 0) == first.id).any()
    controller.undo()  # the object comes back with its pixels and the same ID
    assert [o.id for o in controller.session.objects] == [first.id, second.id]
    np.testing.assert_array_equal(labels_of(controller, 0), before)
    # IDs are never reused
    assert controller.add_object().id == second.id + 1


def test_classes_are_renamed_and_removed_in_the_panel(annotator, qtbot):
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    panel.class_edit.setText("sky")
    panel.add_class()
    panel.add_object()  # of class "sky", the one chosen
    obj = controller.current_object
    panel.class_combo.setCurrentText("sky")
    panel.rename_class()  # no new name typed: says what to do
    assert controller.last_message == "Type the new name of class 'sky' first, then Rename"
    panel.class_edit.setText("ski")
    panel.rename_class()
    assert controller.session.classes == ["object", "ski"]
    assert controller.last_message == "Renamed class sky → ski"
    assert panel.class_combo.currentText() == "ski" and panel.class_edit.text() == ""
    assert panel.table.cellWidget(0, 2).currentText() == "ski"
    assert controller.session.object(obj).class_name == "ski"
    panel.remove_class()  # an object has it: refused, said why
    assert controller.session.classes == ["object", "ski"]
    assert controller.last_message.startswith("class 'ski' is the class of 1 object(s)")
    panel.class_combo.setCurrentText("object")
    panel.remove_class()
    assert controller.session.classes == ["ski"]
    assert controller.last_message == "Removed class object"
    assert [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())] == ["ski"]
    controller.undo()  # the removal: the class list in the panel follows
    assert controller.last_message == "Undid removing class object"
    assert [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())] == [
        "object",
        "ski",
    ]
    controller.undo()  # the rename: the object's class too
    assert controller.last_message == "Undid renaming class sky → ski"
    assert panel.table.cellWidget(0, 2).currentText() == "sky"
    assert controller.session.classes == ["object", "sky"]


def test_shortcuts_typed_on_the_canvas_act(annotator, qtbot):
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    for key, _, _ in SHORTCUTS:
        assert KeyBinding.from_int(key) in viewer.keymap
    press_key(qtbot, viewer, Qt.Key.Key_M)  # M: a new object, twice
    press_key(qtbot, viewer, Qt.Key.Key_M)
    ids = [o.id for o in controller.session.objects]
    assert len(ids) == 2 and panel.table.rowCount() == 2
    assert controller.current_object == ids[-1]
    press_key(qtbot, viewer, Qt.Key.Key_O)  # O: next object (wraps around)
    assert controller.current_object == ids[0]
    assert panel.selected_ids() == [ids[0]]
    press_key(qtbot, viewer, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)  # Shift+O: previous
    assert controller.current_object == ids[-1]
    press_key(qtbot, viewer, Qt.Key.Key_T)  # T: the next click is negative
    assert widget.frame_panel.sign_button.text() == "Clicks: negative (T)"
    prompts = controller.layers.prompts
    prompts.add([144, 335])
    wait_idle(qtbot, controller)
    assert controller.session.clicks(0, ids[-1]) == [Click(144.0, 335.0, False)]
    assert not labels_of(controller, 0).any()  # a lone negative click makes no mask
    press_key(qtbot, viewer, Qt.Key.Key_T)  # T again: positive
    prompts.add([144, 335])
    wait_idle(qtbot, controller)
    mask = labels_of(controller, 0).copy()
    assert (mask == ids[-1]).any()
    press_key(qtbot, viewer, Qt.Key.Key_Return)  # Enter: accept the frame
    assert controller.session.status(0) == FrameStatus.REVIEWED
    press_key(qtbot, viewer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the accept
    assert controller.session.status(0) == FrameStatus.CLICKED
    press_key(qtbot, viewer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the click
    assert not labels_of(controller, 0).any()
    assert len(prompts.data) == 1  # the negative click is shown again
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press_key(qtbot, viewer, Qt.Key.Key_Z, redo)  # Ctrl+Shift+Z: redo
    np.testing.assert_array_equal(labels_of(controller, 0), mask)
    press_key(qtbot, viewer, Qt.Key.Key_R)  # R: zoom mode
    assert controller.zoom and widget.frame_panel.zoom_button.isChecked()
    press_key(qtbot, viewer, Qt.Key.Key_R)
    wait_idle(qtbot, controller)
    widget.frame_panel.frames_spin.setValue(1)
    press_key(qtbot, viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # propagate
    assert controller.propagating
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    assert controller.session.status(1) != FrameStatus.EMPTY
    assert controller.session.status(2) == FrameStatus.EMPTY
    wait_idle(qtbot, controller)
    press_key(qtbot, viewer, Qt.Key.Key_Escape)  # Escape: cancel background work
    assert controller.last_message == "Nothing to cancel"  # it said "Cancelled"
    controller.propagate(1, 3)
    press_key(qtbot, viewer, Qt.Key.Key_Escape)
    assert controller.last_message == "Cancelled"
    widget.close()
    assert KeyBinding.from_int(KeyCode.KeyT) not in viewer.keymap


def test_shortcuts_act_whichever_session_layer_is_selected(annotator, qtbot):
    """napari's layer keys would take Enter and Escape on the Labels layer (its polygon tool)
    and O on the Image layer (a 3D plane): ours act there, except Enter and Escape while the
    Labels layer draws a polygon."""
    viewer, widget = annotator
    controller = widget.controller
    layers = controller.layers
    click(qtbot, controller, 144, 335)
    first = controller.current_object
    controller.add_object(name="second")
    for layer in (layers.labels, layers.prompts, layers.image_layer):
        viewer.layers.selection.active = layer
        controller.session.set_status(0, FrameStatus.CLICKED)
        press_key(qtbot, viewer, Qt.Key.Key_Return)  # Enter: accept the frame
        assert controller.session.status(0) == FrameStatus.REVIEWED, layer.name
        current = controller.current_object
        press_key(qtbot, viewer, Qt.Key.Key_O)  # O: the next object
        assert controller.current_object != current, layer.name
    controller.select_object(first)
    viewer.layers.selection.active = layers.labels
    layers.labels.mode = "polygon"  # napari's Enter closes the polygon there
    controller.session.set_status(0, FrameStatus.CLICKED)
    press_key(qtbot, viewer, Qt.Key.Key_Return)
    assert controller.session.status(0) == FrameStatus.CLICKED
    layers.labels.mode = "paint"
    press_key(qtbot, viewer, Qt.Key.Key_Return)
    assert controller.session.status(0) == FrameStatus.REVIEWED
    widget.frame_panel.frames_spin.setValue(20)
    press_key(qtbot, viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # propagate
    assert controller.propagating
    press_key(qtbot, viewer, Qt.Key.Key_Escape)  # Escape with the Labels layer selected
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    assert controller.last_message.startswith("Propagation cancelled")


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


def test_a_lazy_stack_of_images_of_other_sizes_is_named_at_its_frame():
    """napari's reader of a folder of photos promises every frame the first one's size: the
    frame that is not is refused with the reason (a click there failed on a mask shape)."""
    import dask.array as da

    from napari_skipclick._qt.frames import layer_frames

    sizes = [(40, 50), (30, 50), (40, 50)]
    parts = [
        da.from_delayed(
            dask.delayed(np.zeros)((*size, 3), np.uint8), shape=(40, 50, 3), dtype=np.uint8
        )
        for size in sizes
    ]
    layer = types.SimpleNamespace(
        data=da.stack(parts), rgb=True, contrast_limits=(0, 255), multiscale=False, metadata={}
    )
    frames = layer_frames(layer)
    assert frames[0].shape == (40, 50, 3)
    with pytest.raises(ValueError, match="frame 1 of the layer is 50x30, the layer says 50x40"):
        frames[1]


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
    # Apply while a propagation runs: refused (it cancelled the run without a word)
    controller.propagate(1, 2)
    assert controller.propagating
    engine = controller.session.engine
    widget._on_start_requested(controller.layers.image_layer, create_engine("embedded"), "")
    assert "Cannot apply new settings while propagation runs" in controller.last_message
    assert controller.propagating and controller.session.engine is engine
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)


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


def test_the_time_slider_is_labelled_frame(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    video = viewer.add_image(np.zeros((4, 20, 30, 3), np.uint8), rgb=True)
    widget = SkipClickWidget(viewer)
    assert list(viewer.dims.axis_labels) != ["frame", "-2", "-1"]
    assert widget.start(video, create_engine("embedded")) is not None
    assert list(viewer.dims.axis_labels) == ["frame", "-2", "-1"]
    widget.controller.go_to_frame(2)
    assert viewer.dims.current_step[0] == 2 and widget.controller.frame == 2
    wait_idle(qtbot, widget.controller)
    widget.controller.close_session()
    picture = make_napari_viewer()  # a single image has no time slider to name
    image = picture.add_image(np.zeros((20, 30, 3), np.uint8), rgb=True)
    single = SkipClickWidget(picture)
    assert single.start(image, create_engine("embedded")) is not None
    assert "frame" not in picture.dims.axis_labels
    wait_idle(qtbot, single.controller)
    single.controller.close_session()
