"""What the frame records and the object list of a store say: statuses, clicks, the object IDs
on each frame, the masks propagation made, those the user painted, the objects the user marked
not on a frame and why propagation marked frames for review; the objects, classes and IDs given
(``docs/store-format.md``); and its problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ...types import ClickRecord, FrameStatus, ObjectInfo, VideoInfo
from .errors import StoreCorruptError, StoreError
from .frame_files import read_frame_files
from .import_mark import interrupted_import
from .last_edit import read_last_edit, write_last_edit
from .txn import FrameJournal, frame_name, parse_frame_record


class CommittedFrame(NamedTuple):
    """One commit of a frame: its labels and record (None: it has none, or ``damage`` says
    why it cannot be read)."""

    labels: np.ndarray
    record: dict | None
    damage: StoreCorruptError | None = None


class FrameRecords:
    """The record queries of ``AnnotationStore`` (a mixin: it holds the records)."""

    _records: dict[int, dict]
    _damaged: dict[int, StoreCorruptError]
    _objects_doc: dict | StoreCorruptError
    _check_frame: Callable[[int], int]  # the store's: IndexError outside the video
    _check_writable: Callable[[], None]  # the store's: refuses a read-only store
    _write_lock: Any  # the store's: one write at a time
    chunk_path: Callable[[int], Path]
    path: Path
    video: VideoInfo
    repairs: list[str]
    _notes: list[str]  # problems found on opening
    _missing: dict[int, str]  # frames whose labels file is gone
    _journal: FrameJournal
    read_labels: Callable[[int], np.ndarray]

    @property
    def problems(self) -> list[str]:
        """What is damaged, unfinished or was repaired in the store; everything else reads
        normally."""
        damaged = [str(e) for _, e in sorted(self._damaged.items())]
        damaged += [text for _, text in sorted(self._missing.items())]
        if isinstance(self._objects_doc, StoreCorruptError):
            damaged.append(str(self._objects_doc))
        else:
            names = {o.id: o.name for o in self._objects_doc["objects"]}
            damaged += [
                f"object {i} ({names[i]}) was being deleted and some frames still hold it: "
                "opening the store for annotation finishes the deletion"
                for i in self._objects_doc["leaving"]
            ]
        unfinished = [text for text in [interrupted_import(self.path)] if text]
        return [*self.repairs, *self._notes, *damaged, *unfinished]

    def frame_files(self) -> tuple[str, ...] | None:
        """A frame folder's file names when annotated, frame by frame (``frame_files.json``);
        None when the store records none (a video file's, one made before they were)."""
        return read_frame_files(self.path, self.video)

    def statuses(self) -> dict[int, FrameStatus]:
        """Status of every frame whose status is not EMPTY (damaged records are left out)."""
        return {
            t: FrameStatus(r["status"])
            for t, r in sorted(self._records.items())
            if r["status"] != FrameStatus.EMPTY.value
        }

    def clicks(self, t: int) -> dict[int, list[ClickRecord]]:
        """Clicks of frame ``t`` per object id, in order: ``(y, x, positive, unix_time)``."""
        t = self._check_frame(t)
        if t in self._damaged:
            raise self._damaged[t]
        record = self._records.get(t)
        if record is None:
            return {}
        return {
            int(k): [(float(y), float(x), bool(p), float(s)) for y, x, p, s in v]
            for k, v in record["clicks"].items()
        }

    def frame_ids(self, t: int) -> frozenset[int] | None:
        """The object IDs in frame ``t``'s saved labels, as its commit noted them: None when
        unknown (a damaged record, or one from before the IDs were noted)."""
        t = self._check_frame(t)
        record = None if t in self._damaged else self._records.get(t)
        ids = None if record is None else record.get("ids")
        return None if ids is None else frozenset(ids)

    def carried_masks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose stored mask propagation made: a corrective click
        changes such a mask only around itself (``session.corrections``)."""
        return {(t, obj) for t, r in self._records.items() for obj in r.get("carried", ())}

    def painted_masks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose stored pixels the user painted or erased: the frame
        stays the user's while one of them is on it (``session.review``)."""
        return {(t, obj) for t, r in self._records.items() for obj in r.get("painted", ())}

    def derived_marks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose first stored clicks propagation derived, the mask
        made the user's since (no longer carried there)."""
        return {(t, obj) for t, r in self._records.items() for obj in r.get("derived", ())}

    def absent_marks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs where the user marked the object not on the frame:
        propagation writes it nowhere there (``session.absent``)."""
        return {(t, obj) for t, r in self._records.items() for obj in r.get("absent", ())}

    def accepted_frames(self) -> set[int]:
        """The frames the user accepted (*reviewed*, *imported*) before an edit made them
        *clicked*: they stay the user's (``session.review``)."""
        return {t for t, r in self._records.items() if r.get("accepted")}

    def review_reasons(self) -> dict[int, dict[int, str]]:
        """Frame -> object id -> why propagation marked the frame *needs review*, for the
        frames whose record holds reasons (records from before reasons were kept hold none)."""
        return self._reasons("review")

    def settled_reasons(self) -> dict[int, dict[int, str]]:
        """Frame -> object id -> why propagation had marked the frame *needs review* for an
        object no longer in doubt there (corrected since): taking the correction back puts
        the frame back in review for it (records from before they were kept hold none)."""
        return self._reasons("settled")

    def _reasons(self, key: str) -> dict[int, dict[int, str]]:
        """Frame -> object id -> reason, from the records' ``key`` field (frames with some)."""
        return {
            t: {int(obj): reason for obj, reason in r[key].items()}
            for t, r in sorted(self._records.items())
            if r.get(key)
        }

    def frame_record(self, t: int) -> dict | None:
        """The stored record of frame ``t`` (status, clicks, commit time, engine) or None."""
        t = self._check_frame(t)
        if t in self._damaged:
            raise self._damaged[t]
        record = self._records.get(t)
        return None if record is None else dict(record)

    def read_frame(self, t: int) -> CommittedFrame:
        """Frame ``t``'s labels and record as they are now, from one commit (while another
        process writes the store, its labels never go with an earlier or later status)."""
        t = self._check_frame(t)
        try:
            labels, raw = self._journal.read_committed(t, self.read_labels)
        except OSError as e:
            raise StoreError(f"cannot read frame {t} of the store {self.path}: {e}") from e
        if raw is None:
            return CommittedFrame(labels, None)
        path = self.path / "frames" / frame_name(t)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError as e:  # not UTF-8, not JSON
            damage = StoreCorruptError(f"frame record {path} is damaged: {e}", str(path))
            return CommittedFrame(labels, None, damage)
        try:
            return CommittedFrame(labels, parse_frame_record(doc, path))
        except StoreCorruptError as e:
            return CommittedFrame(labels, None, e)

    def annotated_frames(self) -> list[int]:
        """Frames with committed labels (including those whose record is damaged); not a
        frame emptied since (its objects deleted: status *empty*, no IDs), which was counted
        and exported as a negative example the user never made."""
        frames = {t for t, r in self._records.items() if annotated(r)}
        frames |= {t for t in self._damaged if self.chunk_path(t).exists()}
        return sorted(frames)

    def last_saved_frame(self) -> int | None:
        """The frame whose record was saved last, or None."""
        timed = [(r["time"], t) for t, r in self._records.items() if r["labels"] and r["time"]]
        return max(timed)[1] if timed else None

    def resume_frame(self) -> int | None:
        """The frame a resumed store opens on: the one its last edit went to, as the session
        noted it (``note_last_edit``; an undo or redo: the frame it showed), unless a frame
        was saved after the note (another writer): then, as without a note, the frame saved
        last. None when the store holds no saved frame and no note."""
        noted = read_last_edit(self.path, self.video.n_frames)
        times = [r["time"] for r in self._records.values() if r["labels"] and r["time"]]
        if noted is not None and noted[1] >= max(times, default=""):
            return noted[0]
        return self.last_saved_frame()

    def note_last_edit(self, t: int) -> None:
        """Note frame ``t`` as the one the last edit went to (durable: ``resume_frame``)."""
        self._check_writable()
        t = self._check_frame(t)
        with self._write_lock:
            self._check_writable()
            try:
                write_last_edit(self.path, t)
            except OSError as e:
                raise StoreError(f"could not note the frame of the last edit: {e}") from e

    def objects(self) -> list[ObjectInfo]:
        """Annotated objects in stored order."""
        return list(self._objects()["objects"])

    def classes(self) -> list[str]:
        """Class names in stored order."""
        return list(self._objects()["classes"])

    def dropped_classes(self) -> list[str]:
        """Class names the annotator renamed away or removed, oldest first (none in a damaged
        list or in a store from before they were kept)."""
        if isinstance(self._objects_doc, StoreCorruptError):
            return []
        return list(self._objects_doc["dropped"])

    def next_object_id(self) -> int:
        """The ID the next object gets: above every ID the store has given (1: none known)."""
        if isinstance(self._objects_doc, StoreCorruptError):
            return 1
        return int(self._objects_doc["next_id"])

    def leaving(self) -> list[int]:
        """IDs of listed objects whose deletion was being written: a crash, or a writer still
        at work, left some of their frames with pixels (``AnnotationSession.finish_deletions``
        ends it; the widget runs it as it opens the store). None known of a damaged list."""
        if isinstance(self._objects_doc, StoreCorruptError):
            return []
        return list(self._objects()["leaving"])

    def _objects(self) -> dict:
        if isinstance(self._objects_doc, StoreCorruptError):
            raise self._objects_doc
        return self._objects_doc


def annotated(record: dict) -> bool:
    """Whether a frame record is of committed labels that still hold something: not a frame
    emptied since (status *empty*, no object IDs)."""
    emptied = record["status"] == FrameStatus.EMPTY.value and record.get("ids") == []
    return bool(record["labels"]) and not emptied
