"""Frames in the real widget: propagation, statuses, frame/engine switches mid-work, the store."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import Click, FrameStatus
from support.engines import SlowCarryEngine
from support.widget import click, labels_of, sample_widget, simulated_clicks, wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.slow]

FILLED = (FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)


def _skier_and_skis(qtbot, controller) -> tuple[int, int]:
    skier = controller.add_object(name="skier").id
    simulated_clicks(qtbot, controller, "skier", 0.5, max_clicks=4)
    skis = controller.add_object(name="skis").id
    simulated_clicks(qtbot, controller, "skis", 0.2, max_clicks=4)
    return skier, skis


def test_propagation_over_ten_frames_fills_them_and_sets_statuses(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    skier, skis = _skier_and_skis(qtbot, controller)
    widget.frame_panel.frames_spin.setValue(10)
    widget.frame_panel.propagate(1)
    assert controller.propagating
    shown = len(controller.layers.prompts.data)
    controller.layers.prompts.add([300, 600])  # refused while propagating
    assert "while propagation runs" in controller.last_message
    assert len(controller.layers.prompts.data) == shown
    # object and class list edits too: they went between the run's frames in the undo
    # history (one Ctrl+Z no longer took the run back); the table shows the list again
    panel = widget.objects_panel
    panel.table.item(0, 1).setText("Anna")
    assert "Cannot rename an object while propagation runs" in controller.last_message
    assert panel.table.item(0, 1).text() == "skier"
    assert controller.add_object(name="helmet") is None
    panel.class_edit.setText("ski")
    panel.add_class()
    assert "ski" not in controller.session.classes and panel.class_edit.text() == "ski"
    qtbot.waitUntil(lambda: not controller.propagating, timeout=300_000)
    wait_idle(qtbot, controller)

    session = controller.session
    assert session.status(0) == FrameStatus.CLICKED
    statuses = {t: session.status(t) for t in range(12)}
    table = widget.objects_panel.table
    ends = []
    for row, obj in enumerate((skier, skis)):
        present = [t for t in range(1, 12) if (labels_of(controller, t) == obj).any()]
        # an object is carried frame after frame until the quality check stops it: then
        # the frame where it failed is marked "needs review" and later frames stay empty
        assert present == list(range(1, len(present) + 1)), (obj, present, statuses)
        end = len(present)
        stop_status = {statuses[end], statuses[min(end + 1, 10)]}
        assert end == 10 or FrameStatus.NEEDS_REVIEW in stop_status, (obj, statuses)
        assert table.item(row, 3).text() == (f"0-{end}" if end else "0")
        ends.append(end)
    last = max(ends)
    assert last >= 1, statuses  # something was propagated
    assert all(statuses[t] in FILLED for t in range(1, last + 1)), statuses
    assert all(statuses[t] == FrameStatus.EMPTY for t in range(last + 2, 12)), statuses
    assert not labels_of(controller, 11).any()
    assert widget.frame_panel.strip.statuses == session.statuses()
    # the time slider shows each frame's labels
    controller.go_to_frame(7)
    assert controller.frame == 7
    np.testing.assert_array_equal(
        np.asarray(controller.layers.labels._slice.image.raw), np.asarray(session.labels[7])
    )
    assert "Frame 7 / 126" in widget.frame_panel.frame_label.text()


def test_cancel_stops_a_long_propagation(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    controller.switch_engine(SlowCarryEngine(delay=0.05))  # never stops by itself
    obj = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    session = controller.session
    last = session.n_frames - 1
    controller.propagate(1, None)  # to the last frame: about 6 s of decodes
    run = controller._propagation
    steps = []
    run.step.connect(steps.append)
    qtbot.waitUntil(lambda: session.status(3) != FrameStatus.EMPTY, timeout=120_000)
    with qtbot.waitSignal(run.finished, timeout=120_000) as finished:
        controller.cancel()
    assert finished.args == [True]  # the run ended as cancelled
    wait_idle(qtbot, controller)
    assert "cancelled" in controller.last_message
    run.step.emit(steps[-1])  # a step delivered late (a handler ran the event loop) says nothing
    assert "cancelled" in controller.last_message
    reached = max(session.statuses())
    # the run stopped soon after the cancel: frames after it stay empty
    assert 3 <= reached < last // 2, session.statuses()
    assert all(session.status(t) == FrameStatus.PROPAGATED for t in range(1, reached + 1))
    assert all(session.status(t) == FrameStatus.EMPTY for t in range(reached + 1, last + 1))
    assert (labels_of(controller, reached) == obj).any()
    assert not any(labels_of(controller, t).any() for t in (reached + 1, last))


def _expected_mask(engine, session, t: int, clicks: list[Click]) -> np.ndarray:
    features = engine.encode(session.image(t))
    empty = np.zeros(session.frame_shape, np.float32)
    return engine.decode(features, clicks, empty) > 0.5


def test_engine_and_frame_switch_mid_computation_do_not_mix(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    controller.go_to_frame(40)
    layer = controller.layers.prompts
    layer.add([150, 400])  # features of frame 40 are not ready: the click waits
    assert controller.edits.pending(40, obj) == [Click(150.0, 400.0, True)]
    other = create_engine("embedded", pixels_per_segment=40.0)
    controller.switch_engine(other)  # while frame 40 is being encoded with the first engine
    controller.go_to_frame(41)
    assert len(layer.data) == 0  # the prompts layer shows frame 41's (no) clicks
    layer.add([200, 500])
    wait_idle(qtbot, controller)

    session = controller.session
    assert session.engine is other
    assert session.clicks(40, obj) == [Click(150.0, 400.0, True)]
    assert session.clicks(41, obj) == [Click(200.0, 500.0, True)]
    for t, clicks in ((40, session.clicks(40, obj)), (41, session.clicks(41, obj))):
        expected = _expected_mask(other, session, t, clicks)
        np.testing.assert_array_equal(labels_of(controller, t) == obj, expected)
    controller.go_to_frame(40)
    np.testing.assert_allclose(layer.data, [[150, 400]])


def test_accepted_frame_is_on_disk(make_napari_viewer, qtbot, feature_cache, tmp_path):
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    store_path = tmp_path / "slalom.zarr"
    widget.start(image, create_engine("embedded"), str(store_path))
    assert controller.session.store is not None
    wait_idle(qtbot, controller)
    controller.add_class("athlete")
    obj = controller.add_object("athlete", "skier").id
    click(qtbot, controller, 144, 335)
    controller.accept_frame()
    assert controller.session.status(0) == FrameStatus.REVIEWED
    labels = labels_of(controller, 0).copy()
    controller.close_session()
    with AnnotationStore.open(store_path) as store:
        np.testing.assert_array_equal(store.read_labels(0), labels)
        assert store.statuses() == {0: FrameStatus.REVIEWED}
        assert [(o.id, o.name, o.class_name) for o in store.objects()] == [
            (obj, "skier", "athlete")
        ]
        assert [tuple(c[:3]) for c in store.clicks(0)[obj]] == [(144.0, 335.0, True)]


def test_closing_during_propagation_saves_everything(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    store_path = tmp_path / "slalom.zarr"
    session = widget.start(image, create_engine("embedded"), str(store_path))
    wait_idle(qtbot, controller)
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    controller.propagate(1, None)
    run = controller._propagation
    qtbot.waitUntil(lambda: session.status(1) != FrameStatus.EMPTY, timeout=120_000)
    with qtbot.waitSignal(run.finished, timeout=120_000):
        controller.close_session()  # the run stops after its step, then the rest is saved
    assert controller.session is None
    qtbot.wait(50)
    assert session.dirty_frames() == []
    with AnnotationStore.open(store_path) as store:  # the lock was released
        for t in [0, *session.statuses()]:
            np.testing.assert_array_equal(store.read_labels(t), np.asarray(session.labels[t]))
        assert store.statuses() == session.statuses()


def _skier(qtbot, controller) -> int:
    """The skier, clicked on frame 0: its ID."""
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    return controller.current_object


def _propagate(qtbot, controller, n_frames: int) -> None:
    """Propagate forward over ``n_frames`` and wait for the run's end."""
    controller.propagate(1, n_frames)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)


def test_a_run_stopped_by_your_own_clicks_counts_only_what_it_wrote_and_says_why(annotator, qtbot):
    controller = annotator[1].controller
    skier = _skier(qtbot, controller)
    controller.submit_clicks(3, skier, [Click(150.0, 340.0, True)])  # your own work on frame 3
    wait_idle(qtbot, controller)
    mine = np.asarray(controller.session.labels[3]).copy()
    _propagate(qtbot, controller, 10)
    assert controller.last_message.startswith("Propagation finished: 2 frames, ")
    assert controller.last_message.endswith(
        "; skier stopped: frame 3 has your clicks for this object"
    )
    np.testing.assert_array_equal(np.asarray(controller.session.labels[3]), mine)


def test_a_run_that_ends_where_an_object_is_marked_absent_says_so(annotator, qtbot):
    controller = annotator[1].controller
    skier = _skier(qtbot, controller)
    for t in (2, 3):
        controller.session.mark_absent(t, skier)
    _propagate(qtbot, controller, 3)
    assert controller.last_message.startswith("Propagation finished: 1 frame, ")
    assert controller.last_message.endswith(
        "; skier: the run ended where you marked it absent (frames 2-3)"
    )


def test_the_undo_of_a_propagation_names_its_frames(annotator, qtbot):
    controller = annotator[1].controller
    _skier(qtbot, controller)
    _propagate(qtbot, controller, 3)
    controller.undo()
    wait_idle(qtbot, controller)
    assert controller.last_message == "Undid an edit of 3 frames (1-3)"
    controller.redo()
    wait_idle(qtbot, controller)
    assert controller.last_message == "Redid an edit of 3 frames (1-3)"


def test_clicks_propagation_derived_are_drawn_small_and_yours_full_size(annotator, qtbot):
    controller = annotator[1].controller
    skier = _skier(qtbot, controller)
    prompts = controller.layers.prompts
    full = controller.layers.point_size
    np.testing.assert_allclose(prompts.size, [full])
    _propagate(qtbot, controller, 1)
    controller.go_to_frame(1)
    wait_idle(qtbot, controller)
    derived = controller.session.derived_clicks(1, skier)
    assert derived and derived == controller.session.clicks(1, skier)
    np.testing.assert_allclose(prompts.size, full / 3)  # propagation's: small
    click(qtbot, controller, 150, 340)  # a correction of yours: full size
    wait_idle(qtbot, controller)
    sizes = dict(zip(map(tuple, np.asarray(prompts.data)), prompts.size, strict=True))
    assert sizes[(150.0, 340.0)] == full
    assert all(sizes[(c.y, c.x)] == full / 3 for c in derived)


def test_your_click_on_the_spot_of_a_derived_one_is_drawn_as_yours(annotator, qtbot):
    """It counted as propagation's, drawn small as the derived click beneath it."""
    controller = annotator[1].controller
    skier = _skier(qtbot, controller)
    _propagate(qtbot, controller, 1)
    controller.go_to_frame(1)
    wait_idle(qtbot, controller)
    derived = controller.session.derived_clicks(1, skier)
    spot = next(c for c in derived if c.positive)
    click(qtbot, controller, spot.y, spot.x)
    wait_idle(qtbot, controller)
    assert controller.session.user_clicks(1, skier) == [spot]
    full = controller.layers.point_size
    sizes = [full / 3] * len(derived) + [full]  # propagation's first, then yours
    np.testing.assert_allclose(controller.layers.prompts.size, sizes)


def test_a_photo_shows_no_controls_that_work_across_frames(
    make_napari_viewer, qtbot, feature_cache
):
    """ "Frame 0 / 0" and a Propagate that did nothing ("0 frames") on a single image."""
    from napari_skipclick._qt.widget import SkipClickWidget

    viewer = make_napari_viewer()
    image = viewer.add_image(np.zeros((40, 60, 3), np.uint8), rgb=True, name="photo")
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget)
    panel = widget.frame_panel
    assert all(not w.isHidden() for w in panel.video_only)  # no session yet: all shown
    widget.controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, widget.controller)
    assert panel.frame_label.text().startswith("Image · ")
    assert all(w.isHidden() for w in panel.video_only)
    widget.controller.close_session()
    widget.controller.session_changed.emit()
    assert all(not w.isHidden() for w in panel.video_only)


def test_zoom_mode_switched_during_a_propagation_says_it_switched(annotator, qtbot):
    """R switched zoom on while the only message said "Cannot refine while propagation runs"."""
    _, widget = annotator
    controller = widget.controller
    controller.switch_engine(SlowCarryEngine(delay=0.05))
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    controller.propagate(1, None)
    qtbot.waitUntil(lambda: controller.session.status(2) != FrameStatus.EMPTY, timeout=120_000)
    controller.toggle_zoom()
    assert controller.zoom and controller.last_message.startswith("Zoom mode on (for the next")
    controller.cancel()
    wait_idle(qtbot, controller)


def test_propagating_past_the_videos_ends_says_there_is_nothing_to_do(
    make_napari_viewer, qtbot, feature_cache
):
    """Shift+→ on a one-frame video said "Propagation finished: 0 frames, none needs review"
    and Shift+F warned of keyframes; so did the last frame going forward."""
    from napari_skipclick._qt.widget import SkipClickWidget

    viewer = make_napari_viewer()
    frame = np.zeros((1, 40, 60, 3), np.uint8)
    frame[0, 10:30, 20:40] = 200
    image = viewer.add_image(frame, rgb=True, name="one frame")
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    controller.add_object(name="square")
    click(qtbot, controller, 20, 30)
    for action, what in (
        (lambda: controller.propagate(1), "propagate"),
        (lambda: controller.propagate(-1), "propagate"),
        (lambda: controller.fill(1), "fill"),
        (controller.fill_all, "fill"),
    ):
        action()
        assert not controller.propagating
        assert controller.last_message == f"Nothing to {what}: the video has one frame"
    controller.close_session()


def test_propagating_from_the_last_frame_forward_says_it_is_the_last(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    last = controller.session.n_frames - 1
    controller.go_to_frame(last)
    wait_idle(qtbot, controller)
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    for direction, action, what in (
        (1, controller.propagate, "propagate"),
        (1, controller.fill, "fill"),
    ):
        action(direction)
        assert not controller.propagating
        assert controller.last_message == f"Nothing to {what}: frame {last} is the video's last"
    controller.go_to_frame(0)
    wait_idle(qtbot, controller)
    controller.propagate(-1)
    assert controller.last_message == "Nothing to propagate: frame 0 is the video's first"


def test_the_end_of_a_run_says_the_gist_of_a_long_stop_reason():
    """The end of the demo's run ran to 8 lines of the dock: two whole stop reasons of
    200-300 characters each; their conclusions are what the end repeats."""
    from napari_skipclick._qt.propagating import GIST_CHARS, _gist

    reason = (
        "the engine's mask has 210 pixels where the object had 28 (limit: a factor 1.5 either "
        "way, give or take 39 pixels along its boundary); its mask was under 1/3 of the 396 "
        "pixels expected on 3 frames in a row: what the engine finds is not the object"
    )
    assert _gist(reason) == (
        "its mask was under 1/3 of the 396 pixels expected on 3 frames in a row: what the "
        "engine finds is …"
    )
    assert len(_gist(reason * 3)) <= GIST_CHARS + 2
    assert _gist("frame 3 has your clicks for this object") == (
        "frame 3 has your clicks for this object"
    )
    limit = (
        "the engine's mask has 174 pixels where the object had 20 (limit: a factor 1.5 either "
        "way, give or take 31 pixels along its boundary there)"
    )
    assert _gist(limit) == "the engine's mask has 174 pixels where the object had 20 (…)"


def test_the_status_line_gives_long_stop_reasons_whole_in_its_tooltip(make_napari_viewer, qtbot):
    """The end of a run cut a stop reason mid-sentence ("… either way, give or …"), and the
    rest of it was nowhere on screen."""
    from napari_skipclick._qt.widget import SkipClickWidget
    from napari_skipclick.types import Click
    from support.engines import BACKGROUND, RED, ColourEngine, moving_squares

    frames = moving_squares(8)
    frames[3:][(frames[3:] == RED).all(axis=-1)] = BACKGROUND  # the square is gone
    viewer = make_napari_viewer()
    image = viewer.add_image(frames, rgb=True, name="squares")
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    controller = widget.controller
    controller.start_session(image, ColourEngine())
    wait_idle(qtbot, controller)
    red = controller.add_object(name="red").id
    controller.session.set_clicks(0, red, [Click(25, 15, True)])
    controller.go_to_frame(0)
    controller.propagate(1, 7)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=60_000)
    line, tip = widget.status_label.text(), widget.status_label.toolTip()
    start, gist = line.split("; red stopped: ")
    assert start.startswith("Propagation finished: ") and tip.startswith(f"{start}; red: ")
    # the line keeps the reason's words, its parentheses given as "(…)"
    assert gist.startswith("the engine's mask disagrees with the motion (…), after")
    reason = tip.split("; red: stopped: ")[1]
    assert len(reason) > 200 and reason.endswith("click it where it shows")
    assert "(IoU 0.00, at least 0.05 needed" in reason
    controller.close_session()
