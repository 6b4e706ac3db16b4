"""Crash-safe commit of one frame: labels chunk and frame record change together or not at all.

A commit keeps a hard link to the old chunk (``pending/NNNNNN.prev``) and a journal entry
(``pending/NNNNNN.json`` with the commit id), writes the new chunk, then the frame record that
carries the same commit id, then drops the journal entry. Recovery after a crash compares the
ids: the record has the new id → the commit finished; otherwise the old chunk is put back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from ...types import FrameStatus
from .errors import StoreCorruptError
from .files import (
    clean_temporaries,
    fsync_dir,
    read_json,
    remove_durably,
    write_json,
)

_STATUSES = {s.value for s in FrameStatus}
#: how often a frame is read again while a writer commits it before reading gives up
READ_TRIES = 200


def utc_now() -> str:
    """Current time as an ISO 8601 UTC string."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame_name(t: int) -> str:
    """File name of frame ``t``'s record."""
    return f"{t:06d}.json"


def read_frame_records(store: Path) -> tuple[dict[int, dict], dict[int, StoreCorruptError]]:
    """Every frame record of the store at ``store``, and the damaged ones' errors, by frame."""
    records: dict[int, dict] = {}
    damaged: dict[int, StoreCorruptError] = {}
    for path in sorted((store / "frames").glob("*.json")):
        if not path.stem.isdigit():
            continue
        try:
            records[int(path.stem)] = parse_frame_record(read_json(path, store), path)
        except FileNotFoundError:
            continue  # replaced or removed while listing
        except StoreCorruptError as e:
            damaged[int(path.stem)] = e
    return records, damaged


def parse_frame_record(doc: Any, path: Path) -> dict:
    """Validate a frame record; a malformed one raises :class:`StoreCorruptError`."""
    try:
        if not isinstance(doc, dict) or doc["status"] not in _STATUSES:
            raise ValueError("missing or unknown status")
        clicks = {
            str(int(k)): [[float(y), float(x), bool(p), float(s)] for y, x, p, s in v]
            for k, v in doc["clicks"].items()
        }
        return {
            "frame": int(doc["frame"]),
            "status": doc["status"],
            "labels": bool(doc["labels"]),
            "clicks": clicks,
            "engine_key": doc.get("engine_key"),
            "carried": sorted({int(k) for k in doc.get("carried", ())}),
            "painted": _painted(doc),
            "accepted": bool(doc.get("accepted", False)),
            "absent": sorted({int(k) for k in doc.get("absent", ())}),
            "derived": sorted({int(k) for k in doc.get("derived", ())}),
            "ids": None if doc.get("ids") is None else sorted({int(k) for k in doc["ids"]}),
            "review": {str(int(k)): str(v) for k, v in doc.get("review", {}).items()},
            "settled": {str(int(k)): str(v) for k, v in doc.get("settled", {}).items()},
            "time": doc.get("time"),
            "commit": str(doc.get("commit", "")),
        }
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise StoreCorruptError(f"frame record {path} is invalid: {e!r}", str(path)) from e


def _painted(doc: dict) -> list[int]:
    """The objects a frame record says the user painted; a record from before they were kept
    counts every carried object of a *clicked* frame (it may have been painted: the frame
    stays the user's)."""
    if "painted" in doc:
        return sorted({int(k) for k in doc["painted"]})
    clicked = doc["status"] == FrameStatus.CLICKED.value
    return sorted({int(k) for k in doc.get("carried", ())}) if clicked else []


def link_or_copy(src: Path, dst: Path) -> None:
    """Keep the old chunk under ``dst``; the journal write that follows fsyncs the directory."""
    try:
        os.link(src, dst)
    except OSError:
        if not src.exists():
            raise
        shutil.copyfile(src, dst)
        with open(dst, "rb") as f:
            os.fsync(f.fileno())


class FrameJournal:
    """Writes frames of one store through the pending journal and recovers interrupted ones."""

    def __init__(self, root: Path, labels: zarr.Array, readonly: bool) -> None:
        self.root = root
        self.labels = labels
        self.readonly = readonly
        self.pending = root / "pending"
        self.frames = root / "frames"

    def chunk_path(self, t: int) -> Path:
        """File holding frame ``t``'s labels chunk."""
        return self.root / "labels" / f"c.{t}.0.0"

    def _marker(self, t: int) -> Path:
        return self.pending / frame_name(t)

    def _prev(self, t: int) -> Path:
        return self.pending / f"{t:06d}.prev"

    def commit(self, t: int, data: np.ndarray, record: dict) -> None:
        """Write labels and record of frame ``t``; an ``OSError`` leaves the old frame in place."""
        self.recover(t)
        chunk, prev, marker = self.chunk_path(t), self._prev(t), self._marker(t)
        self.pending.mkdir(exist_ok=True)
        self.frames.mkdir(exist_ok=True)
        had_chunk = chunk.exists()
        try:
            if had_chunk:
                prev.unlink(missing_ok=True)
                link_or_copy(chunk, prev)
            write_json(marker, {"frame": t, "commit": record["commit"], "had_chunk": had_chunk})
            self.labels[t] = data
            write_json(self.frames / frame_name(t), record)
        except OSError:
            # a failed rollback is finished by the next commit of t or the next writable open
            with contextlib.suppress(OSError):
                self.recover(t)
            raise
        # the commit is durable now; a journal entry left behind is dropped on recovery
        with contextlib.suppress(OSError):
            self._finish(t)

    def _finish(self, t: int) -> None:
        self._marker(t).unlink(missing_ok=True)
        self._prev(t).unlink(missing_ok=True)
        fsync_dir(self.pending)

    def _record_commit(self, t: int) -> str | None:
        try:
            doc = read_json(self.frames / frame_name(t), self.root)
        except (FileNotFoundError, StoreCorruptError):
            return None
        return doc.get("commit") if isinstance(doc, dict) else None

    def _interrupted(self, t: int) -> dict | None:
        """The journal entry of an unfinished commit of ``t`` (``{}`` if unreadable), else None."""
        marker = self._marker(t)
        if not marker.exists():
            return None
        try:
            txn = read_json(marker, self.root)
        except (FileNotFoundError, StoreCorruptError):
            return {}
        if not isinstance(txn, dict):
            return {}
        return None if txn.get("commit") == self._record_commit(t) else txn

    def recover(self, t: int) -> None:
        """Finish or roll back an interrupted commit of frame ``t``."""
        marker, prev, chunk = self._marker(t), self._prev(t), self.chunk_path(t)
        if not marker.exists():
            if prev.exists():
                remove_durably(prev)
            return
        txn = self._interrupted(t)
        if txn is not None:  # the record never got the new commit id: put the old chunk back
            if prev.exists():
                os.replace(prev, chunk)
                fsync_dir(chunk.parent)
            elif txn.get("had_chunk") is False:
                remove_durably(chunk)
        self._finish(t)

    def recover_all(self) -> None:
        """Recover every interrupted commit and remove leftovers of killed writes."""
        if self.pending.is_dir():
            for marker in sorted(self.pending.glob("*.json")):
                if marker.stem.isdigit():
                    self.recover(int(marker.stem))
            for prev in self.pending.glob("*.prev"):  # not a digit: no file of ours (a copy)
                if prev.stem.isdigit() and not self._marker(int(prev.stem)).exists():
                    remove_durably(prev)
        for directory in (self.root, self.frames, self.pending, self.root / "labels"):
            clean_temporaries(directory)

    def read_instead(self, key: str) -> str | None:
        """For a read-only open: the key to read for ``key`` when it is the labels chunk of a
        frame whose commit was interrupted (or is under way), the frame's last complete version
        (``pending/NNNNNN.prev``; a key that does not exist, read as empty, when it had none).
        Its record is that version's too: new labels never go with an old status."""
        name = key.rpartition("/")[2]
        if not key.startswith("labels/c.") or name.count(".") != 3:
            return None
        t = name.split(".")[1]
        if not t.isdigit() or not self._marker(int(t)).exists():
            return None
        txn = self._interrupted(int(t))
        if txn is None:
            return None
        prev = self._prev(int(t))
        if prev.exists():
            return prev.relative_to(self.root).as_posix()
        return None if txn.get("had_chunk") is not False else f"pending/{t}.none"

    def read_committed(
        self, t: int, read_labels: Callable[[int], np.ndarray]
    ) -> tuple[np.ndarray, bytes | None]:
        """Frame ``t``'s labels (``read_labels(t)``) and its record file's bytes (None: no
        record) from one commit, read beside a writer at work: read again until neither the
        record nor the journal entry changed while the labels were read. A journal entry that
        stays (an interrupted commit) is read past only by a read-only open, whose labels are
        then its record's version (``read_instead``)."""
        for attempt in range(READ_TRIES):
            record, marker = self._bytes(self.frames / frame_name(t)), self._bytes(self._marker(t))
            labels = read_labels(t)
            same = (
                self._bytes(self._marker(t)) == marker
                and self._bytes(self.frames / frame_name(t)) == record
            )
            if same and (marker is None or self.readonly):
                return labels, record
            time.sleep(min(0.001 * attempt, 0.02))
        raise OSError(f"frame {t} kept changing while it was read ({READ_TRIES} tries)")

    @staticmethod
    def _bytes(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def describe_interrupted(self) -> list[str]:
        """Messages for unfinished commits, as seen read-only (a writable open fixes them)."""
        if not self.pending.is_dir():
            return []
        out = []
        for marker in sorted(self.pending.glob("*.json")):
            if marker.stem.isdigit() and self._interrupted(int(marker.stem)) is not None:
                out.append(
                    f"frame {int(marker.stem)}: a commit was interrupted or is in progress; "
                    "its last complete version is read, and opening the store for writing "
                    "restores it"
                )
        return out
