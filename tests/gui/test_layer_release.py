"""Removing a video layer from the viewer releases its file, unless another layer shows it."""

from __future__ import annotations

import pytest

from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick._sample_data import giant_slalom
from napari_skipclick.io import VideoError

pytestmark = [pytest.mark.gui]


def test_removed_video_layer_is_closed(make_napari_viewer):
    viewer = make_napari_viewer()
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    data, kwargs, _ = giant_slalom()[0]
    layer = viewer.add_image(data, **kwargs)
    twin = viewer.add_image(data, name="same video")
    viewer.layers.remove(layer)
    assert data.frame(3).shape == (480, 854, 3)  # still shown by the twin: kept open
    viewer.layers.remove(twin)
    with pytest.raises(VideoError, match="closed"):
        data.frame(3)


def test_removing_the_annotated_layer_ends_the_session(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    image = controller.layers.image_layer
    viewer.layers.remove(image)
    assert controller.session is None
