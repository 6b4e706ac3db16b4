"""Saying that an object is not on a frame: a skier behind a gate panel, a pole out of view.

Clearing an object's clicks or erasing its pixels leaves a frame that says nothing about it,
which propagation and fill then write the object onto again. ``mark_absent`` clears the object
there and marks it *absent* (``frame_changes.Marks.absent``, saved with the frame): the frame
is your work (``review``), propagation writes nothing of it there and goes on past a short run
of such frames, the frame after them needing review (``ready``), fill does not carry the object
past it where it bounds a gap (a keyframe: ``fill.shares``; a frame still in review for another
object is none, and a fill goes through it as propagation does), and an export writes it, even
with nothing else on it, as a negative example. The mark holds until an edit gives the object
pixels or clicks there again (you changed your mind), the object is deleted, or an undo takes
it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..checks import ids_in
from ..types import FrameStatus
from .clicks import ClickTable
from .frame_changes import FrameChange, Marks, TimedClicks, frame_change
from .label_edits import object_edit
from .labels import LabelVolume
from .review import ACCEPTED, accepted_after
from .state import ObjectRegistry


class SessionAbsent:
    """Objects marked not on a frame (a mixin: it uses the session's state)."""

    labels: LabelVolume
    registry: ObjectRegistry
    _clicks: ClickTable
    _lock: Any
    status: Callable[[int], FrameStatus]
    ids_on: Callable[[int], frozenset[int]]
    marks_on: Callable[[int], Marks]
    reasons_on: Callable[[int], dict[int, str]]
    record: Callable[..., None]
    _in_doubt: Callable[..., list[int]]

    def mark_absent(self, t: int, obj_id: int) -> bool:
        """Mark the object not on frame ``t``, as one undoable step: its pixels and clicks
        there are cleared, its reason for review and its doubt there end, and the frame is
        your work: *clicked* (*needs review* while another object there is still in doubt; a
        *reviewed* or *imported* frame keeps its status). Nothing changes when it is marked so
        already.

        Returns whether it changed the session (False: it was marked so already).

        Args:
            t: the frame (negative counts from the end).
            obj_id: the object's ID.

        Raises:
            ValueError: no object has the ID ``obj_id``, or ``t`` is no frame of the video.
        """
        try:
            t = self.labels.frame_index(t)
        except IndexError as e:
            raise ValueError(f"cannot mark object {obj_id} absent: {e}") from None
        with self._lock:
            if obj_id not in self.registry:
                raise ValueError(f"cannot mark object {obj_id} absent: no object has that ID")
            marks, timed = self.marks_on(t), self._clicks.on(t).get(obj_id, [])
            if obj_id in marks.absent and not timed and obj_id not in self.ids_on(t):
                return False
            (y0, _, x0, _), before, after = object_edit(self.labels.read(t), obj_id, None, False)
            cleared: dict[int, TimedClicks] = {obj_id: []}
            status = self.status(t)
            change = frame_change(
                t, before, after, {obj_id: list(timed)}, cleared, status, status, (y0, x0)
            )
            gone = {obj_id}
            marked = replace(
                marks,
                carried=marks.carried - gone,
                painted=marks.painted - gone,
                absent=marks.absent | gone,
                derived=marks.derived - gone,
            )
            if status not in ACCEPTED:
                doubt = status == FrameStatus.NEEDS_REVIEW and self._in_doubt(t, change, marked)
                status = FrameStatus.NEEDS_REVIEW if doubt else FrameStatus.CLICKED
            marked = replace(marked, accepted=accepted_after(marks, change.status_before, status))
            reasons = self.reasons_on(t)
            settled = {obj: why for obj, why in reasons.items() if obj != obj_id}
            change = replace(
                change,
                status_after=status,
                marks_before=marks,
                marks_after=marked,
                review_before=reasons,
                review_after=settled,
            )
            self.record(change)
            return True

    def _refuse_empty(self, t: int, status: FrameStatus) -> None:
        """Raise ``ValueError`` when ``status`` (given to frame ``t``) is *empty* while an
        object is marked absent there: the mark is your work, which a status does not take
        back (an undo does, or an edit that gives the object pixels or clicks there)."""
        absent = sorted(obj for obj in self.marks_on(t).absent if obj in self.registry)
        if status != FrameStatus.EMPTY or not absent:
            return
        names = ", ".join(f"{obj} ({self.registry.get(obj).name})" for obj in absent)
        raise ValueError(
            f"cannot set frame {t} empty: you marked object(s) {names} not on it; undo the "
            "mark, or click the object there, to end it"
        )

    def _absent_settled(self, change: FrameChange) -> FrameChange:
        """``change`` (an edit about to be recorded) with the absent marks of its frame that
        it ends: of the objects it gives pixels or clicks there (you changed your mind) and of
        objects no longer listed (deleted). A frame it would leave *empty* while an object is
        still marked absent there is *clicked*: the mark is your work."""
        t = change.frame
        marks = self.marks_on(t) if change.marks_after is None else change.marks_after
        if not marks.absent:
            return change
        given = {obj for obj, timed in change.clicks_after.items() if timed}
        given |= ids_in(change.labels_after)
        kept = frozenset(obj for obj in marks.absent if obj in self.registry) - given
        status = change.status_after
        if kept and status == FrameStatus.EMPTY:
            status = FrameStatus.CLICKED
        if kept == marks.absent and status == change.status_after:
            return change
        before = self.marks_on(t) if change.marks_before is None else change.marks_before
        accepted = marks.accepted
        if status != change.status_after:
            accepted = accepted_after(before, change.status_before, status)
        after = replace(marks, absent=kept, accepted=accepted)
        return replace(change, status_after=status, marks_before=before, marks_after=after)
