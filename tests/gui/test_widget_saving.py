"""Saving in the widget: commits on the writer thread, pending/saved state, closing with a store
that refuses writes (dialog choices injected), export from one committed state."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PIL import Image

from napari_skipclick._qt.unsaved import Choice, Resolution, UnsavedDialog, ask_unsaved
from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore, StoreError
from napari_skipclick.session import AnnotationSession, UnsavedChangesError
from napari_skipclick.types import Click, FrameStatus
from support.widget import click, hold_back_features, labels_of, wait_idle, watch_steps

pytestmark = [pytest.mark.gui]


def _full_disk(monkeypatch, store) -> None:
    def refuse(*args, **kwargs):
        raise StoreError("could not save: No space left on device")

    monkeypatch.setattr(store, "commit_frame", refuse)


def _edit_frames(controller, frames: list[int]) -> None:
    for t in frames:
        controller.session.set_status(t, FrameStatus.NEEDS_REVIEW)


def test_commits_run_on_the_writer_thread_and_saved_means_on_disk(saving, qtbot, monkeypatch):
    widget, _ = saving
    controller = widget.controller
    store = controller.session.store
    threads, entered, release = [], threading.Event(), threading.Event()
    real = store.commit_frame

    def slow_commit(*args, **kwargs):
        threads.append(threading.current_thread())
        entered.set()
        assert release.wait(30)
        real(*args, **kwargs)

    monkeypatch.setattr(store, "commit_frame", slow_commit)
    _edit_frames(controller, [3, 4])
    controller.accept_frame()  # frame 0 reviewed and saved in the background
    assert entered.wait(30)  # the GUI thread goes on while the writer is inside the store
    state = controller.save_state
    assert state.saving and not state.saved and state.pending == 3
    assert widget.save_label.text() == "Saving 3 frames …"
    release.set()
    qtbot.waitUntil(lambda: controller.save_state.saved, timeout=30_000)
    assert widget.save_label.text() == "All changes saved"
    assert widget.status_label.text() == "Frame 0 reviewed"  # no "saving" once it is saved
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert store.statuses()[0] == FrameStatus.REVIEWED  # called saved: it is on disk
    np.testing.assert_array_equal(store.read_labels(0), labels_of(controller, 0))
    assert store.statuses()[4] == FrameStatus.NEEDS_REVIEW


def test_delete_object_and_undo_leave_the_commits_to_the_writer(saving, qtbot, monkeypatch):
    widget, _ = saving
    controller = widget.controller
    store = controller.session.store
    gui_commits = []
    real = store.commit_frame

    def record(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            gui_commits.append(args[0])
        real(*args, **kwargs)

    monkeypatch.setattr(store, "commit_frame", record)
    obj = controller.current_object
    controller.delete_object(obj)  # in a worker
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    assert controller.save_state.pending == 2  # frame 0 and the object list
    controller.undo()
    controller.save()
    qtbot.waitUntil(lambda: controller.save_state.saved, timeout=30_000)
    assert gui_commits == []
    assert [o.id for o in store.objects()] == [obj] and (store.read_labels(0) == obj).any()


def test_the_store_gets_a_deletion_only_once_it_ended(saving, qtbot, tmp_path):
    """A deletion running in a worker is not saved by the autosave meanwhile (a crash then
    left frames cleared on disk and others not, and the object gone from the list: pixels of
    an object that no longer existed); export waits for it too."""
    widget, _ = saving
    controller = widget.controller
    session, store = controller.session, controller.session.store
    pole = controller.add_object(name="pole").id
    session.set_clicks(3, pole, [Click(300, 600, True)])
    assert controller.flush()
    gate = threading.Event()
    watch_steps(session, "deleting", gate)
    run = controller.delete_object(pole)
    qtbot.waitUntil(lambda: session.edit_open, timeout=30_000)
    controller.flush()  # the autosave's turn: nothing of the deletion is written
    assert not controller.save_state.saved and controller.save_state.pending > 0
    assert pole in [o.id for o in store.objects()] and pole in store.frame_ids(3)
    widget.export_panel.folder_edit.setText(str(tmp_path / "export"))
    widget.export_panel.export()
    assert widget.export_panel.worker is None
    assert controller.last_message.startswith("Cannot export while objects are deleted")
    gate.set()
    assert run.wait(30)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    qtbot.waitUntil(lambda: controller.save_state.saved, timeout=30_000)
    assert pole not in [o.id for o in store.objects()] and pole not in store.frame_ids(3)


def test_a_failed_save_says_so_keeps_the_frames_and_is_retried(saving, qtbot, monkeypatch):
    widget, _ = saving
    controller = widget.controller
    store = controller.session.store
    _full_disk(monkeypatch, store)
    _edit_frames(controller, [2])
    controller.save()
    qtbot.waitUntil(lambda: controller.save_state.error is not None, timeout=30_000)
    text = widget.save_label.text()
    assert text.startswith("NOT SAVED") and "No space left" in text and "1 frame kept" in text
    assert controller.session.dirty_frames() == [2]
    monkeypatch.undo()
    controller.save()  # the retry (the timer would also do it)
    qtbot.waitUntil(lambda: controller.save_state.saved, timeout=30_000)
    assert store.statuses()[2] == FrameStatus.NEEDS_REVIEW


def test_closing_with_a_full_disk_asks_and_saves_to_another_store(
    saving, qtbot, monkeypatch, tmp_path
):
    widget, path = saving
    controller = widget.controller
    session = controller.session
    _full_disk(monkeypatch, session.store)
    _edit_frames(controller, [5, 6])
    expected = np.asarray(session.labels[0]).copy()
    asked: list[UnsavedChangesError] = []
    answers = [Resolution(Choice.RETRY), Resolution(Choice.SAVE_AS, str(tmp_path / "b.zarr"))]
    controller.unsaved_handler = lambda error: asked.append(error) or answers.pop(0)
    widget.close()  # closing the dock widget closes the session
    assert [e.frames for e in asked] == [[5, 6], [5, 6]]  # asked, retried, asked again
    assert controller.session is None and session.dirty_frames() == []
    with AnnotationStore.open(tmp_path / "b.zarr") as other:
        np.testing.assert_array_equal(other.read_labels(0), expected)
        assert other.statuses()[5] == FrameStatus.NEEDS_REVIEW
    AnnotationStore.open(path, readonly=False).close()  # both stores were released


def test_closing_discards_only_when_chosen_and_raises_without_a_handler(saving, qtbot, monkeypatch):
    widget, path = saving
    controller = widget.controller
    session = controller.session
    _full_disk(monkeypatch, session.store)
    _edit_frames(controller, [7])
    controller.unsaved_handler = None  # scripts: an exception, the session stays open
    with pytest.raises(UnsavedChangesError, match="1 frame"):
        controller.close_session()
    assert controller.session is session and session.dirty_frames() == [7]
    controller.unsaved_handler = lambda error: Resolution(Choice.DISCARD)
    controller.close_session()
    assert controller.session is None
    with AnnotationStore.open(path) as store:
        assert 7 not in store.statuses()


def test_closing_waits_for_the_writer(saving, qtbot, monkeypatch):
    widget, path = saving
    controller = widget.controller
    store = controller.session.store
    real, entered = store.commit_frame, threading.Event()

    def slow_commit(*args, **kwargs):
        entered.set()
        threading.Event().wait(0.5)
        real(*args, **kwargs)

    monkeypatch.setattr(store, "commit_frame", slow_commit)
    _edit_frames(controller, [8, 9])
    controller.save()
    assert entered.wait(30)
    _edit_frames(controller, [10])
    controller.close_session()
    with AnnotationStore.open(path) as back:
        assert {8, 9, 10} <= set(back.statuses())


def test_unsaved_dialog_says_how_many_frames_and_returns_the_choice(qtbot, monkeypatch, tmp_path):
    error = UnsavedChangesError([3, 4, 9], True, tmp_path / "a.zarr", "No space left on device")
    dialog = UnsavedDialog(error)
    qtbot.addWidget(dialog)
    assert "3 frames and the object list" in dialog.text()
    assert dialog.informativeText().startswith("No space left on device")
    labels = [b.text() for b in dialog.buttons.values()]
    assert labels == ["Retry", "Save to another store…", "Discard 3 frames and the object list"]
    assert dialog.escapeButton() is dialog.buttons[Choice.RETRY]  # Escape never discards
    assert dialog.choice() is Choice.RETRY
    dialog.buttons[Choice.DISCARD].click()
    assert dialog.choice() is Choice.DISCARD

    from qtpy.QtWidgets import QFileDialog

    monkeypatch.setattr(UnsavedDialog, "exec", lambda self: self.buttons[Choice.SAVE_AS].click())
    new = str(tmp_path / "b.zarr")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (new, ""))
    assert ask_unsaved(None, error) == Resolution(Choice.SAVE_AS, new)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert ask_unsaved(None, error) == Resolution(Choice.RETRY)  # no folder: nothing dropped


def test_export_reads_one_committed_state_while_commits_arrive(
    saving, qtbot, monkeypatch, tmp_path
):
    widget, _ = saving
    controller = widget.controller
    session = controller.session
    obj = controller.current_object
    session.labels.write(1, (10, 20, 10, 20), np.full((10, 10), obj, np.uint32))
    assert controller.flush()
    before = {t: np.asarray(session.labels[t]).copy() for t in (0, 1)}
    real_read = AnnotationStore.read_labels
    committer: list[threading.Thread] = []

    def edit_and_commit() -> None:
        session.labels.write(1, (10, 20, 10, 20), np.zeros((10, 10), np.uint32))
        session.set_status(1, FrameStatus.REVIEWED)
        session.commit(1)

    def read_while_committing(store, t):
        if not committer:  # first frame read: another thread commits a change of frame 1
            committer.append(threading.Thread(target=edit_and_commit))
            committer[0].start()
            committer[0].join(1.0)
        return real_read(store, t)

    monkeypatch.setattr(AnnotationStore, "read_labels", read_while_committing)
    panel = widget.export_panel
    panel.format_combo.setCurrentText("png")
    panel.folder_edit.setText(str(tmp_path / "png"))
    panel.export()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60_000)
    committer[0].join(30)
    pngs = sorted((tmp_path / "png" / "labels").glob("*.png"))
    assert len(pngs) == 2
    for t, png in enumerate(pngs):  # the state when the export began, both frames
        np.testing.assert_array_equal(np.asarray(Image.open(png)), before[t])
    doc = json.loads((tmp_path / "png" / "objects.json").read_text())
    assert doc["info"]["videos"][0]["frame_statuses"] == {"clicked": 1, "empty": 1}
    store = session.store  # the commit that waited went through after the export
    assert not store.read_labels(1).any() and store.statuses()[1] == FrameStatus.REVIEWED


def test_closing_during_propagation_with_a_full_disk_keeps_the_frames(saving, qtbot, monkeypatch):
    widget, path = saving
    controller = widget.controller
    session = controller.session
    _full_disk(monkeypatch, session.store)
    controller.propagate(1, 3)
    qtbot.waitUntil(lambda: session.status(1) != FrameStatus.EMPTY, timeout=120_000)
    controller.unsaved_handler = None
    with pytest.raises(UnsavedChangesError):
        controller.close_session()  # the run is stopped first, then nothing can be written
    assert not controller.propagating and controller.session is session
    propagated = [t for t in session.dirty_frames() if t > 0]
    assert propagated and all((session.labels[t] > 0).any() for t in propagated)
    monkeypatch.undo()  # space again: closing saves them
    controller.close_session()
    with AnnotationStore.open(path) as store:
        for t in propagated:
            np.testing.assert_array_equal(store.read_labels(t), np.asarray(session.labels[t]))


def _deletion_cut_short(saving) -> tuple:
    """Close the session of ``saving`` and leave its store as a crash during the deletion of
    its object leaves it (the list written with the object marked, no frame yet); returns
    the controller, the object, and a call that opens the store again."""
    widget, path = saving
    controller = widget.controller
    skier = controller.current_object
    image = controller.layers.image_layer
    controller.close_session()
    with AnnotationStore.open(path, readonly=False) as store:  # the list a crash left
        store.write_objects(store.objects(), store.classes(), leaving=[skier])
        assert store.read_labels(0).any()  # frame 0 not written yet

    def reopen(cache) -> None:
        controller.start_session(
            image, create_engine("embedded"), store_path=str(path), cache=cache
        )

    return controller, skier, reopen


def test_opening_a_store_finishes_a_deletion_a_crash_left_half_saved(saving, qtbot, feature_cache):
    controller, skier, reopen = _deletion_cut_short(saving)
    path = saving[1]
    said: list[str] = []
    controller.message.connect(said.append)
    reopen(feature_cache)
    assert any(f"finishing the deletion of object {skier}" in text for text in said)
    assert controller.background_edit is not None  # the deletion runs in a worker
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=60_000)
    assert "Deleted 1 object(s)" in said
    assert controller.session.objects == [] and not labels_of(controller, 0).any()
    assert controller.flush()  # the autosave writes it
    with AnnotationStore.open(path) as store:
        assert store.objects() == [] and store.leaving() == [] and not store.read_labels(0).any()


def test_escape_on_the_deletion_a_crash_left_keeps_the_object_for_good(
    saving, qtbot, feature_cache, monkeypatch
):
    controller, skier, reopen = _deletion_cut_short(saving)
    path = saving[1]
    gate = threading.Event()
    monkeypatch.setattr(AnnotationSession, "deleting", AnnotationSession.deleting)  # put back
    watch_steps(AnnotationSession, "deleting", gate)  # held at its first frame
    reopen(feature_cache)
    assert controller.background_edit is not None  # finishing the deletion
    controller.cancel()  # Escape
    gate.set()
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=60_000)
    assert controller.last_message.endswith("their deletion is given up)")
    session = controller.session
    assert [o.id for o in session.objects] == [skier] and session.unfinished_deletions == []
    assert (labels_of(controller, 0) == skier).any()  # what the crash left
    assert controller.flush()  # the list without the mark: the next opening keeps it
    with AnnotationStore.open(path) as store:
        assert store.leaving() == [] and [o.id for o in store.objects()] == [skier]


def test_a_store_refused_on_apply_leaves_the_session_as_it_was(saving, qtbot, tmp_path):
    """Apply with the store of another video: refused before the running session is closed,
    which goes on saving; the same store for another video is refused the same way."""
    from napari_skipclick.io.store import StoreMismatchError
    from napari_skipclick.types import VideoInfo
    from support.widget import click, wait_idle

    widget, path = saving
    controller = widget.controller
    session, layers = controller.session, controller.layers
    other = tmp_path / "other.zarr"
    AnnotationStore.open_or_create(other, VideoInfo("/v/other.mp4", 3, 8, 8, 25.0, "fp")).close()
    image = layers.image_layer
    engine = session.engine
    with pytest.raises(StoreMismatchError, match="belongs to another video"):
        controller.start_session(image, engine, store_path=str(other))
    assert widget.start(image, engine, str(other)) is None  # the Apply button's way
    assert "Cannot start" in controller.last_message
    assert controller.session is session and controller.layers is layers
    assert not session.store.readonly
    twin = controller.viewer.add_image(np.zeros((3, 8, 8, 3), np.uint8), rgb=True, name="small")
    with pytest.raises(StoreMismatchError):
        controller.start_session(twin, engine, store_path=str(path))
    assert controller.session is session
    click(qtbot, controller, 170, 335)  # the session goes on, and saves
    wait_idle(qtbot, controller)
    assert controller.flush()
    with AnnotationStore.open(path) as store:
        assert np.array_equal(store.read_labels(0), labels_of(controller, 0))
        assert len(store.clicks(0)[controller.current_object]) == 2


def test_napari_writer_saves_the_session_layer_with_its_video_objects_and_classes(
    saving, qtbot, tmp_path
):
    """*Save Selected Layers* on "SkipClick labels": the store it writes names the video the
    session annotates (the widget takes it for that video) and keeps the objects' names and
    classes (it wrote "object 1" of class "object" for a store of no video)."""
    widget, path = saving
    controller = widget.controller
    skier = controller.session.objects[0]
    controller.rename_object(skier.id, "Anna")
    controller.add_class("person")
    controller.set_object_class(skier.id, "person")
    copy = tmp_path / "copy.zarr"
    controller.layers.labels.save(str(copy), plugin="napari-skipclick")
    with AnnotationStore.open(copy) as saved, AnnotationStore.open(path) as own:
        assert saved.video == own.video
        assert [(o.id, o.name, o.class_name) for o in saved.objects()] == [
            (skier.id, "Anna", "person")
        ]
        assert "person" in saved.classes()
        np.testing.assert_array_equal(saved.read_labels(0), labels_of(controller, 0))


def test_napari_writer_saves_the_session_layer_with_its_frame_statuses(saving, qtbot, tmp_path):
    """*Save Selected Layers* into another store wrote every frame *clicked*: a reviewed
    frame and propagated ones lost the statuses the session gave them."""
    widget, _ = saving
    controller = widget.controller
    controller.propagate(1, 2)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    controller.accept_frame()  # frame 0: reviewed
    session = controller.session
    expected = session.statuses()
    assert expected[0] == FrameStatus.REVIEWED and expected[1] != FrameStatus.CLICKED
    assert controller.flush()
    copy = tmp_path / "copy.zarr"
    controller.layers.labels.save(str(copy), plugin="napari-skipclick")
    with AnnotationStore.open(copy) as saved:
        assert saved.statuses() == expected
        # the frames the session had saved keep their clicks (they were all dropped)
        assert saved.clicks(0) == session.store.clicks(0) != {}
        assert saved.clicks(1) == session.store.clicks(1) != {}


def test_a_frame_whose_saved_labels_are_damaged_is_told_when_read(saving, qtbot):
    """It showed empty without a word (the session reads it as empty and goes on)."""
    widget, path = saving
    controller = widget.controller
    store = controller.session.store
    controller.go_to_frame(3)
    click(qtbot, controller, 144, 335)  # frame 3 annotated and saved
    assert controller.flush()
    chunk = store.chunk_path(3)
    chunk.write_bytes(chunk.read_bytes()[:-9])
    image = controller.layers.image_layer
    controller.close_session()
    controller.start_session(image, create_engine("embedded"), store_path=str(path))
    controller.go_to_frame(0)
    controller.go_to_frame(3)  # napari reads the frame to draw it
    controller.session.labels.read(3)
    qtbot.waitUntil(lambda: "Frame 3's saved labels cannot be read" in controller.last_message)


def test_opening_a_store_an_import_left_unfinished_says_how_to_finish_it(saving, feature_cache):
    """``skipclick import-labels`` killed midway: Start names the import and its command."""
    from napari_skipclick.io.store.import_mark import begin_import

    widget, path = saving
    controller = widget.controller
    image = controller.layers.image_layer
    controller.close_session()
    begin_import(path, "/data/masks", [1, 2, 3], ["--void", "255"])
    controller.start_session(
        image, create_engine("embedded"), store_path=str(path), cache=feature_cache
    )
    message = controller.last_message
    assert "an import of /data/masks into frames 1-3 was cut short" in message
    assert f"skipclick import-labels {path} --from /data/masks --void 255 --replace" in message


def test_closing_saves_a_click_still_waiting_for_its_features(saving, qtbot, monkeypatch):
    """A click on a frame whose features were not computed yet was dropped when the window
    closed, while the save line said "All changes saved"."""
    from qtpy.QtCore import QTimer

    widget, path = saving
    controller = widget.controller
    obj = controller.current_object
    session = controller.session
    released = hold_back_features(monkeypatch, session, 12)
    controller.go_to_frame(12)
    controller.layers.prompts.add([150, 330])
    assert controller.edits.pending(12, obj) is not None
    assert controller.save_state.pending == 1 and widget.save_label.text() != "All changes saved"

    def features_come() -> None:  # during the close
        released[0] = True
        controller.edits.kick()

    QTimer.singleShot(200, features_come)
    controller.close_session()
    with AnnotationStore.open(path) as store:
        assert [(c[0], c[1]) for c in store.clicks(12)[obj]] == [(150, 330)]
        assert store.read_labels(12).any()


def test_closing_with_features_that_never_come_lets_the_user_drop_the_clicks(
    saving, qtbot, monkeypatch
):
    """An encode that hung froze the closing window for 60 s, with no way out."""
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication, QProgressDialog

    widget, _ = saving
    controller = widget.controller
    session = controller.session
    hold_back_features(monkeypatch, session, 12)
    warned = []
    monkeypatch.setattr(controller, "_warn", warned.append)
    controller.go_to_frame(12)
    controller.layers.prompts.add([150, 330])

    def press_drop() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog)]
        if dialogs and dialogs[0].isVisible():
            dialogs[0].cancel()
        else:
            QTimer.singleShot(50, press_drop)

    QTimer.singleShot(100, press_drop)
    controller.close_session()
    assert controller.session is None
    assert warned == ["Clicks on frame(s) 12, waiting for their frame's features, were dropped: "
                      "they are not saved"]  # fmt: skip


def test_a_store_whose_last_edit_went_to_frame_0_resumes_there(saving, qtbot):
    """Frame 0 counted as no frame: Start left the viewer on the frame it showed."""
    widget, path = saving  # the last edit: a click on frame 0
    controller = widget.controller
    image = controller.layers.image_layer
    controller.close_session()
    with AnnotationStore.open(path) as store:
        assert store.resume_frame() == 0
    viewer = widget.viewer
    viewer.dims.set_current_step(0, 3)
    widget.start(image, create_engine("embedded"), str(path))
    wait_idle(qtbot, controller)
    assert controller.frame == 0 == viewer.dims.current_step[0]
