"""The labels layer's colormap: object ID ``i`` in ``color_for(i)`` (``labels_colormap``),
with napari's colour table built in one numpy step.

For 8- and 16-bit labels napari maps every possible value to its colour when a colormap is
set: 65,536 values one by one in Python for the widget's uint16 layer, 0.15-0.3 s on the GUI
thread at each new, deleted or restored object. Here the table of the few colours is built
first and indexed with all the values at once: the same colours.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from napari.utils.colormaps import DirectLabelColormap

from .._layer_data import labels_colormap


class ObjectColormap(DirectLabelColormap):
    """napari's ``DirectLabelColormap``, its colour table built at once."""

    def _map_precast(self, values: np.ndarray, apply_selection: bool) -> np.ndarray:
        """The colours of ``values`` (already cast to napari's indices of the colours)."""
        colors = self._values_mapping_to_minimum_values_set(apply_selection)[1]
        table = np.zeros((max(colors) + 1, 4), dtype=np.float32)
        for index, color in colors.items():
            table[index] = color
        return table[values]


def object_colormap(ids: Iterable[int]) -> ObjectColormap:
    """The colormap of the labels layer when the objects have the IDs ``ids``."""
    return ObjectColormap(color_dict=labels_colormap(ids))
