"""Undo/redo records: exact label patches, clicks and statuses before and after each edit."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..types import Click, FrameStatus, ObjectInfo

if TYPE_CHECKING:
    from .track import ForgottenCourses

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
    marked not on the frame (``absent``: propagation writes none of them there)."""

    carried: frozenset[int] = frozenset()
    painted: frozenset[int] = frozenset()
    accepted: bool = False
    absent: frozenset[int] = frozenset()


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


@dataclass(frozen=True)
class ClassListChange:
    """An edit of the class list: the class ``name`` added at place ``index``, removed from it
    (``removed``), or renamed ``new_name`` (its objects follow)."""

    name: str
    index: int
    new_name: str | None = None
    removed: bool = False


@dataclass(frozen=True)
class Edit:
    """One undoable step: frame changes, plus an object removed by it, objects added by it,
    objects it renamed or gave another class (each as before and after) and the class list it
    changed."""

    changes: tuple[FrameChange, ...]
    removed_object: ObjectInfo | None = None
    nbytes: int = field(default=0, compare=False)
    group: int | None = None  # consecutive edits of one group are undone and redone together
    added_objects: tuple[ObjectInfo, ...] = ()
    #: the objects were added for the next edit (a first click, a new label painted): if it
    #: edits one of them, the two are undone together
    joins_next: bool = False
    renamed: tuple[tuple[ObjectInfo, ObjectInfo], ...] = ()
    classes: ClassListChange | None = None
    #: the courses propagation had moved ``removed_object`` along: an undo puts them back
    courses: ForgottenCourses | None = field(default=None, compare=False)
    #: when the user made it, in the order of their actions (``History.tick``); a redo makes
    #: it again
    stamp: int = field(default=0, compare=False)

    @property
    def changes_objects(self) -> bool:
        """Whether undoing or redoing it changes objects or the class list."""
        changed = self.added_objects or self.renamed or self.classes
        return self.removed_object is not None or bool(changed)


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


class History:
    """Undo and redo stacks bounded by a number of edits and by the bytes of their patches."""

    def __init__(self, max_edits: int = 10_000, max_mib: float = 256) -> None:
        self.max_edits = max_edits
        self.max_bytes = int(max_mib * (1 << 20))
        self._undo: deque[Edit] = deque()
        self._redo: list[Edit] = []
        self._nbytes = 0
        self._groups = 0
        self._ticks = itertools.count(1)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def tick(self) -> int:
        """A stamp for an action made now (thread-safe): a later action gets a larger one.
        An edit asked for now and recorded later (clicks waiting for a frame's features) is
        pushed with it, so that it keeps its place among the user's actions (``push``)."""
        return next(self._ticks)

    @property
    def newest_stamp(self) -> int:
        """The stamp of the edit the next undo takes back first (0: none)."""
        return self._undo[-1].stamp if self._undo else 0

    def push(
        self,
        changes: list[FrameChange],
        removed_object: ObjectInfo | None = None,
        group: int | None = None,
        added_objects: tuple[ObjectInfo, ...] = (),
        joins_next: bool = False,
        renamed: tuple[tuple[ObjectInfo, ObjectInfo], ...] = (),
        classes: ClassListChange | None = None,
        courses: ForgottenCourses | None = None,
        stamp: int | None = None,
    ) -> None:
        """Record a new edit; this clears the redo stack.

        Args:
            changes: the frame changes (none for an object added alone).
            removed_object: the object the edit deleted.
            group: undo group (``new_group``): edits of one group undo together.
            added_objects: the objects the edit added.
            joins_next: ``added_objects`` were added for the next edit: it joins their group
                if it edits one of them (else each is undone alone).
            renamed: objects before and after the edit renamed them or changed their class.
            classes: the edit of the class list (a class added, removed or renamed).
            courses: the courses propagation had moved ``removed_object`` along.
            stamp: when the user asked for the edit (``tick``); None: now. An edit asked
                for before the newest ones (clicks decoded late) goes below them, each group
                whole, down to one that changed a frame it changes (whose patch it was made
                on) or changed objects as it does: undo takes the user's actions back newest
                first.
        """
        edit = Edit(
            tuple(changes),
            removed_object,
            sum(c.nbytes for c in changes),
            group,
            tuple(added_objects),
            joins_next,
            tuple(renamed),
            classes,
            courses,
            self.tick() if stamp is None else stamp,
        )
        self._redo.clear()
        at = self._place(edit)
        self._push_undo(self._joined(edit) if at == len(self._undo) else edit, at)

    def _place(self, edit: Edit) -> int:
        """Where ``edit`` goes in the undo stack: below the steps on top made after it that
        undo apart from it (``_apart``), each group whole."""
        at = len(self._undo)
        while at and self._undo[at - 1].stamp > edit.stamp:
            below = at - 1
            while below and _same_group(self._undo[below - 1], self._undo[at - 1]):
                below -= 1
            step = [self._undo[i] for i in range(below, at)]
            if not all(e.stamp > edit.stamp and _apart(e, edit) for e in step):
                break
            at = below
        return at

    def _joined(self, edit: Edit) -> Edit:
        """``edit``, in one group with the objects added for it on top of the undo stack
        (``joins_next``) if it edits one of them; the top no longer waits for a next edit."""
        top = self._undo[-1] if self._undo else None
        if top is None or not top.joins_next:
            return edit
        ids = [info.id for info in top.added_objects]
        if not any(_edits_object(change, ids) for change in edit.changes):
            self._undo[-1] = replace(top, joins_next=False)
            return edit
        group = self.new_group() if edit.group is None else edit.group
        self._undo[-1] = replace(top, joins_next=False, group=group)
        return replace(edit, group=group)

    def fold_group(self, group: int, read: Callable[[int], np.ndarray]) -> int:
        """Fold the edits of ``group`` on top of the undo stack (a painted stroke's dabs: label
        patches alone) into one edit of one patch per frame, so that undoing them rewrites each
        frame once; ``read(t)`` gives frame ``t``'s labels as they are now. Returns how many
        edits were folded (0: fewer than two, or one changes clicks). The run ends below at an
        edit that changes objects (a new label's object): it stays one of its own."""
        run: list[Edit] = []
        for edit in reversed(self._undo):
            if edit.group != group or edit.changes_objects:
                break
            run.append(edit)
        run.reverse()  # oldest first
        changes = [change for edit in run for change in edit.changes]
        if len(run) < 2 or any(c.clicks_before or c.clicks_after for c in changes):
            return 0
        by_frame: dict[int, list[FrameChange]] = {}
        for change in changes:
            by_frame.setdefault(change.frame, []).append(change)
        merged = tuple(merged_change(chain, read(t)) for t, chain in by_frame.items())
        for _ in run:
            self._nbytes -= self._undo.pop().nbytes
        nbytes, stamp = sum(c.nbytes for c in merged), max(edit.stamp for edit in run)
        self._push_undo(Edit(merged, nbytes=nbytes, group=group, stamp=stamp))
        return len(run)

    def new_group(self) -> int:
        """A fresh group number for edits that undo together (e.g. one propagation run)."""
        self._groups += 1
        return self._groups

    def next_edits(self, redo: bool = False) -> list[Edit]:
        """The edits that the next undo (``redo``: redo) takes, as ``pop_undo`` (``pop_redo``)
        would return them (read-only)."""
        stack = self._redo if redo else self._undo
        edits: list[Edit] = []
        for edit in reversed(stack):
            if edits and not _same_group(edits[0], edit):
                break
            edits.append(edit)
        return edits

    def next_frames(self, redo: bool = False) -> list[int]:
        """The frames that the next undo (``redo``: redo) changes, sorted (read-only)."""
        return sorted({c.frame for edit in self.next_edits(redo) for c in edit.changes})

    def pop_undo(self) -> list[Edit]:
        """The edits to undo, most recent first (a whole group), moved to the redo stack."""
        edits: list[Edit] = []
        while self._undo and (not edits or _same_group(edits[0], self._undo[-1])):
            edit = self._undo.pop()
            self._nbytes -= edit.nbytes
            self._redo.append(edit)
            edits.append(edit)
        return edits

    def pop_redo(self) -> list[Edit]:
        """The edits to redo, oldest first (a whole group), moved back to the undo stack, each
        stamped now (``tick``: the redo is the user's newest action)."""
        edits: list[Edit] = []
        while self._redo and (not edits or _same_group(edits[0], self._redo[-1])):
            edit = replace(self._redo.pop(), stamp=self.tick())
            self._push_undo(edit)
            edits.append(edit)
        return edits

    def _push_undo(self, edit: Edit, at: int | None = None) -> None:
        """Put ``edit`` on top (or at place ``at``); past the bounds, the oldest steps go, each
        whole (a run cut was undone only in part, its first frames for good). The step on top
        stays whole, past the bounds if it must, until the next step."""
        self._undo.insert(len(self._undo) if at is None else at, edit)
        self._nbytes += edit.nbytes
        top = self._undo[-1]
        while len(self._undo) > 1 and (
            len(self._undo) > self.max_edits or self._nbytes > self.max_bytes
        ):
            oldest = self._undo[0]
            if oldest is top or _same_group(oldest, top):
                break
            while self._undo and (self._undo[0] is oldest or _same_group(oldest, self._undo[0])):
                self._nbytes -= self._undo.popleft().nbytes


def _edits_object(change: FrameChange, ids: Sequence[int]) -> bool:
    """Whether ``change`` gives one of the objects ``ids`` clicks or pixels."""
    return any(obj in change.clicks_after for obj in ids) or bool(
        np.isin(change.labels_after, ids).any()
    )


def _apart(first: Edit, other: Edit) -> bool:
    """Whether the two edits undo in either order alike: no frame in common, and not both
    changing objects or the class list."""
    frames = {c.frame for c in first.changes}
    shared = any(c.frame in frames for c in other.changes)
    return not shared and not (first.changes_objects and other.changes_objects)


def _same_group(first: Edit, other: Edit) -> bool:
    return first.group is not None and first.group == other.group


def first_frame(edits: list[Edit]) -> int | None:
    """The frame of the first change of the first edit that has one."""
    return next((e.changes[0].frame for e in edits if e.changes), None)
