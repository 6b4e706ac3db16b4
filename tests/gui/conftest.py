"""Widget test fixtures: one feature cache, the sample video in a viewer with the widget, and
the same saving to a store."""

from __future__ import annotations

import pytest

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from support.widget import click, sample_widget, wait_idle


@pytest.fixture(scope="session")
def feature_cache() -> FeatureCache:
    """One in-memory feature cache for all widget tests (features depend on frame + engine only)."""
    return FeatureCache(max_mib=512)


@pytest.fixture(autouse=True)
def recovery_in_tmp(tmp_path, monkeypatch):
    """Recovery stores of sessions with no store go to the test's folder, not the user's."""
    from napari_skipclick._qt.labels_keeping import RecoveryWrite
    from napari_skipclick.io import recovered

    monkeypatch.setattr(recovered, "recovery_folder", lambda: tmp_path / "recovered")
    yield
    assert RecoveryWrite.wait_all(timeout=60)  # none outlives its test's folder


@pytest.fixture
def annotator(make_napari_viewer, qtbot, feature_cache):
    """(viewer, widget) with the sample video on frame 0 and a session on the embedded engine."""
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    widget.controller.prefetch = 1
    widget.controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, widget.controller)
    yield viewer, widget
    widget.controller.cancel()
    wait_idle(qtbot, widget.controller)
    widget.controller.close_session()


@pytest.fixture
def saving(make_napari_viewer, qtbot, feature_cache, tmp_path):
    """(widget, store path): the sample saving to a store, one object clicked on frame 0 and
    everything on disk."""
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    path = tmp_path / "run.zarr"
    controller.start_session(
        image, create_engine("embedded"), store_path=str(path), cache=feature_cache
    )
    wait_idle(qtbot, controller)
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    assert controller.flush()
    yield widget, path
    if controller.session is not None:
        controller.unsaved_handler = None
        controller.close_session()
