"""Deleting objects in the widget: the frames are read and cleared in a worker (a long video's
delete would pause the viewer), Escape puts back the object being deleted, and clicks wait."""

from __future__ import annotations

import threading

import pytest

from napari_skipclick.types import Click
from support.widget import click, labels_of, wait_idle, watch_steps

pytestmark = [pytest.mark.gui]


def _two_objects(qtbot, controller) -> tuple[int, int]:
    """The skier clicked on frame 0 and a second object on frames 0 and 3."""
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    skier = controller.current_object
    other = controller.add_object(name="pole").id
    click(qtbot, controller, 300, 600)
    controller.session.set_clicks(3, other, [Click(300, 600, True)])
    return skier, other


def test_objects_are_deleted_in_a_worker(annotator, qtbot):
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    _, other = _two_objects(qtbot, controller)
    on_gui = watch_steps(controller.session, "deleting")
    panel.table.selectAll()
    panel.delete_selected()
    assert controller.background_edit is not None and not controller.idle
    assert "working" in widget.frame_panel.frame_label.text()
    assert controller.last_message == "Wait while objects are deleted (Escape cancels)"
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert "working" not in widget.frame_panel.frame_label.text()
    assert on_gui and not any(on_gui)
    assert controller.session.objects == [] and panel.table.rowCount() == 0
    assert not labels_of(controller, 0).any() and controller.current_object is None
    assert controller.last_message == "Deleted 2 object(s)"
    controller.undo()  # each object is its own step: the last one deleted comes back
    assert [o.id for o in controller.session.objects] == [other]
    assert controller.session.frames_of(other) == [0, 3]
    wait_idle(qtbot, controller)
    assert controller.last_message == f"Undid deleting object {other} (pole) from 2 frames"


def test_undoing_a_deletion_counts_the_frames_the_object_was_on(annotator, qtbot):
    """Review notes of the object (a propagation's stop: "not carried here") on frames it had
    no mask on go with it, but it was not on those frames."""
    _, widget = annotator
    controller = widget.controller
    _, other = _two_objects(qtbot, controller)
    for t in range(4, 9):
        controller.session.mark_carried(t, other, "not carried here")
    controller.delete_object(other)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert all(other not in controller.session.review_reasons(t) for t in range(4, 9))
    controller.undo()
    wait_idle(qtbot, controller)
    assert controller.session.frames_of(other) == [0, 3]
    assert controller.last_message == f"Undid deleting object {other} (pole) from 2 frames"
    assert controller.session.review_reasons(6) == {other: "not carried here"}


def test_escape_puts_back_the_object_being_deleted(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    skier, other = _two_objects(qtbot, controller)
    before = labels_of(controller, 0).copy()
    gate = threading.Event()
    watch_steps(controller.session, "deleting", gate)
    run = controller.delete_object(other)
    assert run is not None
    click_refused = controller._refuse_while_busy("edit clicks")
    controller.cancel()  # Escape
    gate.set()
    assert run.wait(30)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert click_refused
    assert [o.id for o in controller.session.objects] == [skier, other]
    assert (labels_of(controller, 0) == before).all()
    assert controller.session.frames_of(other) == [0, 3]
    assert controller.last_message == "Deleted 0 object(s); cancelled, 1 object(s) kept"
    wait_idle(qtbot, controller)


def test_the_next_object_in_the_list_is_current_once_the_current_one_is_deleted(annotator, qtbot):
    """As in any list, the row after a deleted one is selected (the one before it at the end),
    after a deletion and after its redo."""
    _, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    first, middle, last = (controller.add_object(name=n).id for n in ("skier", "ski", "pole"))
    controller.select_object(middle)
    controller.delete_object(middle)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert controller.current_object == last and panel.selected_ids() == [last]
    controller.undo()
    wait_idle(qtbot, controller)
    controller.select_object(middle)
    controller.redo()  # the deletion again
    wait_idle(qtbot, controller)
    assert controller.current_object == last
    controller.delete_object(last)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert controller.current_object == first  # the last row went: the one before it
