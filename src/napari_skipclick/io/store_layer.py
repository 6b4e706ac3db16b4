"""The store as napari layer data (used by the plugin's reader)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from .store_errors import StoreCorruptError
from .store_layout import video_doc

if TYPE_CHECKING:
    from .store import AnnotationStore

#: name of the labels layer made from a store
LAYER_NAME = "SkipClick labels"


def layer_data(store: AnnotationStore) -> list[tuple]:
    """napari LayerData of an open store: labels (lazy) as a labels layer with the objects."""
    try:
        objects, classes = store.objects(), store.classes()
    except StoreCorruptError:
        objects, classes = [], []
    # ids without an object entry are drawn grey; 0 (background) is transparent
    colors: dict[int | None, tuple[float, ...]] = {None: (0.5, 0.5, 0.5, 1.0), 0: (0, 0, 0, 0)}
    for o in objects:
        colors[o.id] = (*(c / 255 for c in o.color), 1.0)
    data = store.labels if store.video.n_frames > 1 else store.read_labels(0)
    meta = {
        "name": LAYER_NAME,
        "metadata": {
            "skipclick_store": str(store.path),
            "video": video_doc(store.video),
            "objects": [asdict(o) for o in objects],
            "classes": classes,
            "statuses": {t: s.value for t, s in store.statuses().items()},
            "problems": list(store.problems),
        },
    }
    if objects:
        meta["colormap"] = colors
    return [(data, meta, "labels")]
