"""Plain value types shared by every room: clicks, frame statuses, objects, video facts."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class Click(NamedTuple):
    """One click in image pixels: row ``y``, column ``x`` (floats allowed), and its sign."""

    y: float
    x: float
    positive: bool


class FrameStatus(str, enum.Enum):
    """Annotation state of one frame, in the order a frame usually moves through them."""

    EMPTY = "empty"
    CLICKED = "clicked"
    PROPAGATED = "propagated"
    NEEDS_REVIEW = "needs review"
    REVIEWED = "reviewed"
    IMPORTED = "imported"


#: the statuses of frames nobody checked (propagation made them; their clicks are its own)
UNCHECKED = (FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)

#: one stored click: row, column, positive?, unix time it was made
ClickRecord = tuple[float, float, bool, float]


@dataclass(frozen=True)
class FrameRecord:
    """What a commit saves of a frame beside its labels (a store checks it as it writes).

    ``clicks``: per object ID, in the order made; ``engine_key``: the engine whose masks
    these are (None: the store's last); ``carried``: the objects whose mask propagation made;
    ``painted``: those whose pixels the user painted or erased; ``accepted``: the user
    accepted the frame before an edit made it *clicked*; ``absent``: the objects the user
    marked not on it; ``review``: why propagation marked it *needs review*, per object in
    doubt; ``settled``: the reasons of objects no longer in doubt there (corrected since);
    ``derived``: the objects, no longer carried, whose first clicks there propagation derived.
    """

    status: FrameStatus
    clicks: Mapping[int, Sequence[ClickRecord]] = field(default_factory=dict)
    engine_key: str | None = None
    carried: Collection[int] = ()
    painted: Collection[int] = ()
    accepted: bool = False
    absent: Collection[int] = ()
    review: Mapping[int, str] = field(default_factory=dict)
    derived: Collection[int] = ()
    settled: Mapping[int, str] = field(default_factory=dict)


#: the statuses an export can take frames by (``skipclick export --status``, the Export panel's
#: boxes); an export that names none takes every annotated frame
EXPORT_STATUSES = tuple(s.value for s in FrameStatus if s is not FrameStatus.EMPTY)


class DamagedDataError(Exception):
    """Saved data that cannot be read back (a truncated or changed file); ``path`` names the
    file. The store's ``StoreCorruptError`` is one: a session reads such a frame as empty."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


#: the class of a new session's objects until others are added, and of imported objects
DEFAULT_CLASS = "object"


@dataclass(frozen=True)
class ObjectInfo:
    """An annotated object: stable integer ID (the label value), display name, class, RGB colour.

    ``color`` is the colour recorded with the object (in the store's objects.json); objects
    are drawn in ``session.color_for(id)``, which is also the colour a session gives them.
    """

    id: int
    name: str
    class_name: str
    color: tuple[int, int, int]


#: how the fingerprint of ``VideoInfo.of_labels`` begins
LABELS_ONLY = "labels-layer:"


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video or frame folder that a store records to recognise it again."""

    path: str
    n_frames: int
    height: int
    width: int
    fps: float
    fingerprint: str
    #: fingerprints earlier versions gave the same content (a photo's held its file name),
    #: never written into a store: a store recording one of them is this video's
    former: tuple[str, ...] = field(default=(), compare=False, repr=False)
    #: a frame folder's file names in frame order, as read (empty for a video file, a photo,
    #: or a store's video): a new store records them (``frame_files.json``)
    frame_files: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of_labels(cls, n_frames: int, height: int, width: int) -> VideoInfo:
        """The stand-in for a video known only by the size of its labels (a plain napari Labels
        layer saved as a store): the first video of that size opened with it replaces it."""
        fingerprint = f"{LABELS_ONLY}{n_frames}x{height}x{width}"
        return cls("", n_frames, height, width, 0.0, fingerprint)

    @property
    def forms(self) -> tuple[str, ...]:
        """Every fingerprint this video has had: the one of now, then its ``former``."""
        return (self.fingerprint, *self.former)

    @property
    def labels_only(self) -> bool:
        """Whether this is ``of_labels``' stand-in, not a video that was read."""
        return self.fingerprint.startswith(LABELS_ONLY)

    def takes(self, video: VideoInfo) -> bool:
        """Whether a store made for this video is ``video``'s: the same size and fingerprint,
        or one ``video`` had before (the file may have moved), or this is a stand-in of that
        size (``of_labels``)."""
        size = (self.n_frames, self.height, self.width)
        if size != (video.n_frames, video.height, video.width):
            return False
        same = self.fingerprint in video.forms
        return same or self.labels_only
