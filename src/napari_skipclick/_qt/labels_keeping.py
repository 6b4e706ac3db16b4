"""The session's labels layer keeps the session's labels: its data is not replaced while the
session runs, and labels no store holds are not taken over by the next session."""

from __future__ import annotations

from typing import Any

from napari.utils.notifications import show_info, show_warning

from .._layer_data import SAVED_IN, unwrapped


def keep_session_data(layer: Any, data: Any, _event: Any = None) -> None:
    """Connected to ``layer.events.data``: put the session's ``data`` back when it was replaced
    (``layer.data = ...``, *Convert datatype*). The layer went on showing other labels, its
    paint reached no store, and the widget said all was saved."""
    if unwrapped(layer.data) is data:
        return
    layer.data = data
    show_warning(
        f"{layer.name} shows the session's labels, which cannot be replaced while it runs: "
        "Layer > Duplicate Layer makes a copy to change"
    )


def set_aside_unsaved(viewer: Any, layer: Any, data: Any) -> None:
    """When a session without a store ends with labels, rename its ``layer`` so that they stay
    in a layer of their own: the next session took the layer over, its labels gone with no
    question asked."""
    volume = getattr(data, "volume", None)
    if SAVED_IN in layer.metadata or volume is None or not volume.dirty_frames():
        return
    if layer not in viewer.layers:
        return
    layer.name = f"{layer.name} (not saved)"
    show_info(
        f"The session's labels are in no store: they stay in the layer {layer.name!r} "
        "(File > Save Selected Layers saves them)"
    )
