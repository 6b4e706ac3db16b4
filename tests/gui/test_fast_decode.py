"""The GUI thread's fast decode never encodes, even when the features vanish after the check."""

from __future__ import annotations

import threading

import pytest

from support.widget import click, labels_of

pytestmark = [pytest.mark.gui]


def test_evicted_features_are_encoded_by_the_worker_not_the_gui_thread(
    annotator, qtbot, monkeypatch
):
    _, widget = annotator
    controller = widget.controller
    session = controller.session
    obj = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)  # a first decode: its time makes later clicks "fast"
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
