"""The session's labels layer keeps the session's labels: its data is not replaced while the
session runs, and labels no store holds are not taken over by the next session."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from napari.utils.notifications import show_info, show_warning

from .._layer_data import SAVED_IN, unwrapped

#: the cache folder's folder of stores that keep labels no store held when their session ended
RECOVERED = "recovered"


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
    in a layer of their own (the next session took the layer over, its labels gone with no
    question asked), and write them to a recovery store: the session may end because the
    window closes, which takes the layer with it."""
    volume = getattr(data, "volume", None)
    if SAVED_IN in layer.metadata or volume is None or not volume.dirty_frames():
        return
    if layer not in viewer.layers:
        return
    layer.name = f"{layer.name} (not saved)"
    try:
        copy = f"a copy, which closing the window keeps, is in the store {recover(layer)}"
    except Exception as exc:  # a full disk, a cache folder that is a file
        show_warning(f"The session's labels could not be copied to a recovery store: {exc}")
        copy = "no copy could be saved: closing the window loses them"
    show_info(
        f"The session's labels are in no store: they stay in the layer {layer.name!r} while "
        f"the window is open (File > Save Selected Layers saves them); {copy}"
    )


def recovery_folder() -> Path:
    """The folder of recovery stores: ``recovered`` in the cache folder."""
    from ..model.weights import cache_dir

    return cache_dir() / RECOVERED


def recover(layer: Any) -> Path:
    """Write ``layer``'s labels (napari's writer of this plugin) into a new store in the
    ``recovery_folder``; returns its path."""
    from .._writer import write_labels

    folder = recovery_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = next(
        p for p in (folder / f"labels-{stamp}-{i}.zarr" for i in range(1, 10_000)) if not p.exists()
    )
    write_labels(str(path), layer.data, dict(layer.metadata))
    return path
