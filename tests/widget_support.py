"""Shared helpers of the widget tests: the sample video in a viewer with the widget started."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick._sample_data import giant_slalom
from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.eval.clicker import Clicker

DATA = Path(__file__).parent / "data" / "giant_slalom"
#: DAVIS object ids of the frame-0 ground truth masks
GT_FILES = {"skis": 1, "poles": 2, "skier": 3}
WAIT_MS = 120_000


def ground_truth(name: str) -> np.ndarray:
    """Boolean frame-0 mask of ``skis``, ``poles`` or ``skier``."""
    return np.asarray(Image.open(DATA / f"00000_obj{GT_FILES[name]}_{name}.png")) == 1


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="session")
def feature_cache() -> FeatureCache:
    """One in-memory feature cache for all widget tests (features depend on frame + engine only)."""
    return FeatureCache(max_mib=512)


@pytest.fixture
def annotator(make_napari_viewer, qtbot, feature_cache):
    """(viewer, widget) with the sample video on frame 0 and a session on the embedded engine."""
    viewer = make_napari_viewer()
    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    viewer.dims.set_current_step(0, 0)
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    widget.controller.prefetch = 1
    widget.controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, widget.controller)
    yield viewer, widget
    widget.controller.cancel()
    wait_idle(qtbot, widget.controller)
    widget.controller.close_session()


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
