"""Undo and redo in the widget do only cheap work on the GUI thread: the edit's frame is shown,
the object table and colours are rebuilt only when the object list changed; an undo or redo of
many frames runs in a worker, and Escape cancels it with nothing changed."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_skipclick._qt.objects_panel import FRAMES_COLUMN
from napari_skipclick.frame_lists import frame_ranges
from napari_skipclick.types import FrameStatus
from support.widget import click, hold_back_features, labels_of, wait_idle, watch_steps

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


def _deleted_on_ten_frames(controller, edit_before=None) -> tuple[int, np.ndarray]:
    """An object with pixels on frames 0-9, deleted (one edit of ten frames: its undo is
    large), ``edit_before()`` (if given) the edit just before the deletion. Returns its id and
    its labels on frame 9."""
    session = controller.session
    obj = controller.add_object(name="pole").id
    for t in range(10):
        labels = np.zeros(session.frame_shape, session.labels.dtype)
        labels[100 + 5 * t : 160 + 5 * t, 300:306] = obj
        session.labels.set_frame(t, labels)
    on_9 = session.labels.read(9).copy()
    if edit_before is not None:
        edit_before()
    session.delete_object(obj)
    controller._after_history_change(None)
    return obj, on_9


def test_a_large_undo_and_redo_run_in_a_worker(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    obj, on_9 = _deleted_on_ten_frames(controller)
    on_gui = watch_steps(controller.session, "undoing")
    controller.undo()
    assert controller.background_edit is not None and not controller.idle
    assert controller._refuse_while_busy("edit clicks")  # clicks wait for it
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert len(on_gui) == 10 and not any(on_gui)
    assert [o.id for o in controller.session.objects] == [obj]
    np.testing.assert_array_equal(labels_of(controller, 9), on_9)
    assert controller.session.frames_of(obj) == list(range(10))
    assert widget.objects_panel.table.rowCount() == 1
    words = f"deleting object {obj} (pole) from 10 frames"
    assert controller.last_message == f"Undid {words}" and controller.frame == 0
    controller.redo()
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert len(on_gui) == 20 and not any(on_gui)
    assert controller.session.objects == [] and not labels_of(controller, 9).any()
    assert controller.last_message == f"Redid {words}"
    wait_idle(qtbot, controller)


def test_escape_cancels_a_large_undo_and_nothing_changes(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    obj, _ = _deleted_on_ten_frames(controller)
    gate = threading.Event()
    watch_steps(controller.session, "undoing", gate)
    controller.undo()
    run = controller.background_edit
    assert run is not None
    controller.cancel()  # Escape
    gate.set()
    assert run.wait(30)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert controller.session.objects == []
    assert not any(controller.session.labels.read(t).any() for t in range(10))
    assert controller.session.can_undo and not controller.session.can_redo
    assert controller.last_message == "Undo cancelled: nothing changed"
    controller.undo()  # the undo is still there to take
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert controller.session.frames_of(obj) == list(range(10))
    wait_idle(qtbot, controller)


def test_closing_during_a_large_undo_leaves_the_session_as_before_it(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    _deleted_on_ten_frames(controller)
    session = controller.session
    gate = threading.Event()
    watch_steps(session, "undoing", gate)
    controller.undo()
    threading.Timer(0.5, gate.set).start()  # the worker is in its first frame meanwhile
    controller.close_session()  # cancels the undo and waits for it, then saves
    assert controller.session is None and controller.background_edit is None
    assert session.objects == []
    assert not any(session.labels.read(t).any() for t in range(10))
    assert session.can_undo and not session.can_redo


def test_undos_asked_for_during_a_large_undo_follow_it(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    session = controller.session
    obj, _ = _deleted_on_ten_frames(
        controller, lambda: session.set_status(20, FrameStatus.REVIEWED)
    )
    gate = threading.Event()
    watch_steps(session, "undoing", gate)
    controller.undo()  # the deletion: in a worker, held at its first frame
    controller.undo()  # Ctrl+Z again meanwhile: queued, not refused
    assert controller.last_message == "Undo queued: an edit is undone"
    assert session.status(20) == FrameStatus.REVIEWED
    gate.set()
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    wait_idle(qtbot, controller)
    assert controller.session.frames_of(obj) == list(range(10))
    assert session.status(20) != FrameStatus.REVIEWED  # the queued undo followed
    assert controller.frame == 20  # the view went to the frame the queued undo changed


def test_one_undo_takes_back_a_first_click_and_the_object_it_made(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    assert controller.current_object is None and controller.session.objects == []
    click(qtbot, controller, 144, 335)  # no object yet: the click makes one
    obj = controller.current_object
    assert obj is not None and (labels_of(controller, 0) == obj).any()
    assert widget.objects_panel.table.rowCount() == 1
    controller.undo()
    assert controller.session.objects == [] and controller.current_object is None
    assert widget.objects_panel.table.rowCount() == 0
    assert not labels_of(controller, 0).any()
    assert controller.last_message.startswith(f"Undid an edit on frame 0 and adding object {obj}")
    assert controller.layers.prompts.data.size == 0
    controller.redo()
    assert [o.id for o in controller.session.objects] == [obj]
    assert (labels_of(controller, 0) == obj).any()
    assert widget.objects_panel.table.rowCount() == 1


def test_an_object_added_with_m_is_undone_on_its_own(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    skier = controller.add_object(name="skier").id
    pole = controller.add_object(name="pole").id
    click(qtbot, controller, 144, 335)
    gate = controller.add_object(name="gate").id
    assert controller.current_object == gate and widget.objects_panel.table.rowCount() == 3
    on_0 = labels_of(controller, 0).copy()
    controller.undo()
    assert [o.id for o in controller.session.objects] == [skier, pole]
    # the object current before M is current again (not the first listed)
    assert controller.current_object == pole and widget.objects_panel.table.rowCount() == 2
    assert controller.last_message == f"Undid adding object {gate} (gate)"
    np.testing.assert_array_equal(labels_of(controller, 0), on_0)  # the pole's mask stays
    controller.redo()
    assert controller.last_message == f"Redid adding object {gate} (gate)"
    assert [o.id for o in controller.session.objects] == [skier, pole, gate]


def test_undo_takes_back_a_click_still_waiting_on_another_frame_first(
    annotator, qtbot, monkeypatch
):
    """Ctrl+Z on frame 11 while a click on frame 10 waited for features undid the second click
    on frame 0; the waiting click then landed and that undo could never be redone."""
    _, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    obj = controller.current_object
    click(qtbot, controller, 144, 335)
    click(qtbot, controller, 166, 335)
    released = hold_back_features(monkeypatch, controller.session, 10)
    controller.go_to_frame(10)
    controller.layers.prompts.add([150, 330])
    controller.go_to_frame(11)
    assert controller.edits.pending(10, obj) is not None
    controller.undo()
    assert controller.last_message == "Undid clicks on frame 10 that were waiting for features"
    released[0] = True
    controller.edits.kick()
    wait_idle(qtbot, controller)
    assert len(controller.session.clicks(0, obj)) == 2  # the edits before it untouched
    assert controller.session.clicks(10, obj) == []
    controller.undo()  # the next one is frame 0's second click
    assert len(controller.session.clicks(0, obj)) == 1
    controller.redo()
    assert len(controller.session.clicks(0, obj)) == 2


def test_undo_takes_back_a_not_here_made_after_a_waiting_click_first(annotator, qtbot, monkeypatch):
    """The waiting click always went first: Ctrl+Z after *Not here* on frame 0 dropped the
    click made before it on frame 10 and left the mark."""
    controller = annotator[1].controller
    controller.add_object(name="skier")
    obj = controller.current_object
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    released = hold_back_features(monkeypatch, controller.session, 10)
    controller.go_to_frame(10)
    controller.layers.prompts.add([150, 330])
    controller.go_to_frame(0)
    controller.mark_absent()
    assert controller.session.marks_on(0).absent == {obj}
    controller.undo()
    assert controller.session.marks_on(0).absent == set()
    np.testing.assert_array_equal(labels_of(controller, 0), mask)
    assert controller.edits.pending(10, obj) is not None  # the click still waits
    controller.undo()  # now the waiting click is the newest action
    assert controller.last_message == "Undid clicks on frame 10 that were waiting for features"
    released[0] = True
    wait_idle(qtbot, controller)
    assert controller.session.clicks(10, obj) == [] and controller.session.clicks(0, obj)


def test_undo_takes_back_a_not_here_made_before_a_waiting_click_was_decoded_first(
    annotator, qtbot, monkeypatch
):
    """A click decoded after a *Not here* made while it waited was pushed above the mark:
    Ctrl+Z took back the click on frame 10, the older action, and left the mark on frame 0."""
    controller = annotator[1].controller
    controller.add_object(name="skier")
    obj = controller.current_object
    click(qtbot, controller, 144, 335)
    released = hold_back_features(monkeypatch, controller.session, 10)
    controller.go_to_frame(10)
    controller.layers.prompts.add([150, 330])
    controller.go_to_frame(0)
    controller.mark_absent()
    released[0] = True
    wait_idle(qtbot, controller)
    qtbot.waitUntil(lambda: controller.edits.pending(10, obj) is None, timeout=10_000)
    assert controller.session.clicks(10, obj)  # decoded after the mark
    controller.undo()
    assert controller.session.marks_on(0).absent == set()
    assert controller.session.clicks(10, obj)  # the click, made before the mark, stays
    controller.undo()
    assert controller.session.clicks(10, obj) == []
    assert not (labels_of(controller, 10) == obj).any()
