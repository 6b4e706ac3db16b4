"""Import a napari Labels layer of the video's shape into the running session (in a worker)."""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.qt.threading import create_worker

from ..session.imports import import_frames


def labelled_frames(data: Any, n_frames: int) -> dict[int, np.ndarray]:
    """Frame -> labels of the frames of ``data`` ((T, H, W), or (H, W) for one frame) that
    hold any label (worker body: a lazy layer is read here, not on the GUI thread)."""
    if getattr(data, "ndim", 0) == 2 and n_frames == 1:
        data = np.asarray(data)[None]
    if getattr(data, "ndim", 0) != 3 or data.shape[0] != n_frames:
        raise ValueError(f"a labels layer of shape {tuple(data.shape)} does not fit the video")
    frames = {}
    for t in range(n_frames):
        labels = np.asarray(data[t])
        if np.issubdtype(labels.dtype, np.integer) and labels.any():
            frames[t] = labels
    return frames


def candidate_layers(viewer: Any, controller: Any) -> list[Any]:
    """Labels layers of the session's video shape, other than the session's own."""
    session, layers = controller.session, controller.layers
    if session is None or layers is None:
        return []
    shape = (session.n_frames, *session.frame_shape)
    wanted = {shape, shape[1:]} if session.n_frames == 1 else {shape}
    return [
        layer
        for layer in viewer.layers
        if layer.__class__.__name__ == "Labels"
        and not layers.holds(layer)
        and tuple(layer.data.shape) in wanted
    ]


def import_layer(controller: Any, layer: Any) -> Any:
    """Read ``layer`` in a worker, then import its labelled frames into the session.

    Objects are named after the layer; the import is one undoable step. Returns the worker.
    """
    session = controller.session
    if session is None or controller._refuse_while_propagating("import labels"):
        return None

    def apply(frames: dict[int, np.ndarray]) -> None:
        if controller.session is not session:
            return  # the session ended while the layer was read
        ids = sorted({int(i) for labels in frames.values() for i in np.unique(labels) if i})
        names = {i: (f"{layer.name} {i}", "object") for i in ids}
        try:
            added = import_frames(session, frames, names)
        except ValueError as exc:
            controller._error(f"Cannot import {layer.name}: {exc}")
            return
        controller._after_history_change(min(frames) if frames else None)
        controller._say(
            f"Imported {len(frames)} frame(s) of {layer.name} ({len(added)} new object(s))"
        )

    worker = create_worker(
        labelled_frames,
        layer.data,
        session.n_frames,
        _progress={"desc": f"SkipClick: reading {layer.name}"},
    )
    worker.returned.connect(apply)
    worker.errored.connect(lambda exc: controller._error(f"Cannot import {layer.name}: {exc}"))
    worker.start()
    return worker
