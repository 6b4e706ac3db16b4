"""Keys typed in the dock: shortcuts pass through the objects table, Enter confirms a field and
does nothing else, Space never clicks a dock button."""

from __future__ import annotations

from qtpy.QtCore import Qt

from napari_skipclick.types import FrameStatus


def test_a_shortcut_letter_on_the_objects_table_runs_and_renames_nothing(annotator, qtbot):
    """T and R on the table opened the name editor and typed into it: Enter renamed the
    object "tr" while the shortcuts ran as well."""
    _, widget = annotator
    controller = widget.controller
    for name in ("skier", "ski"):
        controller.add_object(name=name)
    table = widget.objects_panel.table
    table.setFocus()
    table.setCurrentCell(0, 1)  # the Name cell, as a click on it leaves it
    positive, zoom = controller.positive, controller.zoom
    for key in (Qt.Key.Key_T, Qt.Key.Key_R, Qt.Key.Key_Return):
        qtbot.keyClick(table, key)
    assert [o.name for o in controller.session.objects] == ["skier", "ski"]
    assert table.item(0, 1).text() == "skier" and table.state() != table.State.EditingState
    assert controller.positive is not positive and controller.zoom is not zoom  # T and R ran


def test_enter_in_a_field_of_the_dock_does_not_mark_the_frame_reviewed(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    controller.go_to_frame(3)
    field = widget.objects_panel.class_edit
    field.setFocus()
    qtbot.keyClicks(field, "gate")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert "gate" in controller.session.classes
    assert controller.session.status(3) == FrameStatus.EMPTY  # it was *reviewed*


def test_space_after_a_dock_button_does_not_click_it_again(annotator, qtbot):
    """Space is napari's pan key: after **Add object** it added another object."""
    _, widget = annotator
    controller = widget.controller
    button = widget.objects_panel.add_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert len(controller.session.objects) == 1
    assert not button.hasFocus() and button.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_o_names_the_object_it_makes_current(annotator, qtbot):
    """O changed the current object and said nothing: the status line kept the last message."""
    from support.widget import press_key

    viewer, widget = annotator
    controller = widget.controller
    skier = controller.add_object(name="skier").id
    skis = controller.add_object(name="skis").id
    press_key(qtbot, viewer, Qt.Key.Key_O)
    assert controller.current_object == skier
    assert controller.last_message.startswith(f"Object {skier} (skier, class ")
    assert controller.last_message.endswith("is current: 1 of 2")
    assert widget.status_label.text() == controller.last_message
    press_key(qtbot, viewer, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert controller.current_object == skis
    assert controller.last_message.endswith("is current: 2 of 2")
