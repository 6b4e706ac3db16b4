"""Deleting an object: its pixels and clicks leave every frame, in one undoable step.

A long video's delete reads every frame that may hold the object (from the store, for those
not in memory), so it runs frame by frame (``deleting``): the session's lock is held for one
frame at a time, a caller (the widget's worker) shows progress and may stop it between frames,
and a delete stopped before its end changes nothing. The object leaves the registry first, so
that no edit of it is taken while its frames are cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from ..types import FrameStatus
from .clicks import ClickTable
from .frame_changes import FrameChange, Marks, TimedClicks
from .history import History
from .label_edits import object_edit
from .labels import LabelVolume
from .state import ObjectRegistry
from .track import Courses


class SessionDeleting:
    """Deleting objects (a mixin: it uses the session's state)."""

    history: History
    labels: LabelVolume
    registry: ObjectRegistry
    courses: Courses
    _clicks: ClickTable
    _leaving: set[int]  # the session's (``SessionSaving``)
    _lock: Any
    _mark_objects_changed: Callable[[], None]  # the session's (``SessionSaving``)
    ids_on: Callable[[int], frozenset[int]]
    frames_with_labels: Callable[[], list[int]]
    _change: Callable[..., FrameChange]
    marks_on: Callable[[int], Marks]
    reasons_on: Callable[[int], dict[int, str]]
    status: Callable[[int], FrameStatus]
    _set_state_and_ids: Callable[..., None]
    saved_whole: Callable[[], AbstractContextManager[None]]  # the session's (``SessionSaving``)
    _absent_settled: Callable[[FrameChange], FrameChange]  # the session's (``SessionAbsent``)

    def delete_object(self, obj_id: int) -> None:
        """Remove the object, its pixels and clicks on every frame (one undoable edit; the
        frames are written by the next commit). ``KeyError`` for an unknown object."""
        for _ in self.deleting(obj_id):
            pass

    @property
    def unfinished_deletions(self) -> list[int]:
        """Objects whose deletion a crash left half written in the store (``Store.leaving``):
        the store keeps them marked so until they are deleted (``finish_deletions``)."""
        return sorted(i for i in self._leaving if i in self.registry)

    def finish_deletions(self) -> list[int]:
        """Delete the ``unfinished_deletions`` (each one undoable step; the next commit writes
        the frames that still held them); returns their IDs."""
        finished = self.unfinished_deletions
        for obj_id in finished:
            self.delete_object(obj_id)
        return finished

    def keep_objects(self, ids: Iterable[int]) -> list[int]:
        """Give up the unfinished deletions of ``ids`` (``unfinished_deletions``; others are
        ignored): each stays an object as any other, with what the crash left of it, and the
        next commit lists it so (a later opening no longer deletes it, nor the work done on it
        meanwhile). Returns the IDs whose deletion was given up."""
        with self._lock:
            kept = sorted(set(ids) & set(self.unfinished_deletions))
            if kept:
                self._leaving.difference_update(kept)
                self._mark_objects_changed()
            return kept

    def _holds(self, t: int, obj_id: int) -> bool:
        """Whether frame ``t`` holds anything of the object that its deletion takes: pixels,
        clicks, marks (its absent mark too), or a reason why the frame needs review (which
        the deletion settles)."""
        marks = self.marks_on(t)
        if obj_id in self.ids_on(t) | marks.carried | marks.painted | marks.absent:
            return True
        if self._clicks.on(t).get(obj_id):
            return True
        return self.status(t) == FrameStatus.NEEDS_REVIEW and obj_id in self.reasons_on(t)

    def deleting(self, obj_id: int) -> Iterator[int]:
        """``delete_object`` frame by frame: yields each frame of ``frames_with_labels`` once
        it was looked at (and cleared, where the object was). Closing the iterator before its
        end (``close``, or dropping it) puts back every frame it cleared and the object: the
        session is as before. Other threads wait for one frame at most.

        Args:
            obj_id: the object to delete (``KeyError`` if there is none: nothing changes).
        """
        with self.saved_whole(
            f"the deletion of object {obj_id}"
        ):  # the store keeps the object until the deletion ends
            with self._lock:
                info = self.registry.remove(obj_id)  # edits of it are refused from here on
                self._mark_objects_changed()
                frames = self.frames_with_labels()
            changes: list[FrameChange] = []
            ended = False
            try:
                for t in frames:
                    with self._lock:
                        if self._holds(t, obj_id):
                            edit = object_edit(self.labels.read(t), obj_id, None, False)
                            cleared: dict[int, TimedClicks] = {obj_id: []}
                            change = self._change(t, edit, cleared, clicked=False)
                            changes.append(self._absent_settled(change))
                            self._set_state_and_ids(changes[-1], after=True)
                    yield t
                courses = self.courses.forget(obj_id)  # reads every frame's saved: not locked
                with self._lock:
                    self._leaving.discard(obj_id)
                    self.history.push(changes, removed_object=info, courses=courses)
                ended = True
            finally:
                if not ended:
                    with self._lock:
                        for change in reversed(changes):
                            self._set_state_and_ids(change, after=False)
                        self.registry.restore(info)
                        self._mark_objects_changed()
