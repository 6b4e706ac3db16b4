"""The two layers the widget drives: "SkipClick prompts" (Points) and "SkipClick labels"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..types import Click, ObjectInfo

PROMPTS_LAYER = "SkipClick prompts"
LABELS_LAYER = "SkipClick labels"
POSITIVE_COLOR = np.array([0.15, 0.85, 0.15, 1.0], np.float32)
NEGATIVE_COLOR = np.array([0.95, 0.15, 0.15, 1.0], np.float32)
_TRANSPARENT = np.zeros(4, np.float32)


class AnnotationLayers:
    """Creates (or reuses) the prompts and labels layers over an image layer and keeps them in sync.

    The prompts layer is 2D ``(y, x)`` in the image's pixel coordinates and holds the clicks of
    the current frame and object; its ``positive`` feature is each click's sign.
    """

    def __init__(self, viewer: Any, image_layer: Any, labels_data: Any) -> None:
        self.viewer = viewer
        self.image_layer = image_layer
        self.syncing = False
        self.default_positive = True
        self._border_color: tuple[float, ...] | None = None
        scale = np.asarray(image_layer.scale, float)
        translate = np.asarray(image_layer.translate, float)
        if image_layer.ndim == 2:
            scale, translate = np.r_[1.0, scale], np.r_[0.0, translate]
        self.labels = self._labels_layer(labels_data, scale[-3:], translate[-3:])
        height, width = labels_data.shape[1:]
        size = max(5.0, 0.012 * max(height, width))
        self.prompts = self._prompts_layer(scale[-2:], translate[-2:], size)

    def _labels_layer(self, data: Any, scale: np.ndarray, translate: np.ndarray) -> Any:
        layer = self._existing(LABELS_LAYER, "Labels")
        if layer is None:
            return self.viewer.add_labels(
                data, name=LABELS_LAYER, scale=scale, translate=translate, opacity=0.6
            )
        layer.data = data
        layer.scale, layer.translate = scale, translate
        return layer

    def _prompts_layer(self, scale: np.ndarray, translate: np.ndarray, size: float) -> Any:
        layer = self._existing(PROMPTS_LAYER, "Points")
        if layer is not None:
            self.viewer.layers.remove(layer)
        layer = self.viewer.add_points(
            np.empty((0, 2)),
            ndim=2,
            name=PROMPTS_LAYER,
            scale=scale,
            translate=translate,
            size=size,
            features={"positive": np.zeros(0, bool)},
            feature_defaults={"positive": True},
            face_color="positive",
            face_color_cycle={True: POSITIVE_COLOR, False: NEGATIVE_COLOR},
            border_width=0.15,
            border_color="white",
        )
        layer.mode = "add"
        return layer

    def _existing(self, name: str, kind: str) -> Any:
        for layer in self.viewer.layers:
            if layer.name == name and type(layer).__name__ == kind:
                return layer
        return None

    def attached(self) -> bool:
        """Whether both layers are still in the viewer."""
        layers = list(self.viewer.layers)
        return self.prompts in layers and self.labels in layers

    # -- prompts ---------------------------------------------------------------------------------

    def read_clicks(self) -> list[Click]:
        """The prompts layer's points as clicks in image pixels (row, column, sign)."""
        data = np.asarray(self.prompts.data, float).reshape(-1, 2)
        positive = self.prompts.features.get("positive", np.ones(len(data), bool))
        pairs = zip(data, positive, strict=True)
        return [Click(float(y), float(x), bool(p)) for (y, x), p in pairs]

    def show_clicks(self, clicks: Sequence[Click], color: Sequence[float] | None) -> None:
        """Replace the points by ``clicks`` (without triggering a decode); border ``color``."""
        color = None if color is None else tuple(float(c) for c in color)
        if list(clicks) == self.read_clicks() and color == self._border_color:
            return
        self.syncing = True
        try:
            coords = np.array([(c.y, c.x) for c in clicks], float).reshape(-1, 2)
            self.prompts.selected_data = set()
            self.prompts.data = coords
            self.prompts.features = {"positive": np.array([c.positive for c in clicks], bool)}
            self.set_default_sign(self.default_positive)
            if color is not None:
                self._border_color = color
                self.prompts.current_border_color = np.asarray(color, np.float32)
                if len(coords):
                    self.prompts.border_color = np.tile(color, (len(coords), 1))
        finally:
            self.syncing = False

    def set_default_sign(self, positive: bool) -> None:
        """Sign (hence colour) that the next added point gets."""
        self.default_positive = bool(positive)
        self.prompts.feature_defaults = {"positive": self.default_positive}

    def remove_points(self, indices: Sequence[int]) -> None:
        """Delete points by index without triggering a decode."""
        self.syncing = True
        try:
            self.prompts.selected_data = set(int(i) for i in indices)
            self.prompts.remove_selected()
        finally:
            self.syncing = False

    # -- labels ----------------------------------------------------------------------------------

    def set_objects(self, objects: Sequence[ObjectInfo]) -> None:
        """Colour each object ID in the labels layer with the object's colour."""
        from napari.utils.colormaps import DirectLabelColormap

        colors: dict[int | None, np.ndarray] = {None: _TRANSPARENT, 0: _TRANSPARENT}
        for info in objects:
            colors[info.id] = np.r_[np.asarray(info.color, np.float32) / 255.0, 1.0]
        self.labels.colormap = DirectLabelColormap(color_dict=colors)

    def refresh_labels(self) -> None:
        """Re-read the labels of the frame on screen."""
        self.labels.refresh()
