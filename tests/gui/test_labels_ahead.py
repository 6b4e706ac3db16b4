"""Stepping frames of a store's labels: the next frames' labels are read ahead in a background
thread, so that a step only shows labels in memory; the labels on screen are always those of
the frame on screen, and an edit right after a step lands in the store."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from support.widget import labels_of, sample_widget, wait_idle

pytestmark = [pytest.mark.gui]

FRAMES = 16


def _frame_labels(t: int, shape: tuple[int, int]) -> np.ndarray:
    """Frame ``t``'s labels: object 1 in a box that moves with ``t``, object 2 in a bar."""
    labels = np.zeros(shape, np.uint32)
    labels[40 + 5 * t : 120 + 5 * t, 100:220] = 1
    labels[300:320, :] = 2
    return labels


@pytest.fixture
def stored(make_napari_viewer, qtbot, feature_cache, tmp_path):
    """(viewer, controller, store path): the sample's first frames labelled and saved, the
    store opened again, so that every frame's labels are read from it."""
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    path = tmp_path / "run.zarr"
    engine = create_engine("embedded")
    controller.start_session(image, engine, store_path=str(path), cache=feature_cache)
    wait_idle(qtbot, controller)
    for name in ("box", "bar"):
        controller.add_object(name=name)
    shape = controller.session.labels.shape[1:]
    for t in range(FRAMES):
        controller.session.labels.set_frame(t, _frame_labels(t, shape))
    assert controller.flush()
    controller.close_session()
    controller.start_session(image, engine, store_path=str(path), cache=feature_cache)
    wait_idle(qtbot, controller)
    yield viewer, controller, path
    controller.close_session()


def _shown(controller) -> np.ndarray:
    """The labels napari shows (its slice of the layer's data)."""
    return np.asarray(controller.layers.labels._slice.image.raw)


def _readers(volume) -> list[int]:
    """Spy: the threads that read the volume's frames from the store, as they read."""
    threads: list[int] = []
    read = volume._stored_frame

    def spied(t: int) -> np.ndarray:
        threads.append(threading.get_ident())
        return read(t)

    volume._stored_frame = spied
    return threads


def test_stepping_forward_and_back_shows_labels_read_ahead_off_the_gui_thread(stored, qtbot):
    viewer, controller, _ = stored
    volume = controller.session.labels
    readers = _readers(volume)
    shape = volume.shape[1:]
    for t in [1, 2, 3, 4, 5, 6, 5, 4, 3]:
        qtbot.waitUntil(lambda t=t: volume.held(t), timeout=10_000)
        viewer.dims.set_current_step(0, t)
        np.testing.assert_array_equal(_shown(controller), _frame_labels(t, shape))
    assert readers and threading.get_ident() not in readers


def test_a_fast_series_of_steps_then_a_paint_shows_and_saves_the_right_frame(stored, qtbot):
    viewer, controller, path = stored
    shape = controller.session.labels.shape[1:]
    for t in range(1, 13):  # a slider drag: no wait between the steps
        viewer.dims.set_current_step(0, t)
    np.testing.assert_array_equal(_shown(controller), _frame_labels(12, shape))
    viewer.dims.set_current_step(0, 13)
    layer = controller.layers.labels
    layer.brush_size = 3
    with layer.block_history():
        layer.paint((13, 200, 400), 2)  # right after the step
    expected = _frame_labels(13, shape)
    expected[199:202, 399:402] = 2
    np.testing.assert_array_equal(labels_of(controller, 13), expected)
    np.testing.assert_array_equal(_shown(controller), expected)
    assert controller.flush()
    with AnnotationStore.open(path) as store:
        np.testing.assert_array_equal(store.read_labels(13), expected)
        np.testing.assert_array_equal(store.read_labels(12), _frame_labels(12, shape))


def test_a_read_ahead_that_comes_back_late_shows_nothing_and_keeps_a_later_write(stored, qtbot):
    viewer, controller, _ = stored
    volume = controller.session.labels
    shape = volume.shape[1:]
    started, go, back = threading.Event(), threading.Event(), threading.Event()
    read = volume._stored_frame

    def slow(t: int) -> np.ndarray:  # the read ahead of frame 8 on a slow disk
        if t != 8 or threading.current_thread() is threading.main_thread():
            return read(t)
        started.set()
        go.wait(10)
        try:
            return read(t)
        finally:
            back.set()

    volume._stored_frame = slow
    viewer.dims.set_current_step(0, 7)  # frames 8 to 11 are read ahead
    assert started.wait(10)
    viewer.dims.set_current_step(0, 6)  # the user went back meanwhile
    written = _frame_labels(8, shape)
    written[:10, :10] = 1  # frame 8 written meanwhile (as a propagation does)
    volume.set_frame(8, written)
    go.set()
    qtbot.waitUntil(back.is_set, timeout=10_000)
    qtbot.wait(200)  # the late read is back in the volume's hands
    np.testing.assert_array_equal(_shown(controller), _frame_labels(6, shape))
    viewer.dims.set_current_step(0, 8)
    np.testing.assert_array_equal(_shown(controller), written)
    np.testing.assert_array_equal(labels_of(controller, 8), written)
