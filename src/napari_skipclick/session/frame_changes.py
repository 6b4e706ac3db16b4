"""How one frame changed, for undo and redo: exact label patches (or the changed pixels alone),
clicks, statuses and marks before and after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..types import Click, FrameStatus

#: clicks of one object on one frame, each with the unix time it was made
TimedClicks = list[tuple[Click, float]]

#: a change keeps only its changed pixels (their places in its box and their labels) when they
#: are fewer than this share of the box: a stroke across a frame changes a band of a large box
SPARSE_SHARE = 0.25


@dataclass(frozen=True)
class Marks:
    """Whose masks a frame holds, beyond its pixels and clicks: the objects whose mask there
    propagation made (``carried``), those whose pixels there the user painted or erased
    (``painted``), whether the user accepted the frame (*reviewed* or *imported*) before an
    edit made it *clicked* (``accepted``: it stays the user's), and the objects the user
    marked not on the frame (``absent``: propagation writes none of them there); the objects
    no longer carried whose first clicks there propagation derived (``derived``: a zoom
    refinement or a mask gone made the mask the user's, not those clicks)."""

    carried: frozenset[int] = frozenset()
    painted: frozenset[int] = frozenset()
    accepted: bool = False
    absent: frozenset[int] = frozenset()
    derived: frozenset[int] = frozenset()

    def clicks_derived(self, obj_id: int) -> bool:
        """Whether the object's first clicks on the frame, all made at one time, are the ones
        propagation derived (``checks.made_by_user``)."""
        return obj_id in self.carried or obj_id in self.derived


@dataclass(frozen=True)
class FrameChange:
    """How one frame changed: the labels in ``box`` and the clicks/status of some objects.

    The labels are the box's patches before and after, or (``where`` given) the labels before
    and after of the changed pixels alone, ``where`` their row-major places in the box.
    """

    frame: int
    box: tuple[int, int, int, int]  # y0, y1, x0, x1
    labels_before: np.ndarray
    labels_after: np.ndarray
    clicks_before: dict[int, TimedClicks]
    clicks_after: dict[int, TimedClicks]
    status_before: FrameStatus
    status_after: FrameStatus
    where: np.ndarray | None = None
    #: why the frame needs review, object by object, before and after (None: unchanged)
    review_before: Mapping[int, str] | None = None
    review_after: Mapping[int, str] | None = None
    #: the frame's marks before and after (None: unchanged)
    marks_before: Marks | None = None
    marks_after: Marks | None = None

    @property
    def nbytes(self) -> int:
        places = 0 if self.where is None else self.where.nbytes
        return int(self.labels_before.nbytes + self.labels_after.nbytes + places)

    def held(self, obj_id: int) -> bool:
        """Whether the object had pixels or clicks on the frame before the change."""
        return bool(self.clicks_before.get(obj_id)) or bool(np.any(self.labels_before == obj_id))

    def paste(self, region: np.ndarray, *, after: bool) -> None:
        """Write the labels before (``after``: after) the change into ``region``, the frame's
        ``box`` (a view of it)."""
        labels = self.labels_after if after else self.labels_before
        if self.where is None:
            region[...] = labels
        else:
            rows, cols = np.divmod(self.where, region.shape[1])
            region[rows, cols] = labels


def changed_box(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int] | None:
    """Smallest (y0, y1, x0, x1) box holding every pixel that differs, or None if none does."""
    return _box_of(before != after)


def _box_of(diff: np.ndarray) -> tuple[int, int, int, int] | None:
    """Smallest (y0, y1, x0, x1) box holding every True pixel of ``diff``, or None."""
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def frame_change(
    frame: int,
    before: np.ndarray,
    after: np.ndarray,
    clicks_before: dict[int, TimedClicks],
    clicks_after: dict[int, TimedClicks],
    status_before: FrameStatus,
    status_after: FrameStatus,
    origin: tuple[int, int] = (0, 0),
) -> FrameChange:
    """Record labels ``before`` -> ``after`` (a patch at ``origin``), keeping the changed box
    (only its changed pixels when they are few: ``SPARSE_SHARE``)."""
    diff = before != after
    y0, y1, x0, x1 = _box_of(diff) or (0, 0, 0, 0)
    oy, ox = origin
    before, after, changed = before[y0:y1, x0:x1], after[y0:y1, x0:x1], diff[y0:y1, x0:x1]
    where = None
    if np.count_nonzero(changed) < SPARSE_SHARE * changed.size:
        where = np.flatnonzero(changed).astype(np.int32 if changed.size < 2**31 else np.int64)
        before, after = before[changed], after[changed]
    else:
        before, after = before.copy(), after.copy()
    box = (y0 + oy, y1 + oy, x0 + ox, x1 + ox)
    return FrameChange(
        frame, box, before, after, clicks_before, clicks_after, status_before, status_after, where
    )


def merged_change(changes: Sequence[FrameChange], frame: np.ndarray) -> FrameChange:
    """One change of a frame for ``changes`` made one after another (oldest first, none of
    them changing clicks); ``frame`` is the frame's labels after them all."""
    boxes = [c.box for c in changes if c.box[0] < c.box[1] and c.box[2] < c.box[3]] or [
        (0, 0, 0, 0)
    ]
    y0, x0 = min(b[0] for b in boxes), min(b[2] for b in boxes)
    y1, x1 = max(b[1] for b in boxes), max(b[3] for b in boxes)
    after = frame[y0:y1, x0:x1]
    before = after.copy()
    for change in reversed(changes):  # the oldest last: it holds what was there at the start
        b = change.box
        change.paste(before[b[0] - y0 : b[1] - y0, b[2] - x0 : b[3] - x0], after=False)
    first, last = changes[0], changes[-1]
    change = frame_change(
        first.frame, before, after, {}, {}, first.status_before, last.status_after, (y0, x0)
    )
    reviews = [c for c in changes if c.review_after is not None]
    if reviews:
        change = replace(
            change, review_before=reviews[0].review_before, review_after=reviews[-1].review_after
        )
    marks = [c for c in changes if c.marks_after is not None]
    if marks:
        first_marks, last_marks = marks[0].marks_before, marks[-1].marks_after
        change = replace(change, marks_before=first_marks, marks_after=last_marks)
    return change
