"""The labels layer's colours: napari's table of the 65,536 uint16 values is built in one step
at an object-list change (it was built value by value in Python on the GUI thread)."""

from __future__ import annotations

import numpy as np
import pytest
from napari.utils.colormaps import DirectLabelColormap

from napari_skipclick._layer_data import labels_colormap

pytestmark = [pytest.mark.gui]


def test_new_and_deleted_objects_recolour_without_napari_value_loop(annotator, qtbot, monkeypatch):
    _, widget = annotator
    controller = widget.controller
    looped: list[int] = []
    real = DirectLabelColormap._map_precast

    def counted(self, values, apply_selection):
        looped.append(values.size)
        return real(self, values, apply_selection)

    monkeypatch.setattr(DirectLabelColormap, "_map_precast", counted)
    first = controller.add_object(name="skier").id
    second = controller.add_object(name="board").id
    assert looped == []
    every = np.arange(1 << 16, dtype=np.uint16)
    shown = controller.layers.labels.colormap.map(every)
    napari_own = DirectLabelColormap(color_dict=labels_colormap([first, second]))
    np.testing.assert_array_equal(shown, napari_own.map(every))  # the same colours
    assert tuple(np.round(shown[second, :3] * 255)) == (135, 86, 146)  # color_for(2)
    controller.delete_object(first)
    qtbot.waitUntil(lambda: controller.background_edit is None, timeout=30_000)
    shown = controller.layers.labels.colormap.map(every)
    np.testing.assert_array_equal(shown[first], [0.5, 0.5, 0.5, 1.0])  # no object: grey
