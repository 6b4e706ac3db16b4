"""Features precomputed by ``skipclick precompute`` on 2 local workers: the widget encodes none."""

from __future__ import annotations

import pytest

from napari_skipclick._sample_data import giant_slalom
from napari_skipclick.app import open_annotator
from napari_skipclick.cli import main
from napari_skipclick.engines import create_engine
from support.precompute import cached_frames
from support.widget import sample_widget, wait_idle

pytestmark = [pytest.mark.gui, pytest.mark.slow]

#: frames precomputed: frame 0 and the 3 frames the widget prefetches after it
FRAMES = 4


@pytest.fixture(scope="module")
def precomputed(tmp_path_factory):
    """A cache folder with the embedded features of the sample clip's first frames."""
    pytest.importorskip("distributed")
    video = giant_slalom()[0][0].path
    cache = tmp_path_factory.mktemp("features")
    args = ["precompute", str(video), "--engine", "embedded", "--cache", str(cache)]
    status = main([*args, "--frames", f"0:{FRAMES}", "--chunk", "2", "--workers", "2"])
    assert status == 0
    assert cached_frames(cache, video)[: FRAMES + 1] == [True] * FRAMES + [False]
    return cache


def count_encodes(engine):
    """Count the engine's encode calls from now on (the list grows by one per frame)."""
    calls: list[int] = []
    encode = engine.encode

    def counted(image):
        calls.append(1)
        return encode(image)

    engine.encode = counted
    return calls


def entries(cache) -> set:
    return set(cache.glob("*/*.zarr"))


def test_the_widget_opens_with_features_ready_and_encodes_nothing(
    make_napari_viewer, qtbot, precomputed
):
    before = entries(precomputed)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    widget.setup_panel.cache_dir_edit.setText(str(precomputed))
    widget._apply_cache_settings()
    controller = widget.controller
    assert controller.cache.disk_path == precomputed
    engine = create_engine("embedded")
    encodes = count_encodes(engine)
    controller.start_session(image, engine)
    wait_idle(qtbot, controller)
    assert controller.last_message == "Frame 0 (empty): features ready"
    assert all(controller.session.has_features(t) for t in range(FRAMES))
    assert encodes == [] and entries(precomputed) == before
    controller.prefetch = 0
    viewer.dims.set_current_step(0, FRAMES)  # not precomputed: encoded by the widget
    wait_idle(qtbot, controller)
    assert encodes == [1]
    controller.close_session()


def test_annotate_cache_option_reads_the_precomputed_features(
    make_napari_viewer, qtbot, precomputed
):
    before = entries(precomputed)
    _, widget = open_annotator(cache=str(precomputed), viewer=make_napari_viewer())
    controller = widget.controller
    try:
        assert widget.setup_panel.cache_dir_edit.text() == str(precomputed)
        assert controller.cache.disk_path == precomputed
        wait_idle(qtbot, controller)
        assert controller.last_message == "Frame 0 (empty): features ready"
        assert entries(precomputed) == before  # frames 0-3 read, none encoded
    finally:
        controller.close_session()
