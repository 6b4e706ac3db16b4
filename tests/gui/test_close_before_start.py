"""Closing right after a worker was asked to start: inside Qt's event loop (``napari.run``)
napari starts a worker from a timer on the GUI thread, so a close that waited for that
worker's thread waited the whole timeout for a thread that could not start."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import QEventLoop, QTimer

from napari_skipclick._qt import clicking, controller
from napari_skipclick._qt.stoppable import SessionEditWorker, StoppableWorker
from napari_skipclick._qt.workers import EditQueue
from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import features_key
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click
from support.engines import ColourEngine, moving_squares
from support.widget import sample_widget, wait_idle

pytestmark = [pytest.mark.gui]

#: the close's wait for a worker's thread (60 s in the widget): a hang runs into it
WAIT_S = 20.0
#: a close that returns within this did not wait for a thread that could not start
QUICK_S = 10.0


def in_event_loop(action: Callable[[], Any]) -> Any:
    """Run ``action`` inside Qt's event loop, as napari runs a user's click or key, and
    return what it returned (or raise what it raised)."""
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # raised below, outside Qt's handler
            outcome["error"] = exc
        finally:
            loop.quit()

    QTimer.singleShot(0, run)
    loop.exec()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def timed(action: Callable[[], Any]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


@pytest.fixture
def fresh(make_napari_viewer, qtbot, monkeypatch):
    """(widget, cache): the sample clip docked, a session on the embedded engine whose feature
    cache holds only the frames computed while it started; closing waits ``WAIT_S``."""
    monkeypatch.setattr(clicking, "CLOSE_WAIT_S", WAIT_S)
    monkeypatch.setattr(controller, "CLOSE_WAIT_S", WAIT_S)
    image, widget = sample_widget(make_napari_viewer())
    widget.controller.prefetch = 1
    cache = FeatureCache(max_mib=256)
    widget.controller.start_session(image, create_engine("embedded"), cache=cache)
    wait_idle(qtbot, widget.controller)
    return widget, cache


def test_closing_the_dock_at_once_after_a_frame_step_does_not_wait_for_the_loader(fresh, qtbot):
    """The frame step asks the feature loader for frames 10 and 11; the close comes before
    its thread could start: it is cancelled, nothing of it runs later."""
    widget, cache = fresh
    control = widget.controller
    session, engine = control.session, control.session.engine

    def step_then_close() -> float:
        control.go_to_frame(10)
        assert control.loader.busy  # asked to start, not started: no event ran yet
        return timed(widget.close)

    assert in_event_loop(step_then_close) < QUICK_S
    assert control.session is None and not control.loader.busy
    qtbot.wait(300)  # napari's timer starts the quit worker: it ends at once
    for t in (10, 11):
        assert not cache.contains(session.frame_key(t), features_key(engine))


def test_a_click_waiting_for_features_is_still_decoded_when_the_close_follows_at_once(fresh, qtbot):
    """Nothing of the closing session is lost: a click made just before the close is
    decoded (its frame's features computed first) and is in the labels."""
    widget, _ = fresh
    control = widget.controller
    obj = control.add_object(name="skier").id
    layers = control.layers

    def click_then_close() -> float:
        control.go_to_frame(10)
        layers.prompts.feature_defaults = {"positive": True}
        layers.prompts.add([144, 335])
        assert control.edits.pending(10, obj) is not None
        return timed(control.close_session)

    assert in_event_loop(click_then_close) < QUICK_S
    # the labels layer stays after the session ended, with the click's mask
    assert np.count_nonzero(np.asarray(layers.labels.data[10]) == obj) > 0


def _recording(ran: list[int]) -> Iterator[int]:
    for i in range(3):
        ran.append(i)
        yield i


@pytest.mark.parametrize("kind", [StoppableWorker, SessionEditWorker])
def test_stopping_a_worker_asked_to_start_just_now_cancels_it(qtbot, kind):
    """A propagation, import, deletion or undo stopped before its thread started: ``stop``
    returns at once and the generator never runs (nothing to put back)."""
    ran: list[int] = []
    run = kind(_recording, (ran,), {"desc": "test", "total": 3})

    def start_then_stop() -> float:
        run.start()
        return timed(lambda: run.stop(WAIT_S))

    assert in_event_loop(start_then_stop) < QUICK_S
    qtbot.waitUntil(lambda: run.wait(0), timeout=10_000)  # the timer started it: it ended
    assert ran == []


def test_stopping_the_edits_just_after_a_zoom_click_does_not_wait(qtbot):
    """A zoom click goes to the edit worker at once; stopping before its thread started
    drops it without waiting, and nothing is applied later."""
    session = AnnotationSession(moving_squares(2), ColourEngine())
    obj = session.add_object(name="square").id
    queue = EditQueue()
    queue.set_session(session)
    applied: list[Any] = []
    queue.applied.connect(applied.append)

    def submit_then_stop() -> tuple[bool, float]:
        queue.submit(0, obj, [Click(26, 16, True)], zoom=True)
        assert queue.busy
        start = time.monotonic()
        return queue.stop(WAIT_S), time.monotonic() - start

    stopped, seconds = in_event_loop(submit_then_stop)
    assert stopped and seconds < QUICK_S
    assert not queue.busy
    qtbot.wait(300)
    assert applied == []
