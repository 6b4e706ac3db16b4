"""The feature loader: a frame change runs without a progress bar, a long run shows one."""

from __future__ import annotations

import threading
import time

import pytest
from napari.utils import progress as napari_progress

from napari_skipclick._qt.feature_loader import PROGRESS_FROM, FeatureLoader
from napari_skipclick.engines.base import features_key
from napari_skipclick.session import AnnotationSession
from support.engines import ColourEngine, moving_squares
from support.tiny import tiny_engine, watch_blocks

pytestmark = [pytest.mark.gui]


@pytest.mark.parametrize(("frames", "progress"), [(4, False), (PROGRESS_FROM, True)])
def test_only_long_runs_show_a_progress_bar_in_the_activity_dock(qtbot, frames, progress):
    session = AnnotationSession(moving_squares(PROGRESS_FROM + 2), ColourEngine())
    loader = FeatureLoader()
    loader.set_session(session)
    ready: list[int] = []
    loader.ready.connect(ready.append)
    with qtbot.waitSignal(loader.busy_changed, timeout=30_000, check_params_cb=lambda b: not b):
        loader.request(range(frames))
        bars = [bar for bar in napari_progress._all_instances if "frame features" in bar.desc]
        assert len(bars) == int(progress)
    assert sorted(ready) == list(range(frames))
    assert all(session.has_features(t) for t in range(frames))


def test_frames_the_slider_passed_over_are_dropped(qtbot):
    """A fast drag asked for every frame it passed: 117 stayed queued behind the one shown,
    encoded for 47 s on two cores while clicks elsewhere waited."""
    session = AnnotationSession(moving_squares(30), ColourEngine())
    loader = FeatureLoader()
    loader.set_session(session)
    ready: list[int] = []
    loader.ready.connect(ready.append)
    with qtbot.waitSignal(loader.busy_changed, timeout=30_000, check_params_cb=lambda b: not b):
        for t in range(0, 30, 2):  # the drag, faster than any encode
            loader.request([t, t + 1], only=True)
    assert 28 in ready and 29 in ready
    assert len(ready) <= 6  # the first frames it was already on, then the last ones


class _SlowEncodeEngine(ColourEngine):
    """Encodes a frame in ``delay`` seconds and says when an encode begins and ends."""

    name = key = "slow-encode-test"

    def __init__(self, delay: float = 1.0) -> None:
        super().__init__()
        self.delay = delay
        self.began, self.ended = threading.Event(), threading.Event()

    def encode(self, image):
        self.began.set()
        time.sleep(self.delay)
        features = super().encode(image)
        self.ended.set()
        return features


def test_closing_waits_for_the_frame_whose_features_are_computing(annotator, qtbot):
    """Closing left the loader's thread computing a frame; when Python then exited, its end
    went to signals deleted by then: "RuntimeError in aborted thread: wrapped C/C++ object of
    type GeneratorWorkerSignals has been deleted". Closing waits for it: nothing runs on."""
    _, widget = annotator
    controller = widget.controller
    engine = _SlowEncodeEngine()
    controller.switch_engine(engine)  # the frame on screen: computed again, slowly
    assert engine.began.wait(10) and not engine.ended.is_set()
    controller.close_session()
    assert engine.ended.is_set()  # its frame was done before the session ended
    assert not controller.loader.busy and not controller.edits.busy


def test_closing_stops_a_skipclick_encode_at_its_next_block_and_caches_nothing(annotator, qtbot):
    """Closing waited for the whole encode of the frame on screen (seconds for SkipClick on a
    CPU): it stops at the backbone's next block, the thread ends, nothing is cached."""
    controller = annotator[1].controller
    engine = tiny_engine()
    ran = watch_blocks(engine, lambda index: time.sleep(0.3))  # a CPU encode: 12 slow blocks
    session, t = controller.session, controller.frame
    controller.switch_engine(engine)  # the frame on screen is encoded again, slowly
    qtbot.waitUntil(lambda: len(ran) >= 2, timeout=30_000)
    controller.close_session()
    assert len(ran) < len(engine.model.dinov2.blocks)  # closed before the encode's end
    assert not controller.loader.busy  # its thread has ended: nothing is written later
    blocks = len(ran)
    qtbot.wait(700)
    assert len(ran) == blocks
    assert not session.cache.contains(session.frame_key(t), features_key(engine))


def test_stopping_the_edits_stops_a_zoom_crop_encode_at_its_next_block(qtbot):
    """Closing after *Drop them* still waited for a zoom crop's whole encode (the edit
    worker's, in ``decode_in_crop``): it stops at the backbone's next block, as the loader's."""
    from napari_skipclick._qt.workers import EditQueue
    from napari_skipclick.types import Click

    engine = tiny_engine()
    session = AnnotationSession(moving_squares(2, 400, 600), engine)  # a crop: 200x200
    obj = session.add_object(name="square").id
    queue = EditQueue()
    queue.set_session(session)
    ran = watch_blocks(engine, lambda index: time.sleep(0.3))
    queue.submit(0, obj, [Click(26, 16, True)], zoom=True)
    qtbot.waitUntil(lambda: len(ran) >= 2, timeout=30_000)
    assert queue.stop(30)
    assert len(ran) < len(engine.model.dinov2.blocks)  # stopped before the encode's end
    assert not queue.busy
    blocks = len(ran)
    qtbot.wait(700)
    assert len(ran) == blocks  # nothing runs on
    assert not session.has_features(0)  # the encode stopped was the crop's, not the frame's
