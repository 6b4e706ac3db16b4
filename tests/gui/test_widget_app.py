"""`skipclick annotate` and `skipclick demo`: the viewer they open and the scripted session."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from napari_skipclick import demo
from napari_skipclick.app import open_annotator
from napari_skipclick.cli import build_parser
from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameStatus
from support.precompute import frame_folder
from support.scenes import iou
from support.widget import ground_truth

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_cli_arguments():
    args = build_parser().parse_args(["annotate", "run.mp4", "--store", "s.zarr"])
    assert (args.video, args.store, args.engine) == ("run.mp4", "s.zarr", "embedded")
    args = build_parser().parse_args(["annotate", "--classes", "skier, ski,pole"])
    assert args.classes == ["skier", "ski", "pole"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["annotate", "--classes", "skier,,pole"])
    args = build_parser().parse_args(["demo", "--screenshot", "d.png", "--exit"])
    assert str(args.screenshot) == "d.png" and args.exit


def test_annotate_opens_the_sample_and_the_demo_runs_end_to_end(
    make_napari_viewer, qtbot, tmp_path
):
    store_path = tmp_path / "demo.zarr"
    viewer, widget = open_annotator(
        store=str(store_path), classes=demo.CLASSES, viewer=make_napari_viewer()
    )
    controller = widget.controller
    try:
        names = [layer.name for layer in viewer.layers]
        assert names == ["giant slalom", "SkipClick labels", "SkipClick prompts"]
        assert controller.session.engine.name == "embedded"
        assert controller.session.n_frames == 127 and controller.frame == 0
        assert widget.setup_panel.store_edit.text() == str(store_path)
        assert viewer.layers.selection.active.name == "SkipClick prompts"
        assert viewer.layers.selection.active.mode == "add"
        assert controller.session.classes == ["skier", "ski", "pole"]  # "object" went
        assert widget.objects_panel.class_combo.currentText() == "skier"

        demo.annotate(widget, log=lambda _text: None)
        session = controller.session
        assert [(o.name, o.class_name) for o in session.objects] == [
            ("skis", "ski"),
            ("poles", "pole"),
            ("skier", "skier"),
        ]
        assert set(np.unique(np.asarray(session.labels[0]))) == {0, 1, 2, 3}
        skier = np.asarray(session.labels[0]) == session.objects[2].id
        assert iou(skier, ground_truth("skier")) >= 0.7  # the demo shows a whole skier
        assert session.status(0) == FrameStatus.CLICKED
        assert session.status(1) in (FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)
        assert session.dirty_frames() == []  # everything is on disk
        labels = [np.asarray(session.labels[t]).copy() for t in range(11)]
    finally:
        controller.cancel()
        qtbot.waitUntil(lambda: controller.idle, timeout=120_000)
        controller.close_session()
    with AnnotationStore.open(store_path) as store:
        for t in range(11):
            np.testing.assert_array_equal(store.read_labels(t), labels[t])
        assert [o.name for o in store.objects()] == ["skis", "poles", "skier"]
        assert store.classes() == ["skier", "ski", "pole"]
        last = store.last_saved_frame()
    assert last == 10  # the propagation's end
    viewer, widget = open_annotator(store=str(store_path), viewer=make_napari_viewer())
    image = widget.controller.layers.image_layer
    try:  # the store resumed where its last edit went
        assert widget.controller.frame == last == viewer.dims.current_step[0]
    finally:
        widget.controller.close_session()
    # Start in the panel resumes it the same way (it opened on frame 0)
    viewer.dims.set_current_step(0, 0)
    widget.start(image, create_engine("embedded"), str(store_path))
    try:
        assert widget.controller.frame == last == viewer.dims.current_step[0]
    finally:
        widget.controller.close_session()


def test_annotate_reports_an_unreadable_video(tmp_path, capsys):
    from napari_skipclick.cli import main

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    assert main(["annotate", str(broken)]) == 2
    assert "skipclick annotate:" in capsys.readouterr().err
    assert main(["annotate", str(tmp_path / "missing.mp4")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_annotate_and_demo_without_a_display_say_so(monkeypatch, capsys):
    """Qt aborts the whole process (a core dump) when Linux has no display to open on."""
    from napari_skipclick.cli import main

    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["annotate"]) == 2
    assert "no display to open napari on" in capsys.readouterr().err
    assert main(["demo", "--exit"]) == 2
    assert "xvfb-run" in capsys.readouterr().err


def test_annotate_with_a_store_of_another_video_raises_its_error_once(
    make_napari_viewer, tmp_path, capsys
):
    from napari_skipclick.io.store import StoreMismatchError
    from napari_skipclick.types import VideoInfo

    other = tmp_path / "other.zarr"
    AnnotationStore.open_or_create(other, VideoInfo("/v/o.mp4", 3, 8, 8, 25.0, "fp")).close()
    with pytest.raises(StoreMismatchError, match="belongs to another video"):
        open_annotator(store=str(other), viewer=make_napari_viewer())
    assert "Cannot start" not in capsys.readouterr().err  # the caller says it, once


def test_annotate_again_with_its_classes_keeps_those_renamed_or_removed(
    make_napari_viewer, tmp_path
):
    video, store = str(frame_folder(tmp_path / "frames", 3)), str(tmp_path / "s.zarr")
    classes = build_parser().parse_args(["annotate", "--classes", "skier,ski,pole,gate"]).classes
    _, widget = open_annotator(video, store=store, classes=classes, viewer=make_napari_viewer())
    panel = widget.objects_panel
    panel.class_combo.setCurrentText("pole")
    panel.class_edit.setText("poles")
    panel.rename_class()
    panel.class_combo.setCurrentText("gate")
    panel.remove_class()
    assert widget.controller.session.classes == ["skier", "ski", "poles"]
    widget.controller.close_session()
    _, widget = open_annotator(
        video, store=store, classes=[*classes, "flag"], viewer=make_napari_viewer()
    )
    controller, panel = widget.controller, widget.objects_panel
    try:
        assert controller.session.classes == ["skier", "ski", "poles", "flag"]
        items = [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())]
        assert items == controller.session.classes
        assert "not added again: pole, gate" in controller.last_message
    finally:
        controller.close_session()
    with AnnotationStore.open(store) as saved:
        assert saved.classes() == ["skier", "ski", "poles", "flag"]
        assert saved.dropped_classes() == ["pole", "gate"]


def test_a_folder_with_photos_added_says_so_at_opening_as_news_not_a_repair(
    make_napari_viewer, tmp_path
):
    folder = frame_folder(tmp_path / "frames", 3)
    video, store = str(folder), str(tmp_path / "s.zarr")
    _, widget = open_annotator(video, store=store, viewer=make_napari_viewer())
    widget.controller.close_session()
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(folder / "00003.png")
    _, widget = open_annotator(video, store=store, viewer=make_napari_viewer())
    controller = widget.controller
    try:
        message = controller.last_message
        assert "1 photo new in the folder, taken in as frame 3: 00003.png" in message
        assert "repaired" not in message
        assert controller.session.n_frames == 4
    finally:
        controller.close_session()
