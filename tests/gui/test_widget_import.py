"""A napari Labels layer of the video's shape imported into the running session (in a worker)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from qtpy.QtCore import Qt

from napari_skipclick._qt import imports
from napari_skipclick._qt.objects_panel import FRAMES_COLUMN
from napari_skipclick.frame_lists import frame_ranges
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo
from support.widget import labels_of, wait_idle

pytestmark = [pytest.mark.gui]


def test_labels_layer_is_imported_as_objects_and_undone_in_one_step(annotator, qtbot):
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    data = np.zeros((127, 480, 854), np.uint8)
    data[3, 100:140, 200:260] = 7
    data[4, 102:142, 204:264] = 7
    data[4, 300:310, 500:600] = 9
    viewer.add_labels(data, name="model output")
    viewer.add_labels(np.zeros((5, 480, 854), np.uint8), name="wrong shape")
    other = {"video": {"path": "/v/other.mp4", "fingerprint": "fp-other"}}  # another video's
    viewer.add_labels(np.zeros((127, 480, 854), np.uint8), name="other video", metadata=other)
    assert [panel.import_combo.itemText(i) for i in range(panel.import_combo.count())] == [
        "model output"
    ]
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(4) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    session = controller.session
    np.testing.assert_array_equal(labels_of(controller, 3), data[3])
    np.testing.assert_array_equal(labels_of(controller, 4), data[4])
    named = {o.id: o.name for o in session.objects}
    assert named[7] == "model output 7" and named[9] == "model output 9"
    assert session.status(3) == FrameStatus.IMPORTED
    controller.undo()  # the whole import is one step
    assert not labels_of(controller, 3).any() and not labels_of(controller, 4).any()


def test_two_stores_of_one_folder_name_are_told_apart_in_the_import_list(
    annotator, qtbot, tmp_path
):
    """Stores at a/B.zarr and b/B.zarr were listed as "SkipClick labels (B.zarr)" and napari's
    "… [1]": nothing said which was which. The list names the folder that tells them apart,
    and its tooltip gives the store's path."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    info = controller.session.frames.info
    for folder, t in (("a", 20), ("b", 30)):
        _open_skier_store(viewer, tmp_path / folder / "B.zarr", folder, t, info)
    combo = panel.import_combo
    listed = [combo.itemText(i) for i in range(combo.count())]
    assert listed == ["SkipClick labels (B.zarr) in a", "SkipClick labels (B.zarr) [1] in b"]
    tips = [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())]
    assert tips == [f"Store: {tmp_path / f / 'B.zarr'}" for f in "ab"]
    combo.setCurrentIndex(1)
    assert str(tmp_path / "b" / "B.zarr") in combo.toolTip()
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(30) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    assert (labels_of(controller, 30)[100:140, 200:260] == 4).all()
    assert not labels_of(controller, 20).any()  # the store in a was not the one chosen


def test_stores_opened_beside_the_session_are_named_after_their_folder(annotator, qtbot, tmp_path):
    """Two annotators' stores opened by the reader (docs/export.md, *Merging*) are told apart
    in the Import labels list, and from the session's own layer."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    info = controller.session.frames.info
    for name, t in (("anna.zarr", 20), ("ben.zarr", 30)):
        _open_skier_store(viewer, tmp_path / name, name, t, info)
    names = [layer.name for layer in viewer.layers]
    assert "SkipClick labels (anna.zarr)" in names and "SkipClick labels (ben.zarr)" in names
    assert controller.layers.labels.name == "SkipClick labels"
    listed = [panel.import_combo.itemText(i) for i in range(panel.import_combo.count())]
    assert listed == ["SkipClick labels (anna.zarr)", "SkipClick labels (ben.zarr)"]
    panel.import_combo.setCurrentText("SkipClick labels (ben.zarr)")
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(30) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    assert (labels_of(controller, 30)[100:140, 200:260] == 4).all()
    assert not labels_of(controller, 20).any()  # anna's store was not the one chosen
    assert controller.session.object(4).name == "ben.zarr"


def test_the_import_runs_in_a_worker_and_the_gui_thread_only_shows_it(
    annotator, qtbot, monkeypatch
):
    viewer, widget = annotator
    controller = widget.controller
    data = np.zeros((127, 480, 854), np.uint8)
    data[5:8, 100:140, 200:260] = 4
    layer = viewer.add_labels(data, name="tracker")
    imported_on: list[bool] = []
    real_import = imports.import_frames

    def import_frames(*args, **kwargs):
        imported_on.append(threading.current_thread() is threading.main_thread())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(imports, "import_frames", import_frames)
    controller.import_labels(layer)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=60_000)
    wait_idle(qtbot, controller)
    assert imported_on == [False]  # the undoable import step ran in the worker thread
    assert controller.frame == 5  # the GUI went to the first imported frame ...
    np.testing.assert_array_equal(labels_of(controller, 5), data[5])
    assert widget.objects_panel.table.item(0, FRAMES_COLUMN).text() == frame_ranges([5, 6, 7])


class _SlowLayer:
    """A lazy layer: frames from 2 on are read only once ``go`` is set."""

    def __init__(self, data: np.ndarray, go: threading.Event) -> None:
        self.name, self._data, self._go = "slow model", data, go
        self.shape, self.ndim, self.dtype = data.shape, data.ndim, data.dtype

    @property
    def data(self):
        return self

    def __getitem__(self, t):
        if t >= 2:
            self._go.wait(30)
        return self._data[t]


def test_escape_cancels_an_import_while_the_layer_is_read(annotator, qtbot):
    _, widget = annotator
    controller = widget.controller
    session = controller.session
    data = np.zeros((127, 480, 854), np.uint8)
    data[:, 10:20, 10:20] = 3
    go = threading.Event()
    run = controller.import_labels(_SlowLayer(data, go))
    assert run is not None and controller.background_edit is run
    controller.cancel()  # Escape
    go.set()
    assert run.wait(30)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert not session.objects and not session.can_undo  # nothing of it was imported
    assert not labels_of(controller, 0).any()


@pytest.mark.parametrize("value", [-4, 70_000])
def test_a_layer_holding_values_that_are_no_object_ids_is_refused(annotator, qtbot, value):
    """As ``skipclick import-labels``: a negative label, or one past 65535 (napari could not
    draw it), is refused, said why, and nothing changes."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    objects = list(controller.session.objects)
    data = np.zeros((127, 480, 854), np.int64)
    data[61, 5:10, 5:10] = value
    viewer.add_labels(data, name="odd")
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    wait_idle(qtbot, controller)
    assert f"frame 61: it holds the label {value}" in controller.last_message
    assert controller.session.objects == objects
    assert not labels_of(controller, 61).any()
    assert controller.session.status(61) == FrameStatus.EMPTY
    assert controller.flush()


def test_ids_the_session_gave_other_objects_take_new_ones(annotator, qtbot):
    """A model's labels 1 and 2 are not the session's skier (1) nor its deleted object (2):
    they become new objects under new IDs, and the message says which; a layer of the
    session's own objects (names in its metadata, as the reader gives a store's) comes back
    as those objects."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    skier = controller.add_object(name="skier")
    gone = controller.add_object(name="ski")
    controller.delete_objects([gone.id])
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    data = np.zeros((127, 480, 854), np.uint8)
    data[10, 100:140, 200:260] = skier.id
    data[10, 300:310, 500:600] = gone.id
    data[10, 400:420, 100:140] = 5
    viewer.add_labels(data, name="model")
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(10) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    named = {o.id: o.name for o in controller.session.objects}
    assert named == {skier.id: "skier", 5: "model 5", 6: f"model {skier.id}", 7: f"model {gone.id}"}
    labels = labels_of(controller, 10)
    assert (labels[100:140, 200:260] == 6).all() and (labels[300:310, 500:600] == 7).all()
    assert (labels[400:420, 100:140] == 5).all()
    assert f"took new ones: {skier.id} → 6, {gone.id} → 7" in controller.last_message

    own = np.zeros((127, 480, 854), np.uint32)
    own[11, 50:80, 50:80] = skier.id
    objects = [{"id": skier.id, "name": "skier", "class_name": skier.class_name}]
    viewer.add_labels(own, name="store", metadata={"objects": objects})
    panel.import_combo.setCurrentText("store")
    panel.import_selected_layer()
    qtbot.waitUntil(lambda: controller.session.status(11) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    assert (labels_of(controller, 11)[50:80, 50:80] == skier.id).all()
    assert len(controller.session.objects) == 4


def test_a_stores_frames_in_review_stay_in_review_with_their_reasons(annotator, qtbot, tmp_path):
    """Another annotator's store (docs/export.md, *Merging*): its frames that need review
    came in *imported*, accepted and keyframes, their reasons lost."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    labels = np.zeros((480, 854), np.uint32)
    labels[100:140, 200:260] = 1
    with AnnotationStore.open_or_create(tmp_path / "B.zarr", controller.session.frames.info) as st:
        st.write_objects([ObjectInfo(1, "ski-B", "ski", (9, 9, 9))], ["ski"])
        clicked = FrameRecord(FrameStatus.CLICKED, {1: [(120.0, 230.0, True, 1.0)]})
        st.commit_frame(0, labels, clicked)
        derived = {1: [(121.0, 231.0, True, 2.0)]}
        review = FrameRecord(FrameStatus.NEEDS_REVIEW, derived, carried=[1], review={1: "lost"})
        st.commit_frame(1, labels, review)
    _import_store(viewer, panel, tmp_path / "B.zarr")
    session = controller.session
    qtbot.waitUntil(lambda: session.status(0) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    assert session.status(1) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(1) == {1: "lost"}
    assert session.keyframe_statuses()[1] == FrameStatus.NEEDS_REVIEW
    assert (labels_of(controller, 1)[100:140, 200:260] == 1).all()
    assert "1 of them still need review" in controller.last_message


def test_another_annotators_objects_join_the_frames_this_session_labelled(
    annotator, qtbot, tmp_path
):
    """A (skier) and B (ski) annotated the same frames: the import was refused. Where B's ski
    meets A's skier, the skier keeps its pixels and the message says so."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    skier = controller.add_object(name="skier")
    mine = np.zeros((480, 854), np.uint32)
    mine[100:140, 200:260] = skier.id
    controller.session.paint(5, (0, 480, 0, 854), mine, skier.id)
    ski = np.zeros((480, 854), np.uint32)
    ski[130:150, 200:300] = 1  # meets the skier on [130:140, 200:260]
    with AnnotationStore.open_or_create(tmp_path / "B.zarr", controller.session.frames.info) as st:
        st.write_objects([ObjectInfo(1, "ski-B", "ski", (9, 9, 9))], ["ski"])
        st.commit_frame(5, ski, FrameRecord(FrameStatus.CLICKED, {}))
    _import_store(viewer, panel, tmp_path / "B.zarr")
    session = controller.session
    qtbot.waitUntil(lambda: len(session.ids_on(5)) == 2, timeout=30_000)
    wait_idle(qtbot, controller)
    labels = labels_of(controller, 5)
    new = next(o.id for o in session.objects if o.name == "ski-B")
    assert (labels[100:140, 200:260] == skier.id).all() and (labels[140:150, 200:300] == new).all()
    assert (labels[130:140, 260:300] == new).all()
    assert "frame 5: ski-B under skier (600 px)" in controller.last_message
    controller.undo()
    np.testing.assert_array_equal(labels_of(controller, 5), mine)


def test_another_stores_object_of_the_same_name_is_another_object(annotator, qtbot, tmp_path):
    """Both annotators' "skier" is object 1: B's skier came back as A's, its masks joined."""
    viewer, widget = annotator
    controller, panel = widget.controller, widget.objects_panel
    skier = controller.add_object(name="skier")
    labels = np.zeros((480, 854), np.uint32)
    labels[100:140, 200:260] = skier.id
    with AnnotationStore.open_or_create(tmp_path / "B.zarr", controller.session.frames.info) as st:
        st.write_objects([ObjectInfo(skier.id, "skier", skier.class_name, (9, 9, 9))], ["skier"])
        st.commit_frame(40, labels, FrameRecord(FrameStatus.CLICKED, {}))
    _import_store(viewer, panel, tmp_path / "B.zarr")
    session = controller.session
    qtbot.waitUntil(lambda: session.status(40) == FrameStatus.IMPORTED, timeout=30_000)
    wait_idle(qtbot, controller)
    assert [o.name for o in session.objects] == ["skier", "skier"]
    new = session.objects[1].id
    assert new != skier.id and (labels_of(controller, 40)[100:140, 200:260] == new).all()
    assert f"took new ones: {skier.id} → {new}" in controller.last_message


def _import_store(viewer, panel, path) -> None:
    """Open another annotator's store beside the session and import its labels layer."""
    viewer.open(str(path), plugin="napari-skipclick")
    panel.import_combo.setCurrentText(f"SkipClick labels ({path.name})")
    panel.import_selected_layer()


def _open_skier_store(viewer, path, name: str, t: int, info) -> None:
    """Write a store at ``path`` whose object 4 (``name``, a skier) is on frame ``t``, and open
    it beside the session with the reader."""
    labels = np.zeros((480, 854), np.uint32)
    labels[100:140, 200:260] = 4
    with AnnotationStore.open_or_create(path, info) as store:
        store.write_objects([ObjectInfo(4, name, "skier", (9, 9, 9))], ["skier"])
        store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
    viewer.open(str(path), plugin="napari-skipclick")
