"""A propagation run reports the errors that reach it, also after a cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_skipclick._qt.workers import PropagationRun
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click
from support.engines import ColourEngine, moving_squares, red_box

pytestmark = [pytest.mark.gui]


class FailingEngine(ColourEngine):
    """Decodes frame 0 normally; later decodes wait for ``release`` and then raise ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error, self.release, self.calls = error, threading.Event(), 0

    def decode(self, features, clicks, prev_mask=None):
        self.calls += 1
        if self.calls == 1:
            return super().decode(features, clicks, prev_mask)
        self.release.wait(30)
        raise self.error


def test_an_error_after_cancel_is_reported(qtbot):
    engine = FailingEngine(OSError(28, "No space left on device"))
    session = AnnotationSession(moving_squares(8), engine)
    obj = session.add_object()
    ys, xs = red_box(0)
    session.set_clicks(0, obj.id, [Click((ys.start + ys.stop) / 2, (xs.start + xs.stop) / 2, True)])
    run = PropagationRun(session, [obj.id], 0)
    failures: list[str] = []
    run.failed.connect(failures.append)
    # napari also relays a worker's error to its notifications; capture that copy here
    with qtbot.capture_exceptions(), qtbot.waitSignal(run.finished, timeout=30_000):
        run.start()
        qtbot.waitUntil(lambda: engine.calls >= 2, timeout=30_000)
        run.cancel()
        engine.release.set()
    assert run.cancelled
    assert len(failures) == 1 and "No space left" in failures[0]
    assert not np.any(session.labels.read(1))


def test_the_end_of_a_run_reads_no_frame_again_on_the_gui_thread(annotator, qtbot, monkeypatch):
    """It rebuilt the Frames column from every frame's labels on the GUI thread: a 418 ms
    freeze after 50 frames at 1080p, 1.5 s after 20 at 4K."""
    import threading

    from napari_skipclick.session import annotation
    from support.widget import click

    _, widget = annotator
    controller = widget.controller
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    counted = []
    real = annotation.ids_in

    def ids_in(frame):
        counted.append(threading.current_thread() is threading.main_thread())
        return real(frame)

    monkeypatch.setattr(annotation, "ids_in", ids_in)
    controller.propagate(1, 3)
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    assert counted and not any(counted)  # all found in the run's thread
    assert widget.objects_panel.table.item(0, 3).text() == "0-3"


def test_a_run_adds_no_bar_to_naparis_activity_dock(annotator, qtbot, monkeypatch):
    """napari builds a bar's widgets on the GUI thread as the run starts and draws the window
    there (up to 300 ms with software OpenGL); the Frame panel shows the run's progress instead."""
    import napari.utils

    from support.widget import click, labels_of

    _, widget = annotator
    controller = widget.controller
    skier = controller.add_object(name="skier").id
    click(qtbot, controller, 144, 335)
    bars: list[str] = []
    real = napari.utils.progress

    def progress(*args, **kwargs):
        bars.append(kwargs.get("desc", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(napari.utils, "progress", progress)
    widget.frame_panel.frames_spin.setValue(3)
    widget.frame_panel.propagate(1)  # Propagate ▶ (Shift+Right)
    assert controller.propagating and "working" in widget.frame_panel.frame_label.text()
    qtbot.waitUntil(lambda: not controller.propagating, timeout=120_000)
    assert bars == []
    assert (labels_of(controller, 3) == skier).any()
