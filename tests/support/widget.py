"""Helpers of the widget tests: wait for the controller, click like a user, read the labels."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.eval.clicker import Clicker
from support.scenes import iou

DATA = Path(__file__).parents[1] / "data" / "giant_slalom"
#: DAVIS object ids of the frame-0 ground truth masks
GT_FILES = {"skis": 1, "poles": 2, "skier": 3}
WAIT_MS = 120_000


def sample_widget(viewer) -> tuple:
    """(image layer, widget): the sample clip in ``viewer`` on frame 0, the widget docked."""
    from napari_skipclick._qt.widget import SkipClickWidget
    from napari_skipclick._sample_data import giant_slalom

    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    viewer.dims.set_current_step(0, 0)
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    return image, widget


def ground_truth(name: str) -> np.ndarray:
    """Boolean frame-0 mask of ``skis``, ``poles`` or ``skier``."""
    return np.asarray(Image.open(DATA / f"00000_obj{GT_FILES[name]}_{name}.png")) == 1


def wait_idle(qtbot, controller) -> None:
    """Wait until no click, feature computation or propagation is in flight."""
    qtbot.waitUntil(lambda: controller.idle, timeout=WAIT_MS)


def click(qtbot, controller, y: float, x: float, positive: bool = True) -> None:
    """Add a point to the prompts layer as a click would, and wait for its mask."""
    layer = controller.layers.prompts
    layer.feature_defaults = {"positive": positive}
    layer.add([y, x])
    wait_idle(qtbot, controller)


def labels_of(controller, t: int) -> np.ndarray:
    """Frame ``t`` of the data in the "SkipClick labels" layer."""
    return np.asarray(controller.layers.labels.data[t])


def simulated_clicks(qtbot, controller, name: str, target: float, max_clicks: int = 8) -> int:
    """Clicks of the standard click simulator (centre of the largest error region), made on the
    prompts layer until the object reaches ``target`` IoU or ``max_clicks``; returns the count."""
    clicker = Clicker(ground_truth(name).astype(np.uint8))
    for n in range(max_clicks):
        mask = labels_of(controller, 0) == controller.current_object
        if iou(mask, ground_truth(name)) >= target:
            return n
        c = clicker.next_click(mask)
        click(qtbot, controller, c.y, c.x, c.positive)
    return max_clicks


def press_key(qtbot, viewer, key, modifier=None) -> None:
    """Type ``key`` (with ``modifier``) on napari's canvas as a user would, then let go of the
    modifier so that Qt does not think it is still held (a held Ctrl would make later table
    clicks toggle their selection)."""
    from qtpy.QtCore import Qt

    canvas = viewer.window._qt_viewer.canvas.native
    none = Qt.KeyboardModifier.NoModifier
    qtbot.keyClick(canvas, key, none if modifier is None else modifier)
    if modifier is not None and modifier != none:
        qtbot.keyRelease(canvas, Qt.Key.Key_Control, none)


def watch_steps(obj, name: str, gate: threading.Event | None = None) -> list[bool]:
    """Make the generator method ``name`` of ``obj`` (e.g. ``session.deleting``) note, step by
    step, whether it runs on the GUI thread (and wait for ``gate`` before its first step).
    Returns the notes; the method's return value and early closing are kept."""
    on_gui: list[bool] = []
    real = getattr(obj, name)

    def watched(*args, **kwargs):
        steps = real(*args, **kwargs)
        try:
            while True:
                try:
                    item = next(steps)
                except StopIteration as stop:
                    return stop.value
                if gate is not None:
                    gate.wait(30)
                on_gui.append(threading.current_thread() is threading.main_thread())
                yield item
        finally:
            steps.close()

    setattr(obj, name, watched)
    return on_gui


def hold_back_features(monkeypatch, session, frame: int) -> list[bool]:
    """Make ``frame``'s features look not ready (a click there waits) until the returned
    flag is set (``flag[0] = True``)."""
    flag = [False]
    has = session.has_features
    monkeypatch.setattr(session, "has_features", lambda t: (flag[0] or int(t) != frame) and has(t))
    return flag
