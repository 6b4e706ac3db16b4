"""Labels of a session with no store, when the napari window closes."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._qt import labels_keeping
from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from support.widget import click, labels_of, sample_widget, wait_idle

pytestmark = [pytest.mark.gui]


def test_closing_the_window_keeps_no_store_labels_in_a_recovery_store(
    make_napari_viewer, qtbot, feature_cache, tmp_path, monkeypatch
):
    """The window and the layer went, while the message said the labels stayed in it (the
    recovery folder is the test's: ``recovery_in_tmp``)."""
    told: list[str] = []
    monkeypatch.setattr(labels_keeping, "show_info", told.append)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    assert mask.any()
    viewer.close()
    assert controller.session is None
    (path,) = (tmp_path / "recovered").glob("*.zarr")
    assert len(told) == 1 and str(path) in told[0] and "closing the window" in told[0]
    with AnnotationStore.open(path) as store:
        assert np.array_equal(np.asarray(store.read_labels(0)), mask)
