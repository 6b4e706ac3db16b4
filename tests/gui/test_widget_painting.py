"""Painting by hand on the "SkipClick labels" layer: napari's brush and eraser become session
edits (one undo step a stroke, saved), the brush paints the current object, a new label becomes a
new object, and a label of no object (a deleted one's) is refused with nothing changed."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt

from napari_skipclick._qt.keybindings import new_label_button
from napari_skipclick._qt.objects_panel import FRAMES_COLUMN, ID_COLUMN
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import Click, FrameStatus
from support.widget import labels_of, press_key, wait_idle

pytestmark = [pytest.mark.gui]


def _stroke(layer, points: list[tuple[int, int, int]], label: int) -> None:
    """Paint ``label`` with the layer's brush at ``points`` (frame, row, column) as one stroke,
    as napari does for a mouse drag (its paint event fires at the end)."""
    with layer.block_history():
        for point in points:
            layer.paint(point, label)


def test_a_brush_stroke_is_one_undoable_saved_edit_of_the_current_object(saving, qtbot):
    widget, path = saving
    controller = widget.controller
    pole = controller.add_object(name="pole").id
    layer = controller.layers.labels
    assert layer.selected_label == pole  # the brush paints the current object
    before = labels_of(controller, 0).copy()
    layer.brush_size = 3
    _stroke(layer, [(0, 150, 300), (0, 150, 302), (0, 150, 304)], layer.selected_label)
    painted = labels_of(controller, 0)
    assert (painted[149:152, 299:306] == pole).all()
    assert np.array_equal(painted[painted != pole], before[painted != pole])
    assert controller.session.status(0) == FrameStatus.CLICKED
    table = widget.objects_panel.table  # the stroke's end shows it in the objects' frames
    (row,) = [r for r in range(table.rowCount()) if table.item(r, ID_COLUMN).text() == str(pole)]
    assert table.item(row, FRAMES_COLUMN).text() == "0"
    assert controller.last_message.startswith("Frame 0: painted by hand")
    (edit,) = controller.session.history.next_edits()  # its end folded the dabs: one patch
    assert len(edit.changes) == 1 and edit.changes[0].box == (149, 152, 299, 306)
    assert controller.flush()
    with AnnotationStore.open(path) as store:
        assert np.array_equal(store.read_labels(0), painted)
    controller.undo()  # the whole stroke
    assert np.array_equal(labels_of(controller, 0), before)
    assert controller.flush()
    with AnnotationStore.open(path) as store:
        assert np.array_equal(store.read_labels(0), before)


def test_the_eraser_takes_pixels_off_the_object(saving):
    controller = saving[0].controller
    skier = controller.current_object
    layer = controller.layers.labels
    layer.brush_size = 5
    mask = labels_of(controller, 0) == skier
    y, x = (int(v) for v in np.argwhere(mask)[len(np.argwhere(mask)) // 2])
    _stroke(layer, [(0, y, x)], 0)
    after = labels_of(controller, 0) == skier
    assert not after[y - 1 : y + 2, x - 1 : x + 2].any()  # a disk 5 px across
    assert np.count_nonzero(mask & ~after) <= 25 and np.array_equal(after, mask & after)


def test_painting_with_a_new_label_adds_that_object(saving):
    controller = saving[0].controller
    layer = controller.layers.labels
    before = labels_of(controller, 0).copy()
    layer.selected_label = 9  # typed in the layer's label box: no object yet
    layer.brush_size = 3
    _stroke(layer, [(0, 300, 600), (0, 300, 603)], 9)
    info = controller.session.object(9)
    assert controller.current_object == 9 and info.class_name == controller.session.classes[0]
    assert controller.session.frames_of(9) == [0]
    assert (labels_of(controller, 0)[299:302, 599:605] == 9).all()
    assert controller.last_message.startswith("Added object 9 (")
    painted = labels_of(controller, 0).copy()
    controller.undo()  # one undo: the stroke and the object it made
    assert np.array_equal(labels_of(controller, 0), before)
    assert 9 not in controller.session.registry and controller.current_object != 9
    assert controller.last_message.startswith("Undid an edit on frame 0 and adding object 9 (")
    controller.redo()
    assert np.array_equal(labels_of(controller, 0), painted)
    assert controller.session.object(9) == info


def test_a_label_that_is_no_object_paints_nothing(saving, qtbot):
    controller = saving[0].controller
    gone = controller.add_object(name="gone").id
    controller.delete_object(gone)  # its ID is never given again (undo may bring it back)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    layer = controller.layers.labels
    before = labels_of(controller, 0).copy()
    layer.selected_label = gone
    layer.brush_size = 3
    _stroke(layer, [(0, 300, 600)], gone)
    assert np.array_equal(labels_of(controller, 0), before)
    assert f"Not painted: label {gone} is no object's ID" in controller.last_message
    assert not (np.asarray(layer._slice.image.raw) == gone).any()  # nor shown
    assert gone not in controller.session.registry


def test_a_stroke_on_a_frame_whose_click_waits_paints_nothing(saving, qtbot):
    controller = saving[0].controller
    skier = controller.current_object
    clicks = [*controller.clicks(0, skier), Click(160, 330, True)]
    controller.submit_clicks(0, skier, clicks)  # decoded in a worker: its mask comes later
    assert controller.edits.pending(0, skier) == clicks
    layer = controller.layers.labels
    before = labels_of(controller, 0).copy()
    layer.brush_size = 3
    _stroke(layer, [(0, 300, 600)], skier)  # the mask decoded later would replace it
    assert "Not painted: a click on frame 0 waits for its mask" in controller.last_message
    assert np.array_equal(labels_of(controller, 0), before)
    wait_idle(qtbot, controller)
    assert controller.clicks(0, skier) == clicks
    _stroke(layer, [(0, 300, 600)], skier)  # once it shows
    assert (labels_of(controller, 0)[299:302, 599:602] == skier).all()


def test_choosing_an_object_or_its_label_keeps_both_in_step(saving):
    controller = saving[0].controller
    skier = controller.current_object
    pole = controller.add_object(name="pole").id
    layer = controller.layers.labels
    assert layer.selected_label == pole
    layer.selected_label = skier
    assert controller.current_object == skier
    controller.select_object(pole)
    assert layer.selected_label == pole
    layer.selected_label = 42  # no object: the current one stays
    assert controller.current_object == pole


def test_m_on_the_labels_layer_adds_an_object_to_paint(saving, qtbot):
    controller = saving[0].controller
    viewer = controller.viewer
    viewer.layers.selection.active = controller.layers.labels
    press_key(qtbot, viewer, Qt.Key.Key_M)  # napari's "new label" there: here a new object
    new = controller.session.objects[-1].id
    assert len(controller.session.objects) == 2
    assert controller.current_object == new == controller.layers.labels.selected_label


def test_the_new_button_of_the_labels_controls_adds_an_object(saving, qtbot):
    controller = saving[0].controller
    button = new_label_button(controller.layers.labels)
    assert button is not None and button.text() == "new"
    button.click()  # napari's own slot cannot find a free label in this layer's data
    new = controller.session.objects[-1].id
    assert len(controller.session.objects) == 2
    assert controller.current_object == new == controller.layers.labels.selected_label


def test_the_new_button_is_napari_s_again_once_the_widget_is_closed(saving, qtbot):
    """It still called the closed widget ("Start a session first"), napari's action gone."""
    import numpy as np

    widget = saving[0]
    controller = widget.controller
    layer = controller.layers.labels
    button = new_label_button(layer)
    widget.close()
    said = controller.last_message
    layer.data = np.full((2, 8, 8), 6, np.int32)  # a plain labels layer now
    button.click()
    assert layer.selected_label == 7 and controller.last_message == said


def test_a_refused_stroke_warns_once_not_once_a_dab(saving, qtbot, monkeypatch):
    """napari writes a stroke in dabs: a refused stroke warned once per dab (a brush drag
    across the frame: a pile of notifications); once a stroke now, and the next stroke again."""
    from napari_skipclick._qt import messages

    warned: list[str] = []
    monkeypatch.setattr(messages, "show_warning", warned.append)
    controller = saving[0].controller
    skier = controller.current_object
    controller.submit_clicks(0, skier, [*controller.clicks(0, skier), Click(160, 330, True)])
    layer = controller.layers.labels
    before = labels_of(controller, 0).copy()
    layer.brush_size = 3
    _stroke(layer, [(0, 300, x) for x in range(560, 600, 4)], skier)
    assert warned == ["Not painted: a click on frame 0 waits for its mask: paint once it shows"]
    assert np.array_equal(labels_of(controller, 0), before)
    _stroke(layer, [(0, 320, x) for x in range(560, 600, 4)], skier)
    assert len(warned) == 2  # a new stroke is told again
    wait_idle(qtbot, controller)
    _stroke(layer, [(0, 300, 600), (0, 300, 603)], skier)  # once the mask shows: painted
    assert (labels_of(controller, 0)[299:302, 599:605] == skier).all() and len(warned) == 2


def test_a_stroke_while_propagation_runs_paints_nothing(saving, qtbot):
    controller = saving[0].controller
    controller.propagate(1, 10)
    assert controller.propagating
    layer = controller.layers.labels
    before = labels_of(controller, 0).copy()
    layer.brush_size = 3
    _stroke(layer, [(0, 300, 600)], controller.current_object)
    assert "Cannot paint while propagation runs" in controller.last_message
    assert np.array_equal(labels_of(controller, 0), before)
    assert not (np.asarray(layer._slice.image.raw)[299:302, 599:602] == before.max()).any()
    qtbot.waitUntil(lambda: not controller.propagating, timeout=300_000)
    wait_idle(qtbot, controller)


def test_the_fill_bucket_gives_an_object_region_to_the_current_object(saving):
    controller = saving[0].controller
    skier = controller.current_object
    mask = labels_of(controller, 0) == skier
    other = controller.add_object(name="other").id
    y, x = (int(v) for v in np.argwhere(mask)[0])
    controller.layers.labels.fill((0, y, x), other)  # napari's fill: the skier's piece there
    after = labels_of(controller, 0)
    assert after[y, x] == other and controller.session.frames_of(other) == [0]
    assert np.array_equal((after == other) | (after == skier), mask)  # within the skier only


def test_a_press_on_the_labels_layer_starts_a_new_stroke(saving):
    controller = saving[0].controller
    layer = controller.layers.labels
    obj = controller.current_object
    dab = np.full((1, 3, 3), obj, np.uint32)
    layer.data[0:1, 300:303, 600:603] = dab  # napari's write of a stroke whose end it never said
    layer.mouse_drag_callbacks[0](layer, None)  # the next press
    layer.data[0:1, 310:313, 600:603] = dab
    controller.undo()  # the second stroke alone
    frame = labels_of(controller, 0)
    assert (frame[300:303, 600:603] == obj).all() and not (frame[310:313, 600:603] == obj).any()


def test_an_undo_ends_a_stroke_napari_never_ended(saving):
    controller = saving[0].controller
    layer = controller.layers.labels
    obj = controller.current_object
    dab = np.full((1, 3, 3), obj, np.uint32)
    for x in (600, 604, 608):  # three dabs, no paint event, no press after them
        layer.data[0:1, 300:303, x : x + 3] = dab
    controller.undo()
    (edit,) = controller.session.history.next_edits(redo=True)  # folded first: one patch
    assert len(edit.changes) == 1 and edit.changes[0].box == (300, 303, 600, 611)
    assert not (labels_of(controller, 0)[300:303, 600:611] == obj).any()
