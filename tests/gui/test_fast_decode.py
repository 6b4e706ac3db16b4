"""The GUI thread's fast decode: never an encode (even when the features vanish after the check),
never after a recent slow decode."""

from __future__ import annotations

import threading
import time

import pytest

from napari_skipclick._qt import workers
from support.widget import click, labels_of

pytestmark = [pytest.mark.gui]


def test_evicted_features_are_encoded_by_the_worker_not_the_gui_thread(
    annotator, qtbot, monkeypatch
):
    _, widget = annotator
    controller = widget.controller
    session = controller.session
    obj = controller.add_object(name="skier").id
    monkeypatch.setattr(workers, "SYNC_DECODE_S", 5.0)  # every real decode counts as fast
    for y, x in ((144, 335), (188, 358), (170, 350)):  # decodes whose times make clicks "fast"
        click(qtbot, controller, y, x)
    assert (labels_of(controller, 0) == obj).any()
    encoded_on = []
    engine = session.engine
    original = engine.encode

    def encode(image):
        encoded_on.append(threading.current_thread() is threading.main_thread())
        return original(image)

    monkeypatch.setattr(engine, "encode", encode)
    real_get = session.cache.get
    # the features pass the check, then are gone when the decode asks for them (eviction)
    monkeypatch.setattr(session, "has_features", lambda t: True)
    monkeypatch.setattr(session.cache, "get", lambda frame_key, engine_key: None)
    before = labels_of(controller, 0).copy()
    click(qtbot, controller, 150, 300)
    monkeypatch.setattr(session.cache, "get", real_get)
    assert encoded_on and not any(encoded_on)  # encoded, but only in a worker thread
    assert (labels_of(controller, 0) != before).any()  # and the click still got its mask


def test_a_recent_slow_decode_sends_the_next_clicks_to_the_worker(annotator, qtbot, monkeypatch):
    _, widget = annotator
    controller = widget.controller
    engine = controller.session.engine
    monkeypatch.setattr(workers, "SYNC_DECODE_S", 1.0)  # real decodes of this clip: well under
    controller.add_object(name="skier")
    decoded_on: list[bool] = []
    slow = threading.Event()
    original = engine.decode

    def decode(*args, **kwargs):
        decoded_on.append(threading.current_thread() is threading.main_thread())
        if slow.is_set():
            slow.clear()
            time.sleep(1.2)  # one decode over the budget, as under load
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "decode", decode)
    clicks = [(144, 335), (188, 358), (170, 350), (150, 340)]
    for y, x in clicks[:3]:
        click(qtbot, controller, y, x)
    click(qtbot, controller, 160, 345)
    assert decoded_on[-1]  # three fast decodes: the next click is decoded on the GUI thread
    slow.set()
    click(qtbot, controller, 175, 352)  # the slow one (its time is not known beforehand)
    for y, x in (clicks[3], (140, 330)):
        click(qtbot, controller, y, x)
    # the slow decode is among the last five: the next two clicks are decoded in the worker,
    # although the decode just before each of them was fast
    assert decoded_on[-2:] == [False, False]
