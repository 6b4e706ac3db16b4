"""The annotated video is shown without decoding frames on the GUI thread (``VideoDisplay``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from napari_skipclick._layer_data import unwrapped
from napari_skipclick._qt.display import VideoDisplay
from napari_skipclick.io import VideoError, open_video

pytestmark = [pytest.mark.gui]


def _shown(layer) -> np.ndarray:
    return np.asarray(layer._slice.image.raw)


def test_a_frame_not_decoded_yet_is_decoded_off_the_gui_thread_then_shown(annotator, qtbot):
    viewer, widget = annotator
    image = widget.controller.layers.image_layer
    video = unwrapped(image.data).video
    readers: list[int] = []
    read = video._source.read

    def spied_read(t: int) -> np.ndarray:
        readers.append(threading.get_ident())
        return read(t)

    video._source.read = spied_read
    target = 90
    assert not video.is_decoded(target)
    viewer.dims.set_current_step(0, target)
    assert threading.get_ident() not in readers  # the slider moved without a decode here
    qtbot.waitUntil(lambda: np.array_equal(_shown(image), video.frame(target)), timeout=30_000)
    assert readers and threading.get_ident() not in readers
    # the frames after it were read ahead: stepping forward shows them at once
    qtbot.waitUntil(lambda: video.is_decoded(target + 2), timeout=30_000)
    viewer.dims.set_current_step(0, target + 2)
    np.testing.assert_array_equal(_shown(image), video.frame(target + 2))


def test_the_layer_shows_its_video_again_when_the_session_closes(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    image = controller.layers.image_layer
    display = unwrapped(image.data)
    assert isinstance(display, VideoDisplay)
    twin = viewer.add_image(display.video, name="same video", rgb=True)
    viewer.layers.remove(twin)  # another layer of the same video: the session's stays open
    assert display.video.frame(3).shape == (480, 854, 3)
    controller.close_session()
    assert unwrapped(image.data) is display.video


def test_a_frame_that_cannot_be_decoded_reports_the_video_error(qtbot, tmp_path):
    for i in range(3):
        Image.fromarray(np.full((8, 10, 3), 40 * i, np.uint8)).save(tmp_path / f"f{i}.png")
    video = open_video(tmp_path)
    (tmp_path / "f2.png").write_bytes(b"not a png")
    decoded: list[int] = []
    display = VideoDisplay(video, decoded.append)
    try:
        np.testing.assert_array_equal(display[0], video.frame(0))
        stale = display[1]  # not decoded yet: the frame shown last, then the frame itself
        np.testing.assert_array_equal(stale, video.frame(0))
        qtbot.waitUntil(lambda: decoded == [1], timeout=10_000)
        assert display[1][0, 0, 0] == 40
        display[2]
        qtbot.waitUntil(lambda: decoded == [1, 2], timeout=10_000)
        with pytest.raises(VideoError, match=r"f2\.png"):
            display[2]
    finally:
        display.stop()


def test_a_mask_of_a_frame_not_on_screen_leaves_the_labels_layer_alone(annotator, qtbot):
    from napari_skipclick.types import Click
    from support.widget import wait_idle

    _, widget = annotator
    controller = widget.controller
    obj = controller.add_object(name="skier").id
    refreshes: list[object] = []
    controller.layers.labels.events.set_data.connect(refreshes.append)
    controller.submit_clicks(1, obj, [Click(150.0, 340.0, True)])
    wait_idle(qtbot, controller)
    assert (np.asarray(controller.session.labels.read(1)) == obj).any()
    assert controller.frame == 0 and refreshes == []
    controller.submit_clicks(0, obj, [Click(150.0, 340.0, True)])
    wait_idle(qtbot, controller)
    assert len(refreshes) == 1  # the frame on screen is shown


def test_a_frame_that_cannot_be_encoded_is_notified_once(annotator, monkeypatch):
    """An unreadable image in a frame folder: prefetch and stepping met it again and again,
    each time with a new error notification (six while stepping over it)."""
    from napari_skipclick._qt import messages

    _, widget = annotator
    controller = widget.controller
    shown: list[str] = []
    monkeypatch.setattr(messages, "show_error", shown.append)
    for _ in range(3):
        controller.loader.failed.emit(5, "cannot identify image file 'frames/00005.png'")
    assert len(shown) == 1 and controller.last_message.startswith("Frame 5: computing features")
    controller.loader.failed.emit(6, "cannot identify image file 'frames/00006.png'")
    assert len(shown) == 2


def test_a_labels_frame_is_drawn_as_it_is_without_a_conversion(saving, qtbot):
    """napari mapped every uint32 labels frame shown to a texture of its own (50 ms at 4K, a
    third of a step between frames): the layer gives it the object IDs as uint16, which it
    draws as they are."""
    controller = saving[0].controller
    layer, skier = controller.layers.labels, controller.current_object
    for t in (1, 0):
        controller.go_to_frame(t)
        qtbot.waitUntil(lambda t=t: controller.frame == t, timeout=30_000)
        shown = layer._slice.image
        assert np.array_equal(shown.raw, controller.session.labels.read(t))
        assert np.shares_memory(shown.view, shown.raw)  # napari's texture is the frame itself
    assert (shown.raw == skier).any()
    assert not np.shares_memory(shown.raw, controller.session.labels.read(0))  # napari's own
