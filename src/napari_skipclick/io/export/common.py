"""What every export shares: which frames, their names and splits, classes, provenance.

An export reads each store frame by frame (memory stays bounded), reports progress through
``progress(done, total)`` and stops when ``cancel()`` returns true, removing what it wrote.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from ...checks import ids_in
from ...frame_lists import counted
from ...types import FrameStatus
from ..fingerprints import first_of_video
from ..store import AnnotationStore, StoreError
from ..store.layout import video_doc
from .asked import asked_frames, asked_statuses
from .split import split_frames, split_videos
from .taken import TakenObjects, kept, read_taken, snapshot_status, take_objects

SPLIT_BY = ("frames", "video")

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class ExportError(StoreError):
    """An export cannot be written (existing files, ids a format cannot hold, the disk)."""


class ExportExists(ExportError):
    """The output folder holds an earlier export: replace it only when asked (``overwrite``)."""


class ExportCancelled(ExportError):
    """The export was cancelled; the files it had written are removed."""


def object_ids_in(labels: np.ndarray) -> list[int]:
    """Sorted non-zero label ids present in ``labels`` (the rule: ``checks.ids_in``)."""
    return sorted(ids_in(labels))


def select_frames(
    store: AnnotationStore,
    frames: str | int | Iterable[int] | None = None,
    statuses: str | Iterable[FrameStatus | str] | None = None,
) -> list[int]:
    """Annotated frames to export, optionally only ``frames`` and/or those with ``statuses``
    (as ``asked`` reads them; ``taken.kept``; reading each frame keeps to the same rule:
    ``taken.read_taken``)."""
    chosen = store.annotated_frames()
    frames = asked_frames(frames, store.video.n_frames)
    if frames is not None:
        wanted = set(frames)
        chosen = [t for t in chosen if t in wanted]
    keep = asked_statuses(statuses)
    if keep is not None:
        chosen = [t for t in chosen if kept(snapshot_status(store, t), keep)]
    return chosen


def nothing_chosen(frames: object, statuses: object) -> ExportError:
    """The refusal of an export (or a ``Dataset``) that no annotated frame is chosen for;
    ``frames``, ``statuses``: as asked (None: all)."""
    asked = (
        " among the frames and statuses asked for"
        if frames is not None or statuses is not None
        else ""
    )
    return ExportError(f"nothing to export: no annotated frame{asked}")


@dataclass(frozen=True)
class Item:
    """One exported frame: its store, video name, frame index and split ("" without splits)."""

    store: AnnotationStore
    video: str
    t: int
    split: str

    def stem(self, multi: bool, sep: str = "/", digits: int = 6) -> str:
        """Its file name without suffix: ``[video<sep>]NNNNNN`` (video only for several)."""
        return f"{self.video}{sep}{self.t:0{digits}d}" if multi else f"{self.t:0{digits}d}"


@dataclass
class Plan:
    """The frames of one export, with what provenance records of them."""

    stores: list[AnnotationStore]
    items: list[Item]
    names: list[str]  # shared class names: category i + 1 is names[i]
    objects: list[TakenObjects]  # per store: the objects taken, their categories
    statuses: list[str] | None
    split: dict[str, float] | None
    split_by: str
    seed: int
    #: the items read so far that the export holds, with their status as read
    exported: list[tuple[Item, str]] = field(default_factory=list)
    #: per store, its frame folder's file names when annotated (``originals``)
    files: dict[Path, tuple[str, ...] | None] = field(default_factory=dict)

    @property
    def multi(self) -> bool:
        """Whether several videos are exported (file names then carry the video)."""
        return len(self.stores) > 1

    @property
    def splits(self) -> list[str]:
        """Split names in the given order ([""] without splits)."""
        return list(self.split) if self.split else [""]

    def taken(self, item: Item) -> TakenObjects:
        """The objects taken of ``item``'s store."""
        return self.objects[self.stores.index(item.store)]

    def category(self, item: Item, oid: int) -> int:
        """Category id of label ``oid`` of ``item``'s store (one ``read`` gave)."""
        return self.taken(item).category(oid)

    def read(self, item: Item) -> np.ndarray | None:
        """``item``'s labels as the export takes them, counted in its provenance, or None when
        it leaves the frame out (``taken.read_taken``: its status changed since the export
        began, or it holds nothing any more)."""
        read = read_taken(item.store, item.t, self.statuses, self.taken(item))
        if read is None:
            return None
        self.exported.append((item, read[1]))
        return read[0]

    def originals(self, store: AnnotationStore) -> tuple[str, ...] | None:
        """The file names ``store``'s frames had in its folder when annotated (None: it
        records none, a video file's store or one made before they were recorded)."""
        if store.path not in self.files:
            self.files[store.path] = store.frame_files()
        return self.files[store.path]

    def original(self, item: Item) -> dict[str, str]:
        """``{"original_file_name": name}`` of ``item``'s frame (``originals``), or nothing."""
        files = self.originals(item.store)
        return {"original_file_name": files[item.t]} if files else {}

    def frame_statuses(self, store: AnnotationStore | None = None) -> dict[str, int]:
        """How many frames of each status the export holds (as read), of ``store`` or all."""
        statuses = [status for i, status in self.exported if store is None or i.store is store]
        return dict(sorted(Counter(statuses).items()))

    def provenance(self) -> dict[str, Any]:
        """Where the export comes from: software, stores, videos (with fingerprints), the
        frames exported, their statuses as read and, from a frame folder, their file names."""
        videos = []
        for store in self.stores:
            statuses = self.frame_statuses(store)
            files = self.originals(store)
            originals = {
                str(i.t): files[i.t] for i, _ in self.exported if files and i.store is store
            }
            videos.append(
                {
                    "name": next((i.video for i in self.items if i.store is store), ""),
                    "store": str(store.path),
                    "video": video_doc(store.video),
                    "frames": sum(statuses.values()),
                    "frame_statuses": statuses,
                    **({"original_file_names": originals} if files else {}),
                }
            )
        return {
            "software": "napari-skipclick",
            "version": __version__,
            "date_created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "statuses_included": self.statuses or "every annotated frame",
            "split": self.split,
            "split_by": self.split_by if self.split else None,
            "seed": self.seed if self.split else None,
            "videos": videos,
        }


#: names of frame folders that say nothing of their clip (``hockey/frames``): the clip is the
#: folder above
GENERIC_FOLDERS = {"frames", "images", "imgs", "img", "jpg", "jpegs", "rgb", "color", "480p"}


def video_names(stores: Sequence[AnnotationStore]) -> list[str]:
    """One unique, file-system-safe name per store, from its video file (else its folder):
    ``run1`` for ``run1.mp4``, ``hockey`` for the frame folder ``hockey/frames``."""
    names: list[str] = []
    for store in stores:
        video = Path(store.video.path)
        if video.name.lower() in GENERIC_FOLDERS and video.parent.name:
            video = video.parent
        base = video.stem or store.path.stem
        base = "".join(c if c.isalnum() or c in "-_." else "_" for c in base) or "video"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def plan_export(
    stores: AnnotationStore | Sequence[AnnotationStore],
    frames: str | int | Iterable[int] | None = None,
    statuses: str | Iterable[FrameStatus | str] | None = None,
    split: dict[str, float] | None = None,
    split_by: str = "frames",
    seed: int = 0,
) -> Plan:
    """Choose and name the frames of an export, and give each its split; ``frames`` and
    ``statuses`` as ``asked`` reads them (a list, one, or the command line's text)."""
    stores = [stores] if isinstance(stores, AnnotationStore) else list(stores)
    if split_by not in SPLIT_BY:
        raise ValueError(f"split_by must be one of {SPLIT_BY}, not {split_by!r}")
    frames = asked_frames(frames, max(store.video.n_frames for store in stores))
    _check_asked(stores, frames)
    statuses = asked_statuses(statuses)
    videos = video_names(stores)
    by_video = split_videos(videos, split, seed) if split and split_by == "video" else {}
    items: list[Item] = []
    selected = [select_frames(store, frames, statuses) for store in stores]
    names: list[str] = []
    objects = take_objects(stores, selected, names)
    by_frame = split_frames(selected, split, seed) if split and split_by == "frames" else []
    for k, (store, video, chosen) in enumerate(zip(stores, videos, selected, strict=True)):
        if not split:
            splits = dict.fromkeys(chosen, "")
        elif split_by == "video":
            splits = dict.fromkeys(chosen, by_video[video])
        else:
            splits = by_frame[k]
        items.extend(Item(store, video, t, splits[t]) for t in chosen)
    if not items:
        raise nothing_chosen(frames, statuses)
    empty = [name for name in split or {} if not any(i.split == name for i in items)]
    if empty:
        raise ExportError(
            f"the split {empty[0]!r} would get no frames ({len(items)} frames of "
            f"{len(stores)} video(s), split by {split_by}): give fewer splits, or more frames"
        )
    return Plan(stores, items, names, objects, statuses, split, split_by, seed)


def _check_asked(stores: Sequence[AnnotationStore], frames: list[int] | None) -> None:
    """``ExportError`` for a store given twice or two stores of one video (its frames twice
    over, perhaps in two splits) and for frames asked for that no video has."""
    paths = [store.path.resolve() for store in stores]
    twice = [p for k, p in enumerate(paths) if p in paths[:k]]
    if twice:
        raise ExportError(f"the store {twice[0]} is given twice: give each store once")
    read = [k for k, store in enumerate(stores) if not store.video.labels_only]
    firsts = first_of_video([stores[k].video for k in read])  # a photo's old form known too
    for k, first in zip(read, firsts, strict=True):
        if read[first] != k:
            raise ExportError(
                f"the stores {paths[read[first]]} and {paths[k]} annotate the same video "
                f"({stores[k].video.path}): its frames would be exported twice, perhaps into "
                "two splits, with different labels. Export one of them, or bring one into the "
                "other first (the widget's Import labels, or skipclick import-labels)"
            )
    longest = max(store.video.n_frames for store in stores)
    outside = sorted({t for t in frames or () if not 0 <= t < longest})
    if outside:
        longest_of = "the longest has" if len(stores) > 1 else "it has"
        has = f"{longest_of} {counted(longest, 'frame')}, 0..{longest - 1}"
        raise ExportError(
            f"frames {outside[:5]}{' …' if len(outside) > 5 else ''} are past the end of the "
            f"video{'s' * (len(stores) > 1)} ({has})"
        )


def check_video_keys(
    stores: Sequence[AnnotationStore], videos: dict[str | Path, Any] | None
) -> None:
    """``ExportError`` for a key of ``videos`` that names none of ``stores`` (a store path,
    relative or absolute, str or Path; ``FrameImages`` reads each by its resolved path)."""
    given = {store.path.resolve() for store in stores}
    unknown = [key for key in videos or {} if Path(key).resolve() not in given]
    if unknown:
        raise ExportError(
            f"videos names {unknown[0]}, which is none of the stores exported "
            f"({', '.join(str(store.path) for store in stores)}): key each video by its "
            "store's path"
        )
