"""``Store``: what an ``AnnotationSession`` needs from the store it saves into.

``napari_skipclick.io.store.AnnotationStore`` implements it; the session never imports ``io``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..checks import MAX_OBJECT_ID
from ..frame_lists import counted
from ..types import ClickRecord, FrameRecord, FrameStatus, ObjectInfo, VideoInfo


class Store(Protocol):
    """A video's saved annotations: labels per frame, objects, classes, statuses and clicks,
    and the courses propagation moved the objects along (a hint for the next run)."""

    @property
    def path(self) -> Path:
        """Where the store lives (shown to the user)."""
        ...

    @property
    def video(self) -> VideoInfo:
        """The video the store belongs to."""
        ...

    def objects(self) -> list[ObjectInfo]:
        """The saved objects."""
        ...

    def classes(self) -> list[str]:
        """The saved class names, in order."""
        ...

    def dropped_classes(self) -> list[str]:
        """The saved class names renamed away or removed (``ObjectRegistry.dropped``)."""
        ...

    def next_object_id(self) -> int:
        """The ID the next object gets: above every ID given so far (deleted objects' too)."""
        ...

    def leaving(self) -> list[int]:
        """IDs of saved objects whose deletion was being written (frames may still hold them)."""
        ...

    def statuses(self) -> dict[int, FrameStatus]:
        """The status of every frame that is not EMPTY."""
        ...

    def clicks(self, t: int) -> Mapping[int, Sequence[ClickRecord]]:
        """Clicks of frame ``t`` per object ID, in the order they were made."""
        ...

    def carried_masks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose saved mask propagation made."""
        ...

    def painted_masks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose saved pixels the user painted or erased."""
        ...

    def derived_marks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs whose first saved clicks propagation derived, though the
        mask is no longer carried."""
        ...

    def absent_marks(self) -> set[tuple[int, int]]:
        """``(frame, object)`` pairs where the user marked the object not on the frame."""
        ...

    def accepted_frames(self) -> set[int]:
        """The frames the user accepted (*reviewed*, *imported*) before an edit made them
        *clicked*: they stay the user's."""
        ...

    def review_reasons(self) -> dict[int, dict[int, str]]:
        """Frame -> object ID -> why propagation marked the frame *needs review*."""
        ...

    def settled_reasons(self) -> dict[int, dict[int, str]]:
        """Frame -> object ID -> the reason for review of an object no longer in doubt there."""
        ...

    def annotated_frames(self) -> list[int]:
        """Frames with saved labels."""
        ...

    def read_labels(self, t: int) -> np.ndarray:
        """Saved ``(H, W)`` labels of frame ``t``."""
        ...

    def frame_ids(self, t: int) -> frozenset[int] | None:
        """The object IDs in frame ``t``'s saved labels; None when the store does not know
        them without reading the labels."""
        ...

    def commit_frame(self, t: int, labels: np.ndarray, record: FrameRecord) -> None:
        """Save frame ``t``'s ``(H, W)`` labels with ``record`` (its status, clicks and marks)
        durably, replacing what was saved."""
        ...

    def begin_edit(self, what: str, frames: Sequence[int]) -> None:
        """Open an edit of ``frames`` committed whole: until ``end_edit``, a crash leaves
        them and the object list to be put back as before it."""
        ...

    def end_edit(self) -> None:
        """The commits of the edit opened by ``begin_edit`` all went."""
        ...

    def note_last_edit(self, t: int) -> None:
        """Note frame ``t`` as the one the last edit went to: a resumed store opens there."""
        ...

    def read_courses(self, t: int) -> Mapping[int, Mapping[str, np.ndarray]]:
        """How propagation moved each object onto frame ``t``: object ID -> named arrays
        (``track.Courses.records``); empty when none were saved or they cannot be read."""
        ...

    def course_index(self) -> Mapping[int, Mapping[int, set[str]]]:
        """Frame -> object ID -> the names of the courses saved for it, for every frame with
        saved courses (without reading them)."""
        ...

    def write_courses(self, t: int, record: Mapping[int, Mapping[str, np.ndarray]]) -> None:
        """Replace frame ``t``'s saved courses durably (an empty ``record`` removes them)."""
        ...

    def write_objects(
        self,
        objects: Sequence[ObjectInfo],
        classes: Sequence[str],
        leaving: Sequence[int] = (),
        next_id: int = 1,
        dropped: Sequence[str] | None = None,
    ) -> None:
        """Replace the saved object and class lists; ``leaving``: listed objects whose
        deletion is being written; ``next_id``: the ID the next object gets; ``dropped``: class
        names renamed away or removed (None: the ones kept)."""
        ...

    def claim(self, owner: object) -> None:
        """Note that ``owner`` (a session) saves into the store until it is closed; raise an
        error (``StoreLockedError``) when another session not closed does."""
        ...

    def close(self) -> None:
        """Release the store (its lock, its owner); further writes fail."""
        ...


def check_store_fits(store: Store, shape: tuple[int, ...], info: object = None) -> None:
    """``ValueError`` unless ``store`` is of a video of ``shape``'s frames ``(T, H, W, ...)``
    and, when the frames know their video (``info``, a ``VideoInfo``: ``open_video``'s), of
    that video: a store of another video is refused before anything is written into it."""
    video = store.video
    named = video.path or "a layer without a file"
    if isinstance(info, VideoInfo) and not video.takes(info):
        raise ValueError(
            f"the store {store.path} belongs to another video ({named}, fingerprint "
            f"{video.fingerprint[:16]}), not {info.path} (fingerprint {info.fingerprint[:16]})"
        )
    if (video.n_frames, video.height, video.width) != tuple(shape[:3]):
        t, h, w = shape[:3]
        raise ValueError(
            f"the store {store.path} is of a video of {counted(video.n_frames, 'frame')} "
            f"{video.width}x{video.height} ({named}), these "
            f"frames are {t} of {w}x{h}: open the store with its video, or choose another store"
        )


def check_store_takes(store: Store, frames: Iterable[int], objects: Iterable[ObjectInfo]) -> None:
    """``ValueError`` unless ``store`` holds nothing a session of ``frames`` and ``objects``
    would merge with: frames it does not have, objects it does not list (by ID and name). A
    store this session already wrote into (an earlier try that failed) takes it again."""
    ours = {(o.id, o.name) for o in objects}
    theirs = [o for o in store.objects() if (o.id, o.name) not in ours]
    extra = sorted(set(store.annotated_frames()) - set(frames))
    if theirs or extra:
        held = [f"{len(extra)} annotated frames"] * bool(extra)
        held += [f"the objects {', '.join(o.name for o in theirs[:3])}"] * bool(theirs)
        raise ValueError(
            f"the store {store.path} already holds other annotations ({' and '.join(held)}): "
            "saving into it would mix them with this session's; choose a new store"
        )


def check_store_ids(store: Store) -> None:
    """``ValueError`` when ``store`` lists, or its frames hold, an object ID above
    ``MAX_OBJECT_ID`` (a store another tool wrote): a session could neither show nor keep that
    object, so none opens and the store is left as it is."""
    try:
        ids = {o.id for o in store.objects()}
    except Exception:  # a damaged list (StoreCorruptError): the frames still tell
        ids = set()
    for t in store.annotated_frames():
        ids |= store.frame_ids(t) or frozenset()
    above = sorted(i for i in ids if i > MAX_OBJECT_ID)
    if above:
        more = f" (and {len(above) - 1} more above it)" if len(above) > 1 else ""
        raise ValueError(
            f"the store {store.path} holds object ID {above[0]}{more}, above {MAX_OBJECT_ID}, "
            "the largest object ID (what napari draws): no session was opened and the store "
            f"is left as it is. Renumber its objects to 1..{MAX_OBJECT_ID} in the tool that "
            "wrote it (skimage.segmentation.relabel_sequential renumbers labels), then open it"
        )
