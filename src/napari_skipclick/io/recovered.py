"""Recovery stores: the labels of a session with no store, copied when it ended into
``recovered/labels-<date>-<time>-<i>.zarr`` in the cache folder. They are the only copy of
those labels once the window has closed, so nothing here deletes one unless asked to."""

from __future__ import annotations

import time
from pathlib import Path

#: the cache folder's folder of recovery stores
RECOVERED = "recovered"
#: how a recovery store's name starts, then ``<date>-<time>-<i>.zarr``
PREFIX = "labels-"
#: the date and time in a recovery store's name
STAMP = "%Y%m%d-%H%M%S"


def recovery_folder() -> Path:
    """The folder of recovery stores: ``recovered`` in the cache folder."""
    from ..model.weights import cache_dir

    return cache_dir() / RECOVERED


def new_recovery_path(folder: Path) -> Path:
    """A new, empty folder in ``folder`` for a recovery store, named after the time now
    (made at once, so that two sessions ending in the same second get one each)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime(STAMP)
    for i in range(1, 10_000):
        path = folder / f"{PREFIX}{stamp}-{i}.zarr"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder} holds 9999 recovery stores of {stamp}")
