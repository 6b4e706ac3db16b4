"""The setup panel builds its engine list and option fields from the engine registry."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt

from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick.engines import DEFAULT_ENGINE, ENGINES

pytestmark = [pytest.mark.gui]


@pytest.fixture
def panel(make_napari_viewer):
    return SkipClickWidget(make_napari_viewer()).setup_panel


def test_engines_and_fields_come_from_the_registry(panel):
    combo = panel.engine_combo
    assert [combo.itemText(i) for i in range(combo.count())] == list(ENGINES)
    assert combo.currentText() == DEFAULT_ENGINE
    for index, entry in enumerate(ENGINES.values()):
        assert combo.itemData(index, Qt.ToolTipRole) == entry.description
        combo.setCurrentText(entry.name)
        for name, fields in panel.fields.items():  # only the selected engine's fields show
            assert all(f.widget.isVisibleTo(panel) == (name == entry.name) for f in fields.values())
        flags = {o.name: o.default for o in entry.options if o.flag}
        assert set(panel.fields[entry.name]) == set(flags)
        assert panel.engine_options() == flags  # untouched fields give the registry defaults
    precision = panel.fields["skipclick"]["precision"].widget
    assert not precision.isEditable()
    choices = [precision.itemText(i) for i in range(precision.count())]
    assert choices == ["fp32", "bf16", "fp16", "fast"]
    assert panel.fields["skipclick"]["device"].widget.isEditable()


def test_shown_options_come_back_typed_and_hidden_ones_are_kept(panel):
    panel.show_engine("random-walker", {"max_side": 320, "beta": 90.0})
    assert panel.engine_combo.currentText() == "random-walker"
    assert panel.engine_options() == {"max_side": 320, "beta": 90.0}
    panel.fields["random-walker"]["max_side"].widget.setValue(0)
    assert panel.engine_options()["max_side"] is None  # the spin box's "none"
    options = {"protocol": "noc", "input_size": 672, "device": "cpu", "checkpoint": "a.pth"}
    panel.show_engine("skipclick", options)
    assert panel.engine_options() == {**options, "precision": "fp32"}
    panel.fields["skipclick"]["checkpoint"].widget.setText("")
    assert panel.engine_options()["checkpoint"] == "skipclick"


def test_an_option_given_with_a_checkpoint_goes_with_it(panel):
    """``annotate --option backbone_arch=...`` stayed hidden in the panel and was applied to
    any other checkpoint chosen there, which then failed to load."""
    arch = {"embed_dim": 48, "depth": 2}
    panel.show_engine("skipclick", {"checkpoint": "tiny.pth", "backbone_arch": arch})
    field = panel.fields["skipclick"]["checkpoint"]
    assert "backbone_arch" in field.widget.toolTip()
    assert panel.engine_options()["backbone_arch"] == arch
    panel.fields["skipclick"]["device"].set_value("cuda")  # another field: it stays
    assert panel.engine_options()["backbone_arch"] == arch
    field.set_value("vits.pth")
    assert "backbone_arch" not in panel.engine_options()
    field.set_value("tiny.pth")  # chosen again: it comes back
    assert panel.engine_options()["backbone_arch"] == arch


def test_an_engine_that_cannot_be_built_is_said_once(panel, qtbot, monkeypatch, tmp_path):
    """A bad checkpoint printed napari's traceback and showed a second notification (under
    pytest-qt: an exception in the Qt event loop, which fails the test)."""
    from napari_skipclick._qt import setup_panel

    shown = []
    monkeypatch.setattr(setup_panel, "show_error", shown.append)
    panel.viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"<html>not a checkpoint</html>")
    panel.show_engine("skipclick", {"checkpoint": str(bad)})
    panel.request_start()
    qtbot.waitUntil(panel.start_button.isEnabled, timeout=30_000)
    assert len(shown) == 1 and shown[0].startswith("Cannot use engine 'skipclick': ")


def test_download_puts_the_checkpoint_path_in_its_field(panel, qtbot, monkeypatch, tmp_path):
    from napari_skipclick.model import weights

    target = tmp_path / "full_model_skipclick.pth"
    fetched = []
    monkeypatch.setattr(
        weights, "fetch_checkpoint", lambda name, progressbar: fetched.append(name) or target
    )
    field = panel.fields["skipclick"]["checkpoint"]
    panel.download_button.click()
    qtbot.waitUntil(lambda: field.value() == str(target), timeout=10_000)
    assert fetched == ["skipclick"]
    assert panel.engine_combo.currentText() == "skipclick"
    qtbot.waitUntil(panel.download_button.isEnabled, timeout=10_000)


def test_the_dock_scrolls_on_a_short_screen_and_gives_spare_height_to_the_objects(
    make_napari_viewer, qtbot
):
    """Its four panels need about 950 pixels: on a 768-pixel laptop screen they scroll (the
    window is not pushed past the screen), with the save state still in sight; a tall dock
    gives its spare height to the objects table."""
    from qtpy.QtWidgets import QScrollArea

    widget = SkipClickWidget(make_napari_viewer())
    qtbot.addWidget(widget)
    widget.show()
    assert widget.minimumSizeHint().height() < 300
    (scroll,) = widget.findChildren(QScrollArea)
    table = widget.objects_panel.table
    widget.resize(420, 600)
    qtbot.waitUntil(lambda: widget.height() == 600)
    assert scroll.verticalScrollBar().maximum() > 0  # the panels scroll ...
    assert scroll.isAncestorOf(widget.export_panel) and not scroll.isAncestorOf(widget.save_label)
    assert widget.save_label.geometry().bottom() < widget.height()  # ... the save state stays
    short = table.height()
    widget.resize(420, 1600)
    qtbot.waitUntil(lambda: widget.height() == 1600)
    assert scroll.verticalScrollBar().maximum() == 0
    assert table.height() > short + 300


def test_the_docks_close_button_ends_the_session_and_frees_its_store(
    make_napari_viewer, qtbot, tmp_path, feature_cache
):
    """napari takes a closed dock's widget out without a close event: the session went on
    unseen, holding the store's lock, so a new widget could not open that store."""
    from napari_skipclick._sample_data import giant_slalom
    from napari_skipclick.engines import create_engine
    from napari_skipclick.io.store import AnnotationStore
    from support.widget import wait_idle

    viewer = make_napari_viewer()
    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    dock, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    store = tmp_path / "run.zarr"
    widget.controller.start_session(
        image, create_engine("embedded"), store_path=str(store), cache=feature_cache
    )
    wait_idle(qtbot, widget.controller)
    widget.controller.add_object(name="skier")
    dock.title.close_button.click()
    qtbot.waitUntil(lambda: widget.controller.session is None, timeout=10_000)
    with AnnotationStore.open_or_create(store, data.info) as reopened:  # its lock is free
        assert [o.name for o in reopened.objects()] == ["skier"]  # saved as it closed
    # a new dock: the closed one's controller still took the viewer's layer removals for its
    # own (it closed the video of the new session's layer, which raised and stayed open)
    _, again = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    again.controller.start_session(
        image, create_engine("embedded"), store_path=str(store), cache=feature_cache
    )
    wait_idle(qtbot, again.controller)
    viewer.layers.remove(image)
    assert again.controller.session is None
    AnnotationStore.open_or_create(store, data.info).close()  # its lock is free again


def test_a_renamed_layer_stays_chosen_and_listed(make_napari_viewer):
    """The image list went by name: a renamed video read as no image ("Open a video or image
    first"), a renamed Labels layer could not be imported."""
    import numpy as np

    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((2, 8, 8), np.uint8), name="first")
    second = viewer.add_image(np.zeros((2, 8, 8), np.uint8), name="second")  # renamed below
    widget = SkipClickWidget(viewer)
    panel = widget.setup_panel
    panel.image_combo.setCurrentIndex(1)
    second.name = "my video"
    assert panel.image_combo.currentText() == "my video"
    assert panel.image_layer().name == "my video"
    viewer.layers.remove("first")
    assert panel.image_layer().name == "my video"


def test_a_second_widget_cannot_take_the_first_ones_layers(annotator, qtbot):
    """Its Start took the first session's layers by name: that session ended with "a layer of
    the session was removed", its work gone from the screen."""
    from app_model.types import KeyBinding, KeyCode

    from napari_skipclick.engines import create_engine

    viewer, first = annotator
    session = first.controller.session
    second = SkipClickWidget(viewer)
    image = first.controller.layers.image_layer
    with pytest.raises(ValueError, match="another SkipClick widget annotates in this viewer"):
        second.controller.start_session(image, create_engine("embedded"))
    assert first.controller.session is session and not session.closed
    second.close()  # it took no shortcut from the first, so closing it leaves them bound
    assert KeyBinding.from_int(KeyCode.KeyM) in viewer.keymap
    first.controller.close_session()  # closed, its layers free: the second may start
    second.controller.start_session(image, create_engine("embedded"))
    assert second.controller.session is not None
    second.controller.close_session()


def test_the_tiny_checkpoint_starts_from_the_dock(panel, qtbot, monkeypatch):
    """A checkpoint whose extractor_type is no torch.hub name could not be used from the dock:
    no field took its DINOv2 architecture. Now the file gives all but the number of heads, which
    the *Options* line gives as ``skipclick annotate --option`` does."""
    from napari_skipclick._qt import setup_panel
    from support.tiny import ARCH, TINY

    shown = []
    monkeypatch.setattr(setup_panel, "show_error", shown.append)
    started = []
    panel.start_requested.connect(lambda layer, engine, store: started.append(engine))
    panel.viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    panel.show_engine("skipclick", {"checkpoint": str(TINY / "checkpoint.pth"), "device": "cpu"})
    panel.request_start()  # the heads are in no tensor: said, with the option to give
    qtbot.waitUntil(panel.start_button.isEnabled, timeout=30_000)
    assert not started and len(shown) == 1 and '"num_heads": N' in shown[0]
    panel.options_edit.setText('backbone_arch={"num_heads": 3} input_size=112')
    panel.request_start()
    qtbot.waitUntil(lambda: bool(started), timeout=60_000)
    assert len(shown) == 1
    (engine,) = started
    assert engine.model.config.dinov2.num_heads == ARCH["num_heads"] == 3
    assert engine.model.config.dinov2.embed_dim == ARCH["embed_dim"]
    assert engine.internal_size == (112, 112)
    panel.options_edit.setText("input_size=big")
    with pytest.raises(ValueError, match="input_size"):
        panel.engine_options()


def test_apply_with_unchanged_settings_does_not_load_the_engine_again(
    make_napari_viewer, qtbot, monkeypatch
):
    """Apply built (for SkipClick: loaded from its checkpoint) a new engine though nothing in
    the panel had changed; the session's frames are still shown again (Apply goes through)."""
    from napari_skipclick import engines
    from support.widget import wait_idle

    built = []
    build = engines.create_engine
    monkeypatch.setattr(
        engines,
        "create_engine",
        lambda name, **options: built.append(name) or build(name, **options),
    )
    widget = _on_random_walker(make_napari_viewer, qtbot)
    panel, controller = widget.setup_panel, widget.controller
    engine = controller.session.engine
    with qtbot.waitSignal(panel.start_requested, timeout=10_000) as applied:
        panel.request_start()  # Apply, nothing changed
    assert applied.args[1] is engine and controller.session.engine is engine
    assert built == ["random-walker"]
    panel.fields["random-walker"]["max_side"].set_value(64)  # a change: built anew
    with qtbot.waitSignal(panel.start_requested, timeout=30_000) as applied:
        panel.request_start()
    assert applied.args[1] is not engine and controller.session.engine is applied.args[1]
    assert built == ["random-walker"] * 2
    wait_idle(qtbot, controller)
    controller.close_session()


@pytest.mark.parametrize("cause", ["read-only", "full"])
def test_a_cache_folder_that_refuses_writes_is_said_and_annotation_goes_on(
    make_napari_viewer, qtbot, monkeypatch, tmp_path, cause
):
    """A read-only (or full) disk cache folder was taken without a word, and nothing was kept
    on it; a full one is found by the first write, in the feature loader's thread."""
    from napari_skipclick._qt import messages
    from napari_skipclick.engines import create_engine
    from support.folders import refuse_cache_writes
    from support.widget import wait_idle

    warned = []
    monkeypatch.setattr(messages, "show_warning", warned.append)
    folder = tmp_path / "features"
    folder.mkdir()
    refuse_cache_writes(folder, monkeypatch, cause)
    viewer = make_napari_viewer()
    image = viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    widget = SkipClickWidget(viewer)
    widget.setup_panel.cache_dir_edit.setText(str(folder))
    widget._apply_cache_settings()
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"))
    wait_idle(qtbot, controller)
    qtbot.waitUntil(lambda: bool(warned), timeout=10_000)
    assert controller.session.has_features(0) and len(warned) == 1
    assert warned[0].startswith(f"cache folder {folder} is not writable: ")
    assert warned[0].endswith("; features are kept in memory only")
    assert list(folder.iterdir()) == []
    widget._apply_cache_settings()  # Apply, the folder unchanged: not said again
    assert len(warned) == 1
    controller.close_session()


def test_a_failed_apply_says_the_cause_first_and_which_engine_annotates_on(
    make_napari_viewer, qtbot, monkeypatch, tmp_path
):
    """After a failed Apply the panel showed the refused engine while the session ran on the
    old one, and the pop-up's one line ended in the checkpoint's folder, cut before the cause."""
    from napari_skipclick._qt import setup_panel
    from support.widget import wait_idle

    shown = []
    monkeypatch.setattr(setup_panel, "show_error", shown.append)
    widget = _on_random_walker(make_napari_viewer, qtbot)
    panel, controller = widget.setup_panel, widget.controller
    folder = tmp_path / "a rather long folder name" / "of checkpoints"
    folder.mkdir(parents=True)
    (folder / "bad.pth").write_bytes(b"<html>not a checkpoint</html>")
    widget.session_box.setChecked(True)  # opened, as a user changing the engine does
    panel.show_engine("skipclick", {"checkpoint": str(folder / "bad.pth")})
    panel.request_start()
    qtbot.waitUntil(lambda: bool(shown) and panel.start_button.isEnabled(), timeout=30_000)
    assert shown == [
        "Cannot use engine 'skipclick': bad.pth is a web page (HTML), not a checkpoint: "
        "a download that went wrong?"
    ]
    assert controller.session.engine.name == "random-walker"
    assert controller.last_message == shown[0] + "; annotating on with random-walker"
    wait_idle(qtbot, controller)
    controller.close_session()


def test_review_and_propagate_are_in_sight_at_the_default_window_size(
    make_napari_viewer, qtbot, feature_cache
):
    """At napari's default window size the Frame panel was scrolled out of the dock under the
    Session and Objects panels: Review and Propagate needed scrolling on every frame. The
    Session box folds while a session runs and opens again from its title."""
    from qtpy.QtCore import QRect
    from qtpy.QtWidgets import QPushButton, QScrollArea

    from napari_skipclick._sample_data import giant_slalom
    from napari_skipclick.engines import create_engine
    from support.widget import wait_idle

    viewer = make_napari_viewer(show=True)
    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    widget.controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, widget.controller)
    (scroll,) = widget.findChildren(QScrollArea)
    viewport = scroll.viewport()
    frame = widget.frame_panel
    forward = next(b for b in frame.findChildren(QPushButton) if b.text() == "Propagate ▶")

    def in_sight(item) -> bool:
        rect = QRect(item.mapTo(viewport, item.rect().topLeft()), item.size())
        return item.isVisible() and viewport.rect().contains(rect)

    qtbot.waitUntil(lambda: in_sight(frame.next_review))
    assert scroll.verticalScrollBar().value() == 0
    assert in_sight(frame.frame_label) and in_sight(frame.strip) and in_sight(forward)
    assert not widget.setup_panel.isVisible()
    widget.session_box.setChecked(True)  # the settings, opened from the box's title
    assert widget.setup_panel.isVisible() and widget.setup_panel.start_button.isEnabled()
    widget.controller.close_session()


def test_a_build_or_download_ending_after_the_dock_closed_reports_nothing(
    make_napari_viewer, qtbot, monkeypatch, tmp_path
):
    """The engine build and the weights download went on after the dock closed: a build
    ending then started a session in the closed widget (holding its store), a download
    wrote its path into a field no one saw and said so."""
    import threading

    from qtpy.QtCore import QThreadPool
    from qtpy.QtWidgets import QApplication

    from napari_skipclick import engines
    from napari_skipclick._qt import setup_panel
    from napari_skipclick.model import weights

    running, gate = threading.Semaphore(0), threading.Event()

    def held(work):
        def run(*args, **kwargs):
            running.release()
            assert gate.wait(30)
            return work(*args, **kwargs)

        return run

    monkeypatch.setattr(engines, "create_engine", held(engines.create_engine))
    monkeypatch.setattr(weights, "fetch_checkpoint", held(lambda name, progressbar: tmp_path))
    said = []
    monkeypatch.setattr(setup_panel, "show_info", said.append)
    monkeypatch.setattr(setup_panel, "show_error", said.append)
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    widget = SkipClickWidget(viewer)
    qtbot.addWidget(widget)
    panel = widget.setup_panel
    requested = []
    panel.start_requested.connect(lambda *args: requested.append(args))
    panel.engine_combo.setCurrentText("random-walker")
    panel.request_start()
    panel.download_button.click()
    field = panel.fields["skipclick"]["checkpoint"]
    qtbot.waitUntil(lambda: running.acquire(blocking=False), timeout=10_000)
    qtbot.waitUntil(lambda: running.acquire(blocking=False), timeout=10_000)
    widget.close()
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(30_000)
    QApplication.processEvents()  # what the workers sent as they ended
    assert requested == [] and widget.controller.session is None
    assert said == [] and field.value() != str(tmp_path)


def test_a_session_closed_by_a_script_leaves_the_dock_ready_to_start(make_napari_viewer, qtbot):
    """``close_session`` (a script's, the demo's, a benchmark's) left the dock as if the session
    ran: the button read Apply and the Session box stayed folded; only a removed layer told."""
    widget = _on_random_walker(make_napari_viewer, qtbot)
    box, panel = widget.session_box, widget.setup_panel
    assert panel.start_button.text() == "Apply" and not box.isChecked()
    widget.controller.close_session()
    assert widget.controller.session is None and widget.viewer.layers  # no layer removed
    assert panel.start_button.text() == "Start annotating"
    assert box.isChecked() and not panel.isHidden()
    assert widget.frame_panel.frame_label.text().startswith("No session")


def _on_random_walker(make_napari_viewer, qtbot) -> SkipClickWidget:
    """A widget whose session runs on the random walker (started with Start annotating)."""
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    widget = SkipClickWidget(viewer)
    widget.setup_panel.engine_combo.setCurrentText("random-walker")
    widget.setup_panel.request_start()
    qtbot.waitUntil(lambda: widget.controller.session is not None, timeout=30_000)
    return widget


def test_the_shut_session_box_is_its_title_alone_and_apply_still_works(make_napari_viewer, qtbot):
    """The Session box, shut while a session runs, kept an empty strip under its title, did
    not say how to get the settings back, and disabled Apply (a script's click did nothing)."""
    viewer = make_napari_viewer(show=True)
    viewer.add_image(np.zeros((2, 32, 32), np.uint8))
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    box, panel = widget.session_box, widget.setup_panel
    panel.engine_combo.setCurrentText("embedded")
    panel.start_button.click()
    qtbot.waitUntil(lambda: widget.controller.session is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not box.isChecked() and not panel.isVisible())
    qtbot.waitUntil(lambda: box.height() <= box.fontMetrics().height() + 2)
    assert "tick" in box.title().lower() and "engine" in box.title()
    assert panel.start_button.isEnabled()
    panel.engine_combo.setCurrentText("random-walker")
    panel.start_button.click()  # Apply, the box still shut
    qtbot.waitUntil(
        lambda: widget.controller.session.engine.name == "random-walker", timeout=30_000
    )
    box.setChecked(True)
    assert box.title() == "Session" and panel.isVisible()
    qtbot.waitUntil(lambda: box.height() > panel.start_button.height() * 4)
    widget.controller.close_session()
