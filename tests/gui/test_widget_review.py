"""Frames that need review in the real widget: N / Shift+N go to them and say why."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QPushButton, QWidget

from napari_skipclick.session.ready import not_carried
from napari_skipclick.types import Click, FrameStatus
from support.widget import click, labels_of, press_key, wait_idle

pytestmark = [pytest.mark.gui]


def review_button(panel: QWidget) -> QPushButton:
    """The frame panel's **Review ▶** button, whatever count it shows."""
    buttons = panel.findChildren(QPushButton)
    return next(b for b in buttons if b.text().startswith("Review ▶"))


def test_n_and_shift_n_go_to_the_frames_that_need_review_and_say_why(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    session = controller.session
    pole = controller.add_object(name="left pole").id
    session.set_status(3, FrameStatus.NEEDS_REVIEW)
    session.mark_carried(3, pole, "area changed by a factor 2.10 (limits 0.67-1.5)")
    session.set_status(7, FrameStatus.NEEDS_REVIEW)  # as from a store of an older version
    session.set_status(5, FrameStatus.PROPAGATED)

    press_key(qtbot, viewer, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: controller.frame == 3)
    assert "Frame 3 needs review (1 of 2): left pole: area changed by a factor 2.10" in (
        controller.last_message
    )
    wait_idle(qtbot, controller)
    controller.loader.ready.emit(3)  # frame 3's features arrive: the reason stays in sight
    assert controller.last_message.startswith("Frame 3 needs review (1 of 2): left pole")
    qtbot.waitUntil(lambda: "left pole: area changed" in widget.frame_panel.frame_label.toolTip())

    press_key(qtbot, viewer, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: controller.frame == 7)  # frame 5 passed the check
    message = controller.last_message
    assert "(2 of 2)" in message and "no reason kept" in message

    press_key(qtbot, viewer, Qt.Key.Key_N)  # nothing after frame 7: the frame stays
    assert controller.frame == 7
    assert controller.last_message.startswith("No frame after frame 7 needs review (2 in all)")

    press_key(qtbot, viewer, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: controller.frame == 3)

    session.set_status(3, FrameStatus.REVIEWED)  # accepted: it no longer needs review
    controller.statuses_changed.emit()
    qtbot.waitUntil(lambda: widget.frame_panel.frame_label.toolTip() == "")
    press_key(qtbot, viewer, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert controller.frame == 3 and "No frame before frame 3" in controller.last_message

    button = review_button(widget.frame_panel)
    assert button.text() == "Review ▶ (1)"  # frame 7 alone
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the panel's button
    qtbot.waitUntil(lambda: controller.frame == 7)


def test_the_frame_strip_shows_the_status_of_the_frame_on_screen_too(qtbot):
    """Its white marker covered the frame's cell: the status of the frame on screen was the
    one the strip never showed."""
    from qtpy.QtGui import QColor

    from napari_skipclick._qt.frame_panel import STATUS_COLORS, FrameStrip

    strip = FrameStrip()
    qtbot.addWidget(strip)
    strip.resize(100, 18)
    strip.set_state(10, 3, {3: FrameStatus.REVIEWED, 4: FrameStatus.NEEDS_REVIEW})
    image = strip.grab().toImage()
    assert (image.width(), image.height()) == (100, 18)

    def shows(x: int, y: int, name: str) -> bool:  # within a few levels (the screen's colours)
        got, want = image.pixelColor(x, y), QColor(name)
        pairs = ((got.red(), want.red()), (got.green(), want.green()), (got.blue(), want.blue()))
        return all(abs(a - b) <= 8 for a, b in pairs)

    x = 35  # the middle of frame 3's cell
    assert shows(x, 9, STATUS_COLORS[FrameStatus.REVIEWED])
    assert shows(x, 1, "white") and shows(x, 16, "white")
    assert shows(45, 1, STATUS_COLORS[FrameStatus.NEEDS_REVIEW])


def test_h_says_the_object_is_not_on_the_frame_and_propagation_keeps_off_it(annotator, qtbot):
    """A skier behind a gate panel: negative clicks on the mask propagation carried there
    left specks the frame then kept as yours, deleting the points let the next propagation
    put the mask back, and nothing said "not on this frame"."""
    viewer, widget = annotator
    controller = widget.controller
    session = controller.session
    skier = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    controller.propagate(1, 3)
    wait_idle(qtbot, controller)
    assert (labels_of(controller, 2) == skier).any()
    controller.go_to_frame(2)
    press_key(qtbot, viewer, Qt.Key.Key_H)
    assert not (labels_of(controller, 2) == skier).any()
    assert not session.clicks(2, skier) and controller.layers.prompts.data.size == 0
    assert skier in session.marks_on(2).absent
    assert (
        controller.last_message == f"Object {skier} (skier) marked not on frame 2; Ctrl+Z undoes it"
    )
    press_key(qtbot, viewer, Qt.Key.Key_H)  # again: no step to undo is made, and it says so
    assert controller.last_message == f"Object {skier} (skier) is marked not on frame 2 already"
    controller.go_to_frame(0)
    controller.propagate(1, 3)
    wait_idle(qtbot, controller)
    assert not (labels_of(controller, 2) == skier).any()  # propagation kept off frame 2
    assert (labels_of(controller, 1) == skier).any()
    controller.undo()  # the propagation
    controller.undo()  # the mark: the carried mask is back
    wait_idle(qtbot, controller)
    assert (labels_of(controller, 2) == skier).any() and not session.marks_on(2).absent
    buttons = {b.text(): b for b in widget.frame_panel.findChildren(QPushButton)}
    controller.go_to_frame(2)
    qtbot.mouseClick(buttons["Not here (H)"], Qt.MouseButton.LeftButton)  # the panel's button
    assert skier in session.marks_on(2).absent


def test_the_status_line_says_the_frame_on_screen_after_a_step(annotator, qtbot):
    """Stepping 35 -> 36 (features computed ahead) left "Frame 35: object 2 updated" on the
    status line: it says the frame on screen now, its status and its features' state; a
    message about no frame (or a review reason said after the step) stays."""
    _, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    assert controller.last_message == f"Frame 0: object {controller.current_object} updated"
    qtbot.waitUntil(lambda: 1 in controller.loader.ready_frames, timeout=60_000)
    controller.session.set_status(1, FrameStatus.NEEDS_REVIEW)
    controller.go_to_frame(1)
    assert controller.last_message == "Frame 1 (needs review): features ready"
    controller.go_to_frame(9)  # not computed ahead
    assert controller.last_message == "Frame 9 (empty): computing features …"
    wait_idle(qtbot, controller)
    assert controller.last_message == "Frame 9 (empty): features ready"
    controller.accept_frame()
    controller.go_to_frame(0)  # "Frame 9 reviewed" names the frame left
    assert controller.last_message == "Frame 0 (clicked): features ready"
    controller.toggle_sign()  # about no frame: it stays
    controller.go_to_frame(1)
    assert controller.last_message == "Next clicks are negative"
    controller.toggle_sign()


def test_n_finds_the_frames_a_run_went_on_to_write_after_an_object_stopped_in_doubt(
    make_napari_viewer, qtbot
):
    """The run went on for the other objects: those frames were *propagated*, the stopped
    object missing from them unmarked, N skipped them and the run's end said none needed
    review."""
    viewer, widget = _squares_annotated(make_napari_viewer, qtbot)
    controller, session = widget.controller, widget.controller.session
    red, blue = controller.add_object(name="red").id, controller.add_object(name="blue").id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    for t in (1, 2):  # from the frame after the one clicked: its motion across them is unknown
        session.mark_absent(t, red)
    controller.go_to_frame(0)
    controller.propagate(1, 5)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=60_000)
    finished = "Propagation finished: 5 frames, 3 need review, 1 to look at (N: the next one)"
    assert controller.last_message.startswith(finished)
    assert review_button(widget.frame_panel).text() == "Review ▶ (1)"  # counted at the end
    assert "red stopped: its motion is not known" in controller.last_message
    press_key(qtbot, viewer, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: controller.frame == 3)
    message = controller.last_message
    assert "Frame 3 needs review (1 of 1): red: stopped on frame 3 (its motion is not known" in (
        message
    )
    assert message.endswith("; not carried on frames 3–5")
    wait_idle(qtbot, controller)
    controller.close_session()


def test_review_counts_a_run_after_a_stop_once_and_goes_to_where_something_happened(
    annotator, qtbot
):
    """Skis that stopped on frame 2 left frames 3-8 in review for them: Review went to each of
    those frames in turn and gave no idea which of them needed a look."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.frame_panel
    session, button = controller.session, review_button(widget.frame_panel)
    skis = controller.add_object(name="skis").id
    skier = controller.add_object(name="skier").id
    why = _stopped_in_doubt_on_2(controller, skis, skier)
    assert [session.status(t) for t in range(2, 9)] == [FrameStatus.NEEDS_REVIEW] * 7
    qtbot.waitUntil(lambda: button.text() == "Review ▶ (2)")

    controller.go_to_frame(0)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.frame == 2)
    assert viewer.dims.current_step[0] == 2
    assert controller.last_message == (
        f"Frame 2 needs review (1 of 2): skis: area changed by a factor 0.09; {why}; "
        "not carried after it (frames 3–8)"
    )
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.frame == 5)  # frames 3 and 4: the skis' run alone
    assert viewer.dims.current_step[0] == 5
    assert controller.last_message.startswith("Frame 5 needs review (2 of 2): skier: low")
    press_key(qtbot, viewer, Qt.Key.Key_N)  # frames 6-8: the run again, no stop of their own
    assert controller.frame == 5 and "No frame after frame 5 needs review (2 in all)" in (
        controller.last_message
    )
    assert "skis: stopped on frame 2" in panel.frame_label.toolTip()  # the frame's own reasons


def test_enter_on_the_frame_an_object_stopped_on_accepts_it_not_carried_after(annotator, qtbot):
    """Enter on the frame the poles stopped on left frames 3-8 in review for them: N went on
    to frame 3, Enter, then 4, … one Enter per frame, Review ▶ counting them all the while."""
    viewer, widget = annotator
    controller, button = widget.controller, review_button(widget.frame_panel)
    session = controller.session
    poles = controller.add_object(name="poles").id
    skier = controller.add_object(name="skier").id
    controller.go_to_frame(2)
    click(qtbot, controller, 144, 335)  # the skier, on the frame the poles stopped on
    _stopped_in_doubt_on_2(controller, poles, skier)
    qtbot.waitUntil(lambda: button.text() == "Review ▶ (2)")
    shown = labels_of(controller, 2).copy()

    press_key(qtbot, viewer, Qt.Key.Key_Return)
    assert controller.last_message == ("Frame 2 reviewed; poles accepted as not here on frames 3–8")
    qtbot.waitUntil(lambda: button.text() == "Review ▶ (1)")
    assert [session.status(t) for t in (3, 4, 6, 7, 8)] == [FrameStatus.PROPAGATED] * 5
    assert session.review_reasons(5) == {skier: "low confidence 0.42 (limit 0.6)"}
    assert np.array_equal(labels_of(controller, 2), shown)
    assert not any((labels_of(controller, t) == poles).any() for t in range(3, 9))
    press_key(qtbot, viewer, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: controller.frame == 5)  # the skier's frame, not frame 3
    controller.undo()  # one step: the frame and the poles' absence it accepted
    wait_idle(qtbot, controller)
    assert [session.status(t) for t in range(2, 9)] == [FrameStatus.NEEDS_REVIEW] * 7
    qtbot.waitUntil(lambda: button.text() == "Review ▶ (2)")


def test_accepting_a_reviewed_frame_again_records_no_undo_step(annotator, qtbot):
    """Enter pressed twice: the second took the next Ctrl+Z, which then changed nothing."""
    viewer, widget = annotator
    controller = widget.controller
    session = controller.session
    controller.add_object(name="skier")
    controller.go_to_frame(3)
    click(qtbot, controller, 144, 335)
    press_key(qtbot, viewer, Qt.Key.Key_Return)
    assert session.status(3) == FrameStatus.REVIEWED
    press_key(qtbot, viewer, Qt.Key.Key_Return)
    assert controller.last_message == "Frame 3 already reviewed"
    controller.undo()
    wait_idle(qtbot, controller)
    assert session.status(3) != FrameStatus.REVIEWED and labels_of(controller, 3).any()
    controller.undo()
    wait_idle(qtbot, controller)
    assert not labels_of(controller, 3).any()


def test_no_frame_to_review_gives_way_to_the_next_frame_stepped_to(annotator, qtbot):
    """*No frame after frame 10 needs review* stayed on the status line through frame steps."""
    viewer, widget = annotator
    controller = widget.controller
    controller.session.set_status(3, FrameStatus.NEEDS_REVIEW)
    controller.go_to_frame(10)
    press_key(qtbot, viewer, Qt.Key.Key_N)
    assert controller.last_message == "No frame after frame 10 needs review (1 in all)"
    controller.go_to_frame(11)
    assert controller.last_message.startswith("Frame 11 (")


def test_an_object_added_on_an_accepted_frame_is_propagated_onto_the_accepted_frames(
    make_napari_viewer, qtbot
):
    """Skis added on frame 112 after the skier was accepted on frames 100-126: propagating
    ran 0 frames ("frame 113 is reviewed"), so each frame had to be clicked."""
    _viewer, widget = _squares_annotated(make_napari_viewer, qtbot)
    controller, session = widget.controller, widget.controller.session
    red = controller.add_object(name="red").id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0))
    for t in range(1, 8):
        session.set_status(t, FrameStatus.REVIEWED)
    reds = [labels_of(controller, t) == red for t in range(8)]
    blue = controller.add_object(name="blue").id
    session.set_clicks(3, blue, [Click(45, 70, True)])
    controller.go_to_frame(3)
    controller.propagate(1, 3)  # both objects on frame 3: red stops at once, blue goes on
    qtbot.waitUntil(lambda: not controller.propagating, timeout=60_000)
    wait_idle(qtbot, controller)
    for t in (4, 5, 6):
        labels = labels_of(controller, t)
        assert (labels == blue).sum() == 12 * 30
        np.testing.assert_array_equal(labels == red, reds[t])
        assert session.review_reasons(t).keys() == {blue}
    assert not (labels_of(controller, 7) == blue).any()
    controller.close_session()


def _squares_annotated(make_napari_viewer, qtbot):
    """A viewer and the widget annotating 8 frames of moving squares."""
    from napari_skipclick._qt.widget import SkipClickWidget
    from support.engines import ColourEngine, moving_squares

    viewer = make_napari_viewer()
    image = viewer.add_image(moving_squares(8), rgb=True, name="squares")
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    controller = widget.controller
    controller.start_session(image, ColourEngine())
    wait_idle(qtbot, controller)
    return viewer, widget


def _stopped_in_doubt_on_2(controller, gear: int, skier: int) -> str:
    """Mark ``gear`` stopped in doubt on frame 2 and not carried on frames 3-8, and ``skier``
    in review on frame 5, as a run would; returns why the gear stopped."""
    session = controller.session
    why = "its track was in doubt on 10 frames in a row"
    session.mark_carried(2, gear, f"area changed by a factor 0.09; {why}")
    for t in range(3, 9):
        session.mark_carried(t, gear, not_carried(2, why, True))
    session.mark_carried(5, skier, "low confidence 0.42 (limit 0.6)")
    controller.statuses_changed.emit()
    return why
