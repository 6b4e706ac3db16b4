"""Export buttons of the widget: the store's annotations leave as COCO and PNG, in a worker."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from napari_skipclick.engines import create_engine
from napari_skipclick.types import EXPORT_STATUSES, Click, FrameStatus
from support.widget import click, labels_of, sample_widget, wait_idle

pytestmark = [pytest.mark.gui]


@pytest.fixture
def annotated(make_napari_viewer, qtbot, feature_cache, tmp_path):
    """A widget with one clicked object on frame 0 of the sample, saving to a store."""
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    widget.controller.start_session(
        image,
        create_engine("embedded"),
        store_path=str(tmp_path / "run.zarr"),
        cache=feature_cache,
    )
    wait_idle(qtbot, widget.controller)
    obj = widget.controller.add_object(name="skier").id
    click(qtbot, widget.controller, 144, 335)
    yield widget, obj, labels_of(widget.controller, 0).copy()
    widget.controller.close_session()


def _run_export(qtbot, widget, fmt: str, folder) -> None:
    panel = widget.export_panel
    panel.format_combo.setCurrentText(fmt)
    panel.folder_edit.setText(str(folder))
    panel.export()
    assert panel.worker is not None, "the export must run in a worker"
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)


def test_export_button_writes_coco_equal_to_the_labels(annotated, qtbot, tmp_path):
    widget, obj, labels = annotated
    assert (labels == obj).any()
    _run_export(qtbot, widget, "coco", tmp_path / "coco")
    # said where the user looks, with where the files went (a notification alone, before)
    assert widget.controller.last_message.endswith(f" file(s) to {tmp_path / 'coco'}")
    doc = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    (ann,) = [a for a in doc["annotations"] if a["image_id"] == doc["images"][0]["id"]]
    decoded = mask_utils.decode(ann["segmentation"]).astype(bool)
    np.testing.assert_array_equal(decoded, labels == obj)


def _answer(monkeypatch, yes: bool) -> list[str]:
    """Answer the panel's question whether to replace an earlier export; returns the asked."""
    from qtpy.QtWidgets import QMessageBox

    asked: list[str] = []

    def question(_parent, _title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_export_button_writes_png_and_keeps_an_earlier_export_unless_told(
    annotated, qtbot, tmp_path, monkeypatch
):
    widget, _, labels = annotated
    _run_export(qtbot, widget, "png", tmp_path / "png")
    (png,) = sorted((tmp_path / "png" / "labels").glob("*.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(png)), labels)
    before = png.stat().st_mtime_ns
    asked = _answer(monkeypatch, yes=False)
    _run_export(qtbot, widget, "png", tmp_path / "png")  # exists: asked, kept, nothing lost
    assert len(asked) == 1 and "labels" in asked[0]
    assert png.stat().st_mtime_ns == before
    assert widget.controller.last_message.startswith("Not exported")


def test_an_earlier_export_is_replaced_when_the_user_agrees(
    annotated, qtbot, tmp_path, monkeypatch
):
    """Once exports recorded what they wrote, the panel (no --overwrite) could never export
    into a folder again, not even in another format."""
    widget, _, _ = annotated
    out = tmp_path / "out"
    _run_export(qtbot, widget, "coco", out)
    asked = _answer(monkeypatch, yes=True)
    _run_export(qtbot, widget, "png", out)
    qtbot.waitUntil(lambda: widget.export_panel.worker is None, timeout=60_000)
    assert len(asked) == 1 and "annotations.json" in asked[0]
    assert not (out / "annotations.json").exists() and list((out / "labels").glob("*.png"))


def test_export_without_store_is_refused(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    widget.controller.start_session(image, create_engine("embedded"))
    wait_idle(qtbot, widget.controller)
    widget.export_panel.folder_edit.setText("/nonexistent-export")
    widget.export_panel.export()
    assert widget.export_panel.worker is None
    widget.controller.close_session()


def test_export_panel_offers_every_format_with_images_and_splits(annotated, qtbot, tmp_path):
    widget, obj, _ = annotated
    panel = widget.export_panel
    formats = [panel.format_combo.itemText(i) for i in range(panel.format_combo.count())]
    assert formats == ["coco", "yolo-seg", "davis", "png", "numpy"]
    panel.format_combo.setCurrentText("png")
    assert not panel.images_check.isChecked()  # labels only by default for png
    panel.format_combo.setCurrentText("yolo-seg")
    assert panel.images_check.isChecked()  # the labels name image files: written by default
    panel.split_edit.setText("train=0.5,val=0.5")
    panel.split_by_combo.setCurrentText("frames")
    _run_export(qtbot, widget, "yolo-seg", tmp_path / "one")  # one frame: val would be empty
    assert not (tmp_path / "one").exists()
    session = widget.controller.session
    for t in (1, 2, 3):  # frames enough for both splits
        session.set_clicks(t, obj, [Click(144.0, 335.0, True)])
    _run_export(qtbot, widget, "yolo-seg", tmp_path / "yolo")
    (label,) = (tmp_path / "yolo" / "labels").rglob("000000.txt")
    split = label.parent.name
    assert split in ("train", "val") and label.read_text().startswith("0 ")
    image = tmp_path / "yolo" / "images" / split / "000000.jpg"
    assert Image.open(image).size == (854, 480)
    assert "train: images/train" in (tmp_path / "yolo" / "data.yaml").read_text()
    panel.split_edit.setText("train=0.5")  # fractions that do not sum to 1: refused
    panel.folder_edit.setText(str(tmp_path / "bad"))
    panel.export()
    assert panel.worker is None and not (tmp_path / "bad").exists()


def test_a_photo_layer_from_an_array_exports_with_its_images(
    make_napari_viewer, qtbot, feature_cache, tmp_path
):
    """A photo added as an array has no file to read again: the export's images are the
    session's frames (it failed: "from_array does not exist")."""
    viewer = make_napari_viewer()
    photo = np.zeros((60, 80, 3), np.uint8)
    photo[20:40, 30:50] = (220, 30, 30)
    image = viewer.add_image(photo, name="from_array", rgb=True)
    from napari_skipclick._qt.widget import SkipClickWidget

    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.controller.start_session(
        image, create_engine("embedded"), store_path=str(tmp_path / "p.zarr"), cache=feature_cache
    )
    wait_idle(qtbot, widget.controller)
    widget.controller.add_object(name="box")
    click(qtbot, widget.controller, 30, 40)
    _run_export(qtbot, widget, "coco", tmp_path / "coco")
    (jpg,) = (tmp_path / "coco" / "images").glob("*.jpg")
    assert np.abs(np.asarray(Image.open(jpg)).astype(int) - photo).mean() < 3
    widget.controller.close_session()


def test_export_is_refused_while_a_propagation_runs(annotated, qtbot, tmp_path):
    """It wrote the frames the run had reached so far, and said "Exported"."""
    widget, _, _ = annotated
    controller = widget.controller
    controller.propagate(1, 3)
    assert controller.propagating
    panel = widget.export_panel
    panel.folder_edit.setText(str(tmp_path / "mid"))
    panel.export()
    assert panel.worker is None and not (tmp_path / "mid").exists()
    assert "Cannot export while propagation runs" in controller.last_message
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)


def test_export_panel_chooses_frames_by_status_and_says_how_many_of_each(
    annotated, qtbot, tmp_path
):
    """The panel exported every annotated frame, *needs review* ones too, with no choice and
    no word of it: it has the CLI's --status choice (every status by default, as the CLI
    without --status) and says how many frames of which status it exported."""
    widget, obj, _ = annotated
    session, panel = widget.controller.session, widget.export_panel
    for t in (1, 2):
        session.set_clicks(t, obj, [Click(144.0, 335.0, True)])
    session.set_status(2, FrameStatus.NEEDS_REVIEW)
    widget.controller.statuses_changed.emit()
    assert list(panel.status_checks) == list(EXPORT_STATUSES)
    assert all(check.isChecked() for check in panel.status_checks.values())
    assert panel.status_checks["needs review"].text() == "needs review (1)"
    assert panel.status_checks["clicked"].text() == "clicked (2)"
    _run_export(qtbot, widget, "numpy", tmp_path / "all")
    assert np.load(tmp_path / "all" / "frames.npy").tolist() == [0, 1, 2]
    assert "Exported 3 frames (2 clicked, 1 needs review): " in widget.controller.last_message
    panel.status_checks["needs review"].setChecked(False)
    _run_export(qtbot, widget, "numpy", tmp_path / "sure")
    assert np.load(tmp_path / "sure" / "frames.npy").tolist() == [0, 1]
    assert "Exported 2 frames (2 clicked): " in widget.controller.last_message
    for check in panel.status_checks.values():
        check.setChecked(False)
    panel.folder_edit.setText(str(tmp_path / "none"))
    panel.export()
    assert panel.worker is None and not (tmp_path / "none").exists()
    assert "check the status" in widget.controller.last_message


def test_a_cancelled_export_is_said_to_be_cancelled_not_failed(
    annotated, qtbot, tmp_path, monkeypatch
):
    """Cancel was reported as an error ('Export failed: ... cancelled')."""
    import napari_skipclick.io.export as export

    widget, _, _ = annotated
    real = export.export_store

    def cancelled_as_it_starts(*args, **kwargs):
        widget.export_panel.cancel()  # the user presses Cancel as the export begins
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "export_store", cancelled_as_it_starts)
    errors = []
    monkeypatch.setattr(widget.controller, "_error", errors.append)
    _run_export(qtbot, widget, "png", tmp_path / "png")
    assert not errors
    assert widget.controller.last_message.startswith("Export cancelled")
    assert not (tmp_path / "png").exists() or not any((tmp_path / "png").iterdir())


def test_the_store_s_problems_are_said_in_the_status_line_of_the_export(annotated, qtbot, tmp_path):
    """The export's warnings (the store's problems) went to Python's warnings from the
    writer thread, not to the panel: an import cut short was exported without a word."""
    from napari_skipclick.io.store.import_mark import begin_import

    widget, obj, labels = annotated
    store = widget.controller.session.store.path
    begin_import(store, "/data/masks", [1, 2], [])  # an import killed midway
    _run_export(qtbot, widget, "png", tmp_path / "png")
    said = widget.status_label.text()
    assert said == widget.controller.last_message
    assert said.startswith("Exported 1 frame (1 clicked): ") and f"to {tmp_path / 'png'}" in said
    assert ". Check: run.zarr: an import of /data/masks into frames 1-2 was cut short" in said
    (png,) = sorted((tmp_path / "png" / "labels").glob("*.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(png)) == obj, labels == obj)
    # the Python API still warns
    from napari_skipclick.io.export import export_store
    from napari_skipclick.io.store import AnnotationStore

    with pytest.warns(UserWarning, match="an import of /data/masks into frames 1-2 was cut"):
        export_store(AnnotationStore.open(store, readonly=True), "png", tmp_path / "api")
