"""Recovery stores: the labels of a session with no store, copied when it ended into
``recovered/labels-<date>-<time>-<i>.zarr`` in the cache folder. They are the only copy of
those labels once the window has closed, so nothing here deletes one unless asked to."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

#: the cache folder's folder of recovery stores
RECOVERED = "recovered"
#: how a recovery store's name starts, then ``<date>-<time>-<i>.zarr``
PREFIX = "labels-"
#: the date and time in a recovery store's name
STAMP = "%Y%m%d-%H%M%S"
#: the file naming the process that copies labels into a recovery store, removed once the
#: copy is complete (``begin_copy``, ``end_copy``): a store that keeps it was cut short
COPYING = ".copying.json"
#: how the files start that name a process reading a recovery store (``mark_open``)
OPEN_PREFIX = ".open-"


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
    read; then frames and objects are 0), its size on disk in bytes, and ``partial``: why it
    holds part of the copy (its write still runs, or was cut short), empty when complete."""

    path: Path
    made: datetime
    frames: int
    objects: int
    size: int
    error: str = ""
    partial: str = ""


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


def begin_copy(path: Path) -> None:
    """Name this process in the new recovery store ``path`` as the one copying into it."""
    from .store.lock import this_process

    (path / COPYING).write_text(json.dumps(this_process()), encoding="utf-8")


def end_copy(path: Path, error: str | None) -> None:
    """The copy into ``path`` has ended: without ``error``, the store is whole; else its mark
    says why it holds part of the copy, and the folder goes if the copy left nothing in it."""
    mark = path / COPYING
    if error is None or {e.name for e in path.iterdir()} <= {COPYING}:
        mark.unlink(missing_ok=True)
    else:
        mark.write_text(json.dumps({"failed": error}), encoding="utf-8")
    if error is not None:
        with contextlib.suppress(OSError):
            path.rmdir()  # the folder made for it, if it stayed empty


def partial(path: Path) -> str:
    """Why the recovery store ``path`` holds part of its copy (empty when complete): its
    writer still runs, failed, or ended first (the store lock's rule, ``process_gone``)."""
    from .store.lock import process_gone

    try:
        owner = json.loads((path / COPYING).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    except (OSError, ValueError):
        owner = None
    if not isinstance(owner, dict):
        return "partial: its copy was cut short"
    if "failed" in owner:
        return f"partial: its copy failed: {owner['failed']}"
    pid = owner.get("pid", "?")
    if process_gone(owner):
        return f"partial: its copy was cut short (process {pid} ended before it was done)"
    return f"partial: process {pid} on host {owner.get('host', '?')} is still copying into it"


def describe(path: Path) -> Recovered:
    """What the recovery store ``path`` holds, read-only (a damaged one says why)."""
    from .store import AnnotationStore, StoreError

    made, cut = made_at(path), partial(path)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    try:
        with AnnotationStore.open(path, readonly=True) as store:
            held = len(store.annotated_frames()), len(store.objects())
            return Recovered(path, made, *held, size, partial=cut)
    except StoreError as e:
        return Recovered(path, made, 0, 0, size, str(e), cut)


def is_recovery_store(path: Path) -> bool:
    """Whether ``path`` is named as a recovery store (``recovered/labels-*.zarr``)."""
    return path.parent.name == RECOVERED and path.name.startswith(PREFIX) and path.is_dir()


def mark_open(store: Any) -> None:
    """Name this process in the recovery store ``store`` opened to read (napari's reader) for
    as long as ``store`` lives: ``remove`` keeps the store meanwhile. Other stores: nothing."""
    from .store.lock import this_process

    if not is_recovery_store(store.path):
        return
    mark = store.path / f"{OPEN_PREFIX}{uuid.uuid4().hex}.json"
    try:
        mark.write_text(json.dumps(this_process()), encoding="utf-8")
    except OSError:  # a folder that cannot be written: nor can the store be removed
        return
    weakref.finalize(store, mark.unlink, missing_ok=True)


def readers(path: Path) -> list[dict]:
    """The processes ``mark_open`` named in the recovery store ``path`` that may still run
    (the store lock's rule, ``process_gone``): the marks of those that ended go."""
    from .store.lock import process_gone

    alive = []
    for mark in path.glob(f"{OPEN_PREFIX}*.json"):
        try:
            owner = json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # removed meanwhile, or half written as its process was killed
        if isinstance(owner, dict) and process_gone(owner):
            mark.unlink(missing_ok=True)
        elif isinstance(owner, dict):
            alive.append(owner)
    return alive


def remove(path: Path) -> None:
    """Delete the recovery store ``path``, holding its writer lock: ``ValueError`` for a path
    that is no recovery store, ``StoreLockedError`` while a window still writes it or has it
    open to read."""
    from .store import AnnotationStore, StoreError, StoreLockedError

    if not is_recovery_store(path):
        raise ValueError(f"{path} is not a recovery store ({RECOVERED}/{PREFIX}*.zarr)")
    if live := readers(path):
        owner = live[0]
        raise StoreLockedError(
            f"the store {path} is open to read in process {owner.get('pid', '?')} on host "
            f"{owner.get('host', '?')} (napari): close that window first"
        )
    try:
        with AnnotationStore.open(path, readonly=False):
            shutil.rmtree(path)
            return
    except StoreLockedError:
        raise
    except StoreError:  # damaged or never finished: nothing holds it
        shutil.rmtree(path)
