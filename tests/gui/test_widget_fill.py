"""Filling between keyframes in the real widget: the buttons, Shift+F / Shift+B, *Fill all*,
one undo step, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QPushButton

from napari_skipclick.types import FrameStatus
from support.widget import labels_of, press_key, simulated_clicks, wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_shift_f_fills_the_frames_between_two_keyframes_from_both_ends(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    session = controller.session
    skier = controller.add_object(name="skier").id
    simulated_clicks(qtbot, controller, "skier", 0.5, max_clicks=4)
    # the annotator's second keyframe: the skier carried to frame 6 and accepted there
    for _ in session.propagate([skier], 0, n_frames=6):
        pass
    session.set_status(6, FrameStatus.REVIEWED)
    controller.go_to_frame(8)
    press_key(qtbot, viewer, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert controller.last_message.startswith("No keyframe after frame 8")
    assert not controller.propagating

    controller.go_to_frame(3)
    wait_idle(qtbot, controller)
    press_key(qtbot, viewer, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert controller.propagating
    assert "Filling frames 1-5 from keyframes 0 and 6" in controller.last_message
    qtbot.waitUntil(lambda: not controller.propagating, timeout=300_000)
    wait_idle(qtbot, controller)
    # one undo step holds the five frames, each with the skier
    assert session.history.next_frames() == [1, 2, 3, 4, 5]
    for t in range(1, 6):
        assert session.status(t) in (FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)
        assert (labels_of(controller, t) == skier).sum() > 300, t
    # the status line says how many frames it wrote and how many of them need review
    review = sum(session.status(t) == FrameStatus.NEEDS_REVIEW for t in range(1, 6))
    # (one object: each of them is a frame to look at)
    counted = {0: "none needs review", 1: "1 needs review, 1 to look at (N: the next one)"}
    expected = counted.get(review, f"{review} need review, {review} to look at (N: the next one)")
    assert controller.last_message == f"Fill finished: 5 frames, {expected}"
    assert session.status(0) == FrameStatus.CLICKED and session.status(6) == FrameStatus.REVIEWED
    np.testing.assert_array_equal(labels_of(controller, 3), np.asarray(session.labels[3]))

    # on keyframe 6 there is no gap after it; the gap before it is the same one (Shift+B, or
    # the panel's button), and frame 0 has no gap before it
    buttons = {b.text(): b for b in widget.frame_panel.findChildren(QPushButton)}
    controller.go_to_frame(6)
    qtbot.mouseClick(buttons["Fill ▶"], Qt.MouseButton.LeftButton)
    assert controller.last_message.startswith("No keyframe after frame 6")
    qtbot.mouseClick(buttons["◀ Fill"], Qt.MouseButton.LeftButton)
    assert "Filling frames 1-5 from keyframes 0 and 6" in controller.last_message
    qtbot.waitUntil(lambda: not controller.propagating, timeout=300_000)
    wait_idle(qtbot, controller)
    assert session.history.next_frames() == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(labels_of(controller, 3), np.asarray(session.labels[3]))
    controller.go_to_frame(0)
    press_key(qtbot, viewer, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert controller.last_message.startswith("Nothing to fill: frame 0 is the video's first")

    # a third keyframe, 9, accepted as propagation left it: both gaps, 1-5 and 7-8, are
    # filled already, and *Fill all* leaves them as they are
    for _ in session.propagate([skier], 6, n_frames=3):
        pass
    session.set_status(9, FrameStatus.REVIEWED)
    qtbot.mouseClick(buttons["Fill all"], Qt.MouseButton.LeftButton)
    assert not controller.propagating
    assert controller.last_message.startswith("Every gap between keyframes is filled already (2)")
    # frame 8 left empty for the skier: that gap alone, in one run and undo step
    session.set_clicks(8, skier, [])
    qtbot.mouseClick(buttons["Fill all"], Qt.MouseButton.LeftButton)
    assert controller.last_message.startswith(
        "Filling 2 frames in 1 gap between keyframes (1 gap left as it was, filled already)"
    )
    qtbot.waitUntil(lambda: not controller.propagating, timeout=300_000)
    wait_idle(qtbot, controller)
    assert session.history.next_frames() == [7, 8]
    assert controller.last_message.startswith("Fill finished: 2 frames, ")
    assert controller.last_message.endswith("; 1 gap left as it was, filled already")
    assert (labels_of(controller, 8) == skier).sum() > 300
    # only the current object, which is on no keyframe: refused
    controller.add_object(name="pole")
    widget.frame_panel.current_only.setChecked(True)
    qtbot.mouseClick(buttons["Fill all"], Qt.MouseButton.LeftButton)
    assert controller.last_message.startswith("No two keyframes with frames between them")
    assert not controller.propagating
