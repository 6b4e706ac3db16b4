"""Undo/redo records: edits (their frame changes: ``frame_changes``) on bounded undo and redo
stacks."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..types import ObjectInfo
from .frame_changes import FrameChange, merged_change

if TYPE_CHECKING:
    from .track import ForgottenCourses


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


def shown_frame(edits: list[Edit], near: int | None = None) -> int | None:
    """The frame an undo or redo of ``edits`` shows: ``near`` (the frame on screen) when they
    changed it, else the changed frame nearest to it (the earlier of two); without ``near``
    the frame of the first change of the first edit that has one. None: no frame changed."""
    first = next((e.changes[0].frame for e in edits if e.changes), None)
    if near is None or first is None:
        return first
    return min({c.frame for e in edits for c in e.changes}, key=lambda t: (abs(t - near), t))
