"""The "SkipClick prompts" layer: napari's ``Points`` whose points are replaced in one update
that napari's cursor-status thread never sees half done."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from napari.layers import Points

#: a click's fill by sign, see-through: a thin pole or ski under the point stays visible
POSITIVE_COLOR = np.array([0.15, 0.85, 0.15, 0.4], np.float32)
NEGATIVE_COLOR = np.array([0.95, 0.15, 0.15, 0.4], np.float32)


class PromptPoints(Points):
    """The clicks of the frame on screen; their ``positive`` feature is each one's sign (its
    fill colour).

    napari works out the status bar's text in a thread of its own, from the points in view and
    their sizes (``get_value``). Points replaced step by step (their data, then their sizes:
    each a new slice) showed it 3 points and the 11 sizes of the points before ("operands could
    not be broadcast together with shapes (3,2) (11,2)" in ``Points.get_status``, an error
    notification). ``replace`` and ``remove_at`` change them holding ``updating``, which
    ``get_value`` waits for: that thread sees the points before or after, never between.
    """

    def __init__(self, size: float, **kwargs: Any) -> None:
        #: held while the points change (a re-entrant lock: napari may ask ``get_value`` then)
        self.updating = threading.RLock()
        super().__init__(
            np.empty((0, 2)),
            ndim=2,
            size=size,
            features={"positive": np.zeros(0, bool)},
            feature_defaults={"positive": True},
            face_color="positive",
            face_color_cycle={True: POSITIVE_COLOR, False: NEGATIVE_COLOR},
            border_width=0.15,
            border_color="white",
            **kwargs,
        )

    @property
    def _type_string(self) -> str:
        """napari's name of the layer's type, from the class name unless told: ``points``, so
        its writers (*Save Selected Layers* to CSV) and the layer list's icon take it."""
        return "points"

    def get_value(self, *args: Any, **kwargs: Any) -> Any:
        """napari's ``get_value``, once a replacement of the points has ended."""
        with self.updating:
            return super().get_value(*args, **kwargs)

    def replace(
        self,
        coords: np.ndarray,
        positive: Sequence[bool],
        sizes: np.ndarray,
        border: tuple[float, ...] | None,
    ) -> None:
        """Make the points ``coords`` (``(N, 2)``) with these signs and sizes, bordered in
        ``border`` (None: the border colours stay), in one update. What is already so is left
        alone: each change re-slices the layer or recolours it, on the GUI thread (a step to
        the next frame changed the data, the signs, the sizes and the borders, 20 ms)."""
        signs = np.asarray(positive, bool)
        with self.updating:
            self.selected_data = set()
            if border is not None and not _same(self.current_border_color, border):
                self.current_border_color = np.asarray(border, np.float32)  # new points' too
            if not _same(self.data, coords):
                self.data = coords
            if not _same(self.features["positive"], signs):
                self.features = {"positive": signs}
            if len(coords) and not _same(self.size, sizes):
                self.size = sizes
            if border is not None and len(coords) and not _same(self.border_color, border):
                self.border_color = np.tile(border, (len(coords), 1))

    def remove_at(self, indices: list[int]) -> None:
        """Delete the points at ``indices`` in one update."""
        with self.updating:
            self.selected_data = set(indices)
            self.remove_selected()


def _same(shown: Any, wanted: Any) -> bool:
    """Whether the layer's ``shown`` values are ``wanted`` (which may be one value for every
    point), as napari keeps them (colours as float32)."""
    shown, wanted = np.asarray(shown), np.asarray(wanted)
    if wanted.ndim == shown.ndim and wanted.shape != shown.shape:
        return False  # as many points: one point is no value for every point
    try:
        wanted = np.broadcast_to(wanted, shown.shape)
    except ValueError:
        return False
    if "f" in (shown.dtype.kind, wanted.dtype.kind):
        return bool(np.allclose(shown, wanted, rtol=0, atol=1e-6))
    return bool(np.array_equal(shown, wanted))
