"""Labels of a session with no store, when the napari window closes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_skipclick._qt import labels_keeping
from napari_skipclick.engines import create_engine
from napari_skipclick.io import recovered
from napari_skipclick.io.store import AnnotationStore
from support.widget import click, labels_of, sample_widget, wait_idle

pytestmark = [pytest.mark.gui]


def test_closing_the_window_keeps_no_store_labels_in_a_recovery_store(
    make_napari_viewer, qtbot, feature_cache, tmp_path, monkeypatch
):
    """The window and the layer went, while the message said the labels stayed in it (the
    recovery folder is the test's: ``recovery_in_tmp``)."""
    told: list[str] = []
    monkeypatch.setattr(labels_keeping, "show_info", told.append)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    assert mask.any()
    viewer.close()
    assert controller.session is None
    assert labels_keeping.RecoveryWrite.wait_all(timeout=60)
    (path,) = (tmp_path / "recovered").glob("*.zarr")
    assert len(told) == 1 and str(path) in told[0] and "closing the window" in told[0]
    with AnnotationStore.open(path) as store:
        assert np.array_equal(np.asarray(store.read_labels(0)), mask)


def test_the_recovery_copy_is_written_in_a_thread_the_process_waits_for(
    make_napari_viewer, qtbot, feature_cache, tmp_path, monkeypatch
):
    """The copy was written on the GUI thread as the session ended: a long clip's labels froze
    the window. It runs in a thread that is no daemon (the process waits for it), writes the
    changed frames alone, and keeps the objects and the video (it kept neither: the layer's
    metadata went to the writer where it looks for napari's layer attributes)."""
    calls: list[tuple[threading.Thread, list[int]]] = []
    write = labels_keeping.write_labels

    def recording(path, data, meta, *, only, on_frame):
        calls.append((threading.current_thread(), list(only)))
        return write(path, data, meta, only=only, on_frame=on_frame)

    monkeypatch.setattr(labels_keeping, "write_labels", recording)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    controller.close_session()
    assert labels_keeping.RecoveryWrite.wait_all(timeout=60)
    ((thread, frames),) = calls
    assert thread is not threading.main_thread() and not thread.daemon
    assert frames == [0]
    (path,) = (tmp_path / "recovered").glob("*.zarr")
    with AnnotationStore.open(path) as store:
        assert np.array_equal(np.asarray(store.read_labels(0)), mask)
        assert [o.name for o in store.objects()] == ["skier"]
        assert store.video.n_frames == image.data.shape[0] and not store.video.labels_only


def test_a_starting_widget_says_once_that_recovery_stores_exist(
    make_napari_viewer, tmp_path, monkeypatch
):
    """Recovery stores were written and never offered back: the user learnt of none."""
    from napari_skipclick._qt.widget import SkipClickWidget

    told: list[str] = []
    monkeypatch.setattr(labels_keeping, "show_info", told.append)
    monkeypatch.setattr(labels_keeping, "_told", False)
    viewer = make_napari_viewer()
    SkipClickWidget(viewer)
    assert told == []  # none yet: nothing said
    monkeypatch.setattr(labels_keeping, "_told", False)
    folder = tmp_path / "recovered"
    for _ in range(2):
        recovered.new_recovery_path(folder)
    SkipClickWidget(viewer)
    SkipClickWidget(viewer)
    assert len(told) == 1
    assert "2 recovery store(s)" in told[0] and str(folder) in told[0]
    assert "skipclick recovered" in told[0]
