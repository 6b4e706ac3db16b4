"""Copying a frame's whole commit from one store into another (a store saved under a new path).

A commit is the frame's labels with their clicks, status, engine, the masks propagation made,
those the user painted and the objects the user marked not on it, why it needs review (and
needed it for objects corrected since), and the courses propagation saved: a copy keeps them
together, so the new store's clicks reproduce its masks as the old store's did.
"""

from __future__ import annotations

import numpy as np

from ...types import FrameRecord
from .errors import StoreCorruptError
from .frame_record import read_record
from .store import AnnotationStore


def copy_frame(
    source: AnnotationStore,
    target: AnnotationStore,
    t: int,
    labels: np.ndarray,
    record: FrameRecord | None = None,
) -> None:
    """Commit ``labels`` (``source``'s frame ``t``, or it with other objects' pixels added: a
    merge) into ``target`` with everything ``source``'s commit of frame ``t`` holds (its
    record given as ``record``: with the added objects' clicks and marks)."""
    if record is None:
        record = read_record(source.frame_record(t), source.clicks(t))
    target.commit_frame(t, labels, record)
    courses = source.read_courses(t)
    if courses:
        target.write_courses(t, courses)


def same_commit(source: AnnotationStore, t: int, labels: np.ndarray) -> bool:
    """Whether ``source``'s commit of frame ``t`` (an annotated frame) holds exactly ``labels``."""
    try:
        return bool(np.array_equal(labels, source.read_labels(t)))
    except StoreCorruptError:  # a damaged frame is no commit to copy
        return False
