"""Clicks in the real widget on the sample video: masks per object, signs, outside clicks, undo."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from vispy.util import keys

from napari_skipclick._qt.prompt_points import NEGATIVE_COLOR, POSITIVE_COLOR
from napari_skipclick.types import Click, FrameStatus
from support.scenes import iou
from support.widget import (
    click,
    ground_truth,
    labels_of,
    press_key,
    simulated_clicks,
    wait_idle,
)

pytestmark = [pytest.mark.gui, pytest.mark.slow]

#: IoU with the frame-0 ground truth that the embedded engine reaches with simulated clicks
#: (at most 8 per object), thin objects first in zoom mode, as docs/usage.md advises (measured
#: without stopping at the target: skis 0.37 after 2 clicks, 0.57 after 8; skier 0.53 after 1,
#: 0.84 after 8; poles 0.12 from one click). Poles are two-pixel-wide lines that the weight-free
#: engine barely separates, so for them the test asks for overlap only.
MIN_IOU = {"skis": 0.3, "skier": 0.5}


def test_three_objects_on_frame0_match_ground_truth(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    ids = {}
    widget.frame_panel.zoom_button.click()  # zoom mode for the thin skis and poles
    assert controller.zoom
    ids["skis"] = controller.add_object(name="skis").id
    simulated_clicks(qtbot, controller, "skis", MIN_IOU["skis"])
    ids["poles"] = controller.add_object(name="poles").id
    click(qtbot, controller, 183, 408)  # the right pole's tip
    widget.frame_panel.zoom_button.click()
    ids["skier"] = controller.add_object(name="skier").id
    simulated_clicks(qtbot, controller, "skier", MIN_IOU["skier"])

    labels = labels_of(controller, 0)
    assert labels.dtype == np.uint16 and labels.shape == (480, 854)  # the layer gives uint16
    assert set(np.unique(labels)) == {0, *ids.values()}
    for name, minimum in MIN_IOU.items():
        assert iou(labels == ids[name], ground_truth(name)) >= minimum, name
    poles = labels == ids["poles"]
    assert (poles & ground_truth("poles")).any() and poles.sum() < 0.01 * poles.size
    assert controller.session.status(0) == FrameStatus.CLICKED
    assert [o.name for o in controller.session.objects] == ["skis", "poles", "skier"]
    # the prompts layer shows the current object's clicks, coloured by sign
    prompts = controller.layers.prompts
    controller.select_object(ids["poles"])
    assert len(prompts.data) == 1 and prompts.features["positive"].all()
    np.testing.assert_allclose(prompts.face_color, [POSITIVE_COLOR])
    assert prompts.face_color[0, 3] < 0.5  # see-through: the pole under the click stays seen
    controller.select_object(ids["skis"])
    skis_clicks = controller.session.clicks(0, ids["skis"])
    np.testing.assert_allclose(prompts.data, [(c.y, c.x) for c in skis_clicks])
    expected = [POSITIVE_COLOR if c.positive else NEGATIVE_COLOR for c in skis_clicks]
    np.testing.assert_allclose(prompts.face_color, expected)
    # the objects panel lists the three objects on frame 0
    table = widget.objects_panel.table
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == list(ids)
    assert all(table.item(r, 3).text() == "0" for r in range(table.rowCount()))


def _canvas_click(viewer, button: int = 1, modifiers: tuple = ()) -> None:
    """A mouse click in the middle of the canvas, through vispy as a user's click arrives."""
    canvas = viewer.window._qt_viewer.canvas._scene_canvas
    middle = (canvas.size[0] // 2, canvas.size[1] // 2)
    canvas.events.mouse_press(pos=middle, button=button, modifiers=modifiers)
    canvas.events.mouse_release(pos=middle, button=button, modifiers=modifiers)


def test_canvas_clicks_modifiers_and_toggle_set_the_sign(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    prompts = controller.layers.prompts
    assert viewer.layers.selection.active is prompts and prompts.mode == "add"
    _canvas_click(viewer)  # left click: positive
    _canvas_click(viewer, modifiers=(keys.CONTROL,))  # Ctrl-click: negative
    _canvas_click(viewer, button=2)  # right click: negative
    wait_idle(qtbot, controller)
    press_key(qtbot, viewer, Qt.Key.Key_T)  # T: the next clicks are negative ...
    prompts.add([190, 300])
    wait_idle(qtbot, controller)
    press_key(qtbot, viewer, Qt.Key.Key_T)  # ... and positive again
    prompts.add([144, 335])
    wait_idle(qtbot, controller)
    clicks = controller.session.clicks(0, controller.current_object)
    assert [c.positive for c in clicks] == [True, False, False, False, True]
    assert 0 <= clicks[0].y < 480 and 0 <= clicks[0].x < 854
    assert clicks[0][:2] == clicks[1][:2] == clicks[2][:2]  # the same canvas spot
    assert list(prompts.features["positive"]) == [c.positive for c in clicks]
    expected = [POSITIVE_COLOR if c.positive else NEGATIVE_COLOR for c in clicks]
    np.testing.assert_allclose(prompts.face_color, expected)


def test_clicks_outside_the_image_are_ignored_with_a_message(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    click(qtbot, controller, -25, 400)
    click(qtbot, controller, 200, 900)
    assert len(controller.layers.prompts.data) == 0
    assert "outside the 480x854 image" in controller.last_message
    assert "outside" in widget.status_label.text()
    assert not labels_of(controller, 0).any()
    assert controller.session.clicks(0, controller.current_object) == []
    assert controller.session.status(0) == FrameStatus.EMPTY
    click(qtbot, controller, 144, 335)  # a click inside still works afterwards
    assert (labels_of(controller, 0) == controller.current_object).any()


def test_a_click_past_the_videos_end_is_ignored_with_a_message(annotator, qtbot):
    """A longer video in the viewer sets the slider's range: on frame 200 of it, a click on
    the 127-frame clip went to its frame 126, not on screen."""
    viewer, widget = annotator
    controller = widget.controller
    viewer.add_image(np.zeros((220, 480, 854), np.uint8), name="longer")
    viewer.layers.selection.active = controller.layers.prompts
    controller.add_object(name="skier")
    viewer.dims.set_current_step(0, 200)
    click(qtbot, controller, 144, 335)
    assert "Frame 200 is past the annotated video's end (0-126)" in controller.last_message
    assert len(controller.layers.prompts.data) == 0
    assert not labels_of(controller, 126).any() and not controller.session.clicks(126, 1)


def test_undo_redo_restore_clicks_and_masks_exactly(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    states = [(labels_of(controller, 0).copy(), [])]
    for y, x, positive in ((144, 335, True), (134, 363, False), (188, 358, True)):
        click(qtbot, controller, y, x, positive)
        states.append((labels_of(controller, 0).copy(), controller.session.clicks(0, obj)))
    assert len({s[0].tobytes() for s in states}) == 4

    def check(index: int) -> None:
        labels, clicks = states[index]
        np.testing.assert_array_equal(labels_of(controller, 0), labels)
        assert controller.session.clicks(0, obj) == clicks
        shown = controller.layers.prompts.data.reshape(-1, 2)
        np.testing.assert_allclose(shown, np.reshape([c[:2] for c in clicks], (-1, 2)))

    ctrl = Qt.KeyboardModifier.ControlModifier
    for index in (2, 1, 0):
        press_key(qtbot, viewer, Qt.Key.Key_Z, ctrl)  # Ctrl+Z
        check(index)
    assert controller.session.status(0) == FrameStatus.EMPTY
    for index in (1, 2, 3):
        controller.redo()
        check(index)
    # Ctrl+Z with the labels layer active (whose own Ctrl+Z would paint-undo) reaches the
    # session too, and leaves the labels layer's data as the session has it
    viewer.layers.selection.active = controller.layers.labels
    press_key(qtbot, viewer, Qt.Key.Key_Z, ctrl)
    check(2)


def test_moving_or_deleting_a_point_decodes_again(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    click(qtbot, controller, 134, 363, positive=False)
    prompts = controller.layers.prompts
    before = labels_of(controller, 0).copy()
    prompts.data = np.array([[144.0, 335.0], [190.0, 355.0]])  # drag the negative click
    wait_idle(qtbot, controller)
    assert controller.session.clicks(0, obj) == [
        Click(144.0, 335.0, True),
        Click(190.0, 355.0, False),
    ]
    moved = labels_of(controller, 0).copy()
    assert not np.array_equal(moved, before)
    prompts.selected_data = {1}
    prompts.remove_selected()
    wait_idle(qtbot, controller)
    assert controller.session.clicks(0, obj) == [Click(144.0, 335.0, True)]
    assert len(prompts.data) == 1 and prompts.features["positive"].tolist() == [True]


def test_zoom_mode_refines_your_clicked_mask_and_leaves_other_frames_alone(annotator, qtbot):
    """R refines the current object where you clicked it; on a reviewed frame or one that
    propagation filled it only switches the mode (no mask, click or status changes)."""
    _, widget = annotator
    controller = widget.controller
    session = controller.session
    controller.add_object(name="skis")
    click(qtbot, controller, 195, 364)
    skis = controller.current_object
    controller.propagate(1, 1)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    controller.accept_frame()  # frame 0: reviewed
    before = {t: (labels_of(controller, t).copy(), session.clicks(t, skis)) for t in (0, 1)}
    statuses = {t: session.status(t) for t in (0, 1)}
    for t in (0, 1):
        controller.go_to_frame(t)
        wait_idle(qtbot, controller)
        controller.toggle_zoom()
        wait_idle(qtbot, controller)
        assert controller.zoom and controller.last_message == "Zoom mode on"
        assert session.status(t) == statuses[t] and session.clicks(t, skis) == before[t][1]
        np.testing.assert_array_equal(labels_of(controller, t), before[t][0])
        controller.toggle_zoom()
    session.set_status(0, FrameStatus.CLICKED)  # your frame again: R refines it in a crop
    controller.go_to_frame(0)
    wait_idle(qtbot, controller)
    controller.toggle_zoom()
    assert controller.last_message == "Frame 0: decoding in zoom mode ..."
    wait_idle(qtbot, controller)
    assert controller.last_message == f"Frame 0: object {skis} updated in zoom mode"


def test_back_from_3d_the_prompts_take_clicks_again(annotator):
    viewer, widget = annotator
    prompts = widget.controller.layers.prompts
    viewer.dims.ndisplay = 3
    viewer.dims.ndisplay = 2
    assert prompts.mode == "add"  # napari left it in pan_zoom: clicks added no point


def test_a_click_in_a_rolled_view_is_no_click(annotator, qtbot):
    """napari's roll puts time and rows on screen: a point there is no point of any frame
    (it was stored on the slider's frame at the slider's column)."""
    viewer, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    viewer.dims.roll()
    controller.layers.prompts.add([144, 335])
    assert "Clicks need a frame on screen" in controller.last_message
    assert not controller.session.clicks(0, controller.current_object)
    viewer.dims.order = (0, 1, 2)
    click(qtbot, controller, 144, 335)
    assert controller.session.clicks(0, controller.current_object)


def test_napari_s_status_thread_never_sees_the_points_half_replaced(annotator):
    """napari works out the status bar's text in a thread of its own (``get_value``): the
    points replaced in steps (data, then sizes) showed it 3 points with sizes of the 11 before
    ("operands could not be broadcast together with shapes (3,2) (11,2)"). Asked in the
    middle of a replacement, it now sees the points as they are once replaced."""
    import threading

    layers = annotator[1].controller.layers
    prompts = layers.prompts
    layers.show_clicks([Click(100.0 + 10 * i, 200.0, True) for i in range(11)], 1)
    clicks = [Click(100.0, 200.0, True), Click(300.0, 300.0, True), Click(320.0, 300.0, False)]
    near = (100.0, 200.0 + 0.3 * layers.point_size)  # on the first point at full size only
    asked: list = []

    def in_the_middle(event) -> None:
        if len(prompts.data) == len(clicks) and not asked:  # the data is replaced, not the rest
            thread = threading.Thread(target=lambda: asked.append(prompts.get_value(near)))
            thread.start()
            thread.join(0.5)
            asked.append(thread)

    prompts.events.data.connect(in_the_middle)
    try:
        layers.show_clicks(clicks, 2, derived=clicks[:1])  # the first drawn small
    finally:
        prompts.events.data.disconnect(in_the_middle)
    thread = next(a for a in asked if isinstance(a, threading.Thread))
    thread.join(5)
    (seen,) = [a for a in asked if not isinstance(a, threading.Thread)]
    assert prompts.get_value(near) is None  # the small point is not under the cursor
    assert seen == prompts.get_value(near)
    assert prompts.size.tolist() == [layers.point_size / 3, layers.point_size, layers.point_size]


def test_a_step_changes_only_what_differs_in_the_prompts(annotator):
    """Each step re-set the prompts' data, signs, sizes and border colours (each a re-slice or
    a recolouring on the GUI thread): only what differs is set now, and they show the same."""
    layers = annotator[1].controller.layers
    prompts = layers.prompts
    layers.show_clicks([Click(100.0, 200.0, True), Click(120.0, 220.0, False)], 1)
    told: list[str] = []
    prompts.events.border_color.connect(lambda _e: told.append("border"))
    moved = [Click(104.0, 203.0, True), Click(125.0, 221.0, False)]  # the next frame's
    layers.show_clicks(moved, 1)
    assert told == []
    np.testing.assert_allclose(prompts.data, [[104.0, 203.0], [125.0, 221.0]])
    np.testing.assert_allclose(prompts.face_color, [POSITIVE_COLOR, NEGATIVE_COLOR])
    assert prompts.size.tolist() == [layers.point_size] * 2
    layers.show_clicks(moved, 1, derived=moved[1:])  # what differs is set
    assert told == [] and prompts.size.tolist() == [layers.point_size, layers.point_size / 3]
    layers.show_clicks(moved, 2)
    assert told == ["border"] and prompts.size.tolist() == [layers.point_size] * 2
    same = [Click(100.0, 200.0, True)] * 3
    layers.show_clicks(same, 2)
    layers.show_clicks(same[:1], 2)  # one point is not three points at the same place
    assert len(prompts.data) == 1 and len(prompts.size) == 1


def test_napari_saves_the_prompts_as_points_to_csv(annotator, qtbot, tmp_path):
    """The layer's type read "promptpoints": napari found no writer for it ("No data
    written!") and the layer list showed no points icon."""
    import csv

    viewer, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    click(qtbot, controller, 40, 60, positive=False)
    prompts = controller.layers.prompts
    viewer.layers.selection = {prompts}
    target = tmp_path / "clicks.csv"
    written = viewer.layers.save(str(target), selected=True)
    assert written == [str(target)]
    with target.open() as f:
        rows = list(csv.DictReader(f))
    assert [(float(r["axis-0"]), float(r["axis-1"])) for r in rows] == [(144, 335), (40, 60)]
    assert [float(r["positive"]) for r in rows] == [1.0, 0.0]
    assert prompts.as_layer_data_tuple()[2] == "points"


def test_a_click_in_the_3d_view_says_clicks_need_the_2d_view(annotator, qtbot):
    """napari's 3D view puts the prompts in pan-and-zoom: a click there was dropped silently."""
    viewer, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    viewer.dims.ndisplay = 3
    _canvas_click(viewer)
    assert controller.last_message.startswith("Clicks need the 2D view")
    assert not controller.session.clicks(0, controller.current_object)
    viewer.dims.ndisplay = 2
    controller._say("")
    _canvas_click(viewer)  # a 2D click is a click, and says nothing of 3D
    wait_idle(qtbot, controller)
    assert controller.session.clicks(0, controller.current_object)
    assert "2D view" not in controller.last_message


@pytest.mark.parametrize(("side", "size"), [(20, 0.5), (120, 3.0), (480, 5.76), (1000, 12.0)])
def test_a_click_is_drawn_small_on_a_small_frame(make_napari_viewer, qtbot, side, size):
    """Points were at least 5 px: on a 20x20 frame one covered a quarter of its width."""
    from napari_skipclick._qt.widget import SkipClickWidget
    from napari_skipclick.engines import create_engine

    viewer = make_napari_viewer()
    image = viewer.add_image(np.zeros((2, side, side, 3), np.uint8), rgb=True)
    widget = SkipClickWidget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("random-walker"))
    wait_idle(qtbot, controller)
    controller.add_object(name="dot")
    click(qtbot, controller, side // 2, side // 2)
    assert controller.layers.prompts.size.tolist() == pytest.approx([size])
    controller.close_session()
