"""A folder of separate photos (``skipclick annotate FOLDER --photos``): nothing is carried from
one photo to another, while the same folder opened as a video's frames propagates as before."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QPushButton

from napari_skipclick.app import open_annotator
from napari_skipclick.cli import build_parser
from napari_skipclick.io import VideoError
from support.precompute import frame_folder
from support.widget import click, labels_of, press_key, wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _annotator(make_napari_viewer, qtbot, folder, photos: bool):
    viewer, widget = open_annotator(
        str(folder), classes=["square", "pole"], viewer=make_napari_viewer(), photos=photos
    )
    wait_idle(qtbot, widget.controller)
    return viewer, widget


def test_photos_offer_no_propagation_fill_or_review(make_napari_viewer, qtbot, tmp_path):
    folder = frame_folder(tmp_path / "photos", 3)
    assert build_parser().parse_args(["annotate", str(folder), "--photos"]).photos
    viewer, widget = _annotator(make_napari_viewer, qtbot, folder, photos=True)
    controller, panel = widget.controller, widget.frame_panel
    click(qtbot, controller, 20, 14)
    assert labels_of(controller, 0).any()
    assert all(w.isHidden() for w in panel.video_only)
    press_key(qtbot, viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, controller)
    assert "separate photos" in controller.last_message
    for action in (lambda: controller.fill(1), controller.fill_all, controller.go_to_review):
        action()
        assert not controller.propagating and "separate photos" in controller.last_message
    assert not labels_of(controller, 1).any() and not labels_of(controller, 2).any()
    controller.close_session()


def test_a_video_frame_folder_still_propagates(make_napari_viewer, qtbot, tmp_path):
    viewer, widget = _annotator(make_napari_viewer, qtbot, frame_folder(tmp_path / "f", 3), False)
    controller = widget.controller
    click(qtbot, controller, 20, 14)
    assert not any(w.isHidden() for w in widget.frame_panel.video_only)
    press_key(qtbot, viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, controller)
    assert labels_of(controller, 2).any()
    controller.close_session()


def test_photos_take_a_folder_only(tmp_path):
    folder = frame_folder(tmp_path / "photos", 2)
    with pytest.raises(ValueError, match="--photos takes a folder"):
        open_annotator(str(folder / "00000.png"), photos=True, show=False)
    with pytest.raises(VideoError, match="does not exist"):
        open_annotator(str(tmp_path / "elsewhere"), photos=True, show=False)


def test_the_next_photo_starts_with_no_object_and_the_chosen_class(
    make_napari_viewer, qtbot, tmp_path
):
    """The first click on the next photo went to the last photo's object: one ID on two
    unrelated photos."""
    viewer, widget = _annotator(make_napari_viewer, qtbot, frame_folder(tmp_path / "p", 3), True)
    controller, panel = widget.controller, widget.objects_panel
    panel.class_combo.setCurrentText("pole")
    click(qtbot, controller, 20, 14)
    first = controller.current_object
    viewer.dims.set_current_step(0, 1)
    wait_idle(qtbot, controller)
    assert controller.current_object is None and not panel.table.selectedItems()
    click(qtbot, controller, 20, 19)
    second = controller.current_object
    assert second not in (None, first)
    assert set(np.unique(labels_of(controller, 1))) == {0, second}
    assert set(np.unique(labels_of(controller, 0))) == {0, first}
    classes = {o.id: o.class_name for o in controller.session.objects}
    assert classes == {first: "pole", second: "pole"}
    controller.close_session()


def test_a_photo_is_named_by_its_file(make_napari_viewer, qtbot, tmp_path):
    """The widget said "Frame 2 / 4", never which photo it was."""
    folder = frame_folder(tmp_path / "p", 3)
    for k, name in enumerate(("IMG_1.png", "IMG_2.png", "IMG_10.png")):
        (folder / f"{k:05d}.png").rename(folder / name)
    viewer, widget = _annotator(make_napari_viewer, qtbot, folder, True)
    controller, label = widget.controller, widget.frame_panel.frame_label
    assert controller.last_message == "Photo 0 · IMG_1.png (empty): features ready"
    assert viewer.dims.axis_labels[0] == "photo"
    viewer.dims.set_current_step(0, 2)
    wait_idle(qtbot, controller)
    assert label.text().startswith("Photo 2 / 2 · IMG_10.png · empty")
    assert controller.last_message.startswith("Photo 2 · IMG_10.png (empty)")
    click(qtbot, controller, 20, 24)
    assert controller.last_message == "Photo 2 · IMG_10.png: object 1 updated"
    controller.close_session()
    viewer, widget = _annotator(make_napari_viewer, qtbot, folder, False)
    viewer.dims.set_current_step(0, 1)
    wait_idle(qtbot, widget.controller)
    assert widget.frame_panel.frame_label.text().startswith("Frame 1 / 2 · IMG_2.png · empty")
    assert widget.controller.last_message.startswith("Frame 1 (empty)")
    assert viewer.dims.axis_labels[0] == "frame"
    widget.controller.close_session()


def _dock_on(viewer, path):
    """``path`` opened as *File > Open* does, the widget docked from the Plugins menu."""
    viewer.open(str(path), plugin="napari-skipclick")
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    return widget


def test_separate_photos_are_chosen_in_the_dock(make_napari_viewer, qtbot, tmp_path):
    """A folder opened with File > Open could be made separate photos only from napari's
    console; the Session panel's box does it at Start, and Apply switches a running session."""
    viewer = make_napari_viewer()
    widget = _dock_on(viewer, frame_folder(tmp_path / "p", 3))
    panel, controller = widget.setup_panel, widget.controller
    box, video_only = panel.photos_box, widget.frame_panel.video_only
    assert box.isVisibleTo(panel) and not box.isChecked()
    viewer.add_image(np.zeros((2, 8, 8), np.uint8), name="array")  # no folder: not offered
    panel.image_combo.setCurrentText("array")
    assert not box.isVisibleTo(panel)
    panel.image_combo.setCurrentText("p")
    box.setChecked(True)
    viewer.add_points(name="other")  # the layers listed again: the box stays as ticked
    assert box.isChecked()
    panel.request_start()
    qtbot.waitUntil(lambda: controller.session is not None, timeout=30_000)
    wait_idle(qtbot, controller)
    assert controller.source.photos and all(w.isHidden() for w in video_only)
    assert viewer.dims.axis_labels[0] == "photo" and box.isChecked()
    click(qtbot, controller, 20, 14)
    session = controller.session
    box.setChecked(False)
    panel.request_start()  # Apply: the same session, as a video's frames
    assert controller.session is session and not controller.source.photos
    assert not any(w.isHidden() for w in video_only)
    assert viewer.dims.axis_labels[0] == "frame" and labels_of(controller, controller.frame).any()
    box.setChecked(True)
    panel.request_start()
    assert controller.source.photos and all(w.isHidden() for w in video_only)
    controller.close_session()


def test_the_store_keeps_separate_photos(make_napari_viewer, qtbot, tmp_path):
    """A store annotated with --photos opened again without it was a video's frames."""
    folder, store = frame_folder(tmp_path / "p", 3), str(tmp_path / "p.zarr")
    manifest = tmp_path / "p.zarr" / "skipclick.json"

    def opened(photos: bool = False):
        viewer, widget = open_annotator(
            str(folder), store=store, viewer=make_napari_viewer(), photos=photos
        )
        wait_idle(qtbot, widget.controller)
        return viewer, widget

    viewer, widget = opened(photos=True)
    assert json.loads(manifest.read_text())["photos"] is True
    widget.controller.close_session()
    viewer, widget = opened()  # skipclick annotate FOLDER --store S
    assert widget.controller.source.photos and widget.setup_panel.photos_box.isChecked()
    assert all(w.isHidden() for w in widget.frame_panel.video_only)
    widget.setup_panel.photos_box.setChecked(False)
    widget.setup_panel.request_start()  # Apply: a video's frames from now on
    assert not widget.controller.source.photos and "photos" not in json.loads(manifest.read_text())
    widget.controller.close_session()
    viewer = make_napari_viewer()  # File > Open, the store named in the dock
    widget = _dock_on(viewer, folder)
    widget.setup_panel.store_edit.setText(store)
    widget.setup_panel.photos_box.setChecked(True)
    widget.setup_panel.request_start()
    qtbot.waitUntil(lambda: widget.controller.session is not None, timeout=30_000)
    wait_idle(qtbot, widget.controller)
    assert widget.controller.source.photos and json.loads(manifest.read_text())["photos"]
    widget.controller.close_session()
    viewer, widget = opened()
    assert widget.controller.source.photos
    widget.controller.close_session()


def test_photos_chosen_in_the_dock_hide_not_here(make_napari_viewer, qtbot, tmp_path):
    """On separate photos *Not here (H)* stayed, and the refusals said "(opened with --photos)"
    of photos chosen in the Session panel."""
    viewer = make_napari_viewer()
    widget = _dock_on(viewer, frame_folder(tmp_path / "p", 3))
    panel, controller = widget.setup_panel, widget.controller
    buttons = widget.frame_panel.findChildren(QPushButton)
    absent = next(b for b in buttons if b.text() == "Not here (H)")
    panel.photos_box.setChecked(True)
    panel.request_start()
    qtbot.waitUntil(lambda: controller.session is not None, timeout=30_000)
    wait_idle(qtbot, controller)
    assert absent.isHidden()
    click(qtbot, controller, 20, 14)
    t, obj = controller.frame, controller.current_object
    press_key(qtbot, viewer, Qt.Key.Key_H)
    assert (
        "separate photos" in controller.last_message and "--photos" not in controller.last_message
    )
    assert obj in np.unique(labels_of(controller, t))  # its mask stays
    press_key(qtbot, viewer, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert (
        "separate photos" in controller.last_message and "--photos" not in controller.last_message
    )
    panel.photos_box.setChecked(False)
    panel.request_start()  # Apply: a video's frames
    assert not absent.isHidden()
    controller.close_session()
