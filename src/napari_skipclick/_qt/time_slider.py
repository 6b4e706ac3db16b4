"""The viewer's time slider as the annotated video's frame: which frame it shows, moving it."""

from __future__ import annotations

from typing import Any

import numpy as np

#: label of the time slider of a video
FRAME_AXIS_LABEL = "frame"


class TimeSlider:
    """The time slider of ``viewer`` read and moved in frames of the ``labels`` layer's video."""

    def __init__(self, viewer: Any, labels: Any) -> None:
        self.viewer = viewer
        self.labels = labels

    def label_frame_axis(self, word: str = FRAME_AXIS_LABEL) -> None:
        """Name the time slider "frame" (or ``word``: "photo"; napari shows the axis number
        otherwise)."""
        axis = self.viewer.dims.ndim - 3
        if axis >= 0:
            labels = list(self.viewer.dims.axis_labels)
            labels[axis] = word
            self.viewer.dims.axis_labels = labels

    def _slider_frame(self) -> int | None:
        """The annotated video's frame index at the time slider (maybe outside the video: a
        longer layer sets the slider's range); None for a single image."""
        if self.labels.data.shape[0] == 1:
            return None
        return round(float(self.labels.world_to_data(self.viewer.dims.point)[0]))

    def frame_on_screen(self) -> int:
        """The frame the time slider shows."""
        t = self._slider_frame()
        return 0 if t is None else int(np.clip(t, 0, self.labels.data.shape[0] - 1))

    def frame_in_view(self) -> bool:
        """Whether the view shows a frame's rows and columns (napari's roll of the axes can
        put time on screen instead, where a click is no point of any frame)."""
        dims = self.viewer.dims
        return set(dims.order[-2:]) == {dims.ndim - 2, dims.ndim - 1}

    def past_end(self) -> int | None:
        """The frame the time slider is on when the annotated video has none such (a longer
        layer in the viewer sets the slider's range), else None."""
        t = self._slider_frame()
        return None if t is None or 0 <= t < self.labels.data.shape[0] else t

    def go_to_frame(self, t: int) -> None:
        """Move the time slider to frame ``t`` (clipped to the video)."""
        t = int(np.clip(t, 0, self.labels.data.shape[0] - 1))
        axis = self.viewer.dims.ndim - 3
        if axis >= 0:
            self.viewer.dims.set_current_step(axis, t)
