"""Recovery stores: the labels of a session with no store, copied when it ended into
``recovered/labels-<date>-<time>-<i>.zarr`` in the cache folder. They are the only copy of
those labels once the window has closed, so nothing here deletes one unless asked to."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class Recovered:
    """One recovery store: when it was made, what it holds (``error``: why it could not be
    read; then frames and objects are 0) and its size on disk in bytes."""

    path: Path
    made: datetime
    frames: int
    objects: int
    size: int
    error: str = ""


def made_at(path: Path) -> datetime:
    """When the recovery store ``path`` was made: the time in its name, else its folder's."""
    stamp = path.name.removeprefix(PREFIX)[: len("YYYYmmdd-HHMMSS")]
    try:
        return datetime.strptime(stamp, STAMP)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime)


def recovered_stores(folder: Path) -> list[Path]:
    """The recovery stores in ``folder`` (none if it does not exist), oldest first."""
    if not folder.is_dir():
        return []
    stores = (p for p in folder.glob(f"{PREFIX}*.zarr") if p.is_dir())
    return sorted(stores, key=lambda p: (made_at(p), p.name))


def describe(path: Path) -> Recovered:
    """What the recovery store ``path`` holds, read-only (a damaged one says why)."""
    from .store import AnnotationStore, StoreError

    made = made_at(path)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    try:
        with AnnotationStore.open(path, readonly=True) as store:
            return Recovered(path, made, len(store.annotated_frames()), len(store.objects()), size)
    except StoreError as e:
        return Recovered(path, made, 0, 0, size, str(e))


def is_recovery_store(path: Path) -> bool:
    """Whether ``path`` is named as a recovery store (``recovered/labels-*.zarr``)."""
    return path.parent.name == RECOVERED and path.name.startswith(PREFIX) and path.is_dir()


def remove(path: Path) -> None:
    """Delete the recovery store ``path``, holding its writer lock: ``ValueError`` for a path
    that is no recovery store, ``StoreLockedError`` while a window still writes it."""
    from .store import AnnotationStore, StoreError, StoreLockedError

    if not is_recovery_store(path):
        raise ValueError(f"{path} is not a recovery store ({RECOVERED}/{PREFIX}*.zarr)")
    try:
        with AnnotationStore.open(path, readonly=False):
            shutil.rmtree(path)
            return
    except StoreLockedError:
        raise
    except StoreError:  # damaged or never finished: nothing holds it
        shutil.rmtree(path)
