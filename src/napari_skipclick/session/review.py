"""Why frames need review, object by object, and whose work a frame is.

Propagation marks a frame *needs review* with a reason for each object in doubt there. One
frame status holds them all, so the rule of what settles a review lives here: correcting an
object with clicks settles that object's doubt alone; the frame stays in review while another
object is still in doubt, and becomes *clicked* (your work) once none is.

An object is in doubt on a frame while it has a reason there, its mask there is still the one
propagation made (or lost: its carried mark) and you have not corrected it with clicks:
clearing it there or deleting it ends its marks and its doubt.

A frame is your work while it holds some: an object there with clicks you made, with pixels
you painted or erased, with a mask propagation did not make, or that you marked not on the
frame (``absent``: ``session.absent``); and a frame you accepted
(*reviewed*) or imported is yours whatever edits follow (the ``accepted`` mark, set when an
edit makes it *clicked*) until it is left empty, an undo takes it back past the acceptance or
you give it another status. Each frame notes the objects whose mask propagation made there and
those you painted (``frame_changes.Marks``: undone with the edits and saved with the frame). A click
edit or a deletion that takes the last of your work off a frame gives it back to propagation:
*needs review* while an object there is still in doubt, else *propagated*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..checks import made_by_user
from ..types import FrameStatus
from .clicks import ClickTable
from .frame_changes import FrameChange, Marks, TimedClicks, frame_change
from .labels import LabelVolume
from .state import ObjectRegistry

#: the statuses a click edit or a deletion takes from one to another by the rules here
_YOURS_OR_PROPAGATIONS = (FrameStatus.CLICKED, FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)
#: the statuses by which you accept a frame as it is: it stays yours whatever edits follow
ACCEPTED = (FrameStatus.REVIEWED, FrameStatus.IMPORTED)


class SessionReview:
    """The reasons for review kept per frame and object, and the marks of whose masks a frame
    holds (a mixin: it uses the session's state)."""

    labels: LabelVolume
    registry: ObjectRegistry
    _carried: dict[int, set[int]]
    _painted: dict[int, set[int]]
    _accepted: set[int]  # the frames you accepted before an edit made them *clicked*
    _absent: dict[int, set[int]]  # frame -> objects you marked not on it
    _derived: dict[int, set[int]]  # frame -> ``Marks.derived``
    _clicks: ClickTable
    _review_reasons: dict[int, dict[int, str]]
    _lock: Any
    status: Callable[[int], FrameStatus]
    statuses: Callable[[], dict[int, FrameStatus]]
    ids_on: Callable[[int], frozenset[int]]
    record: Callable[..., None]

    def marks_on(self, t: int) -> Marks:
        """Frame ``t``'s marks: the objects whose mask there propagation made, those whose
        pixels there you painted or erased, whether you accepted it before an edit, and the
        objects you marked not on it."""
        with self._lock:
            t = self.labels.frame_index(t)
            carried, painted = self._carried.get(t, ()), self._painted.get(t, ())
            absent = frozenset(self._absent.get(t, ()))
            derived = frozenset(self._derived.get(t, ()))
            accepted = t in self._accepted
            return Marks(frozenset(carried), frozenset(painted), accepted, absent, derived)

    def carried_change(self, change: FrameChange, obj_id: int, reason: str | None) -> FrameChange:
        """``change`` (propagation writing the object's mask on its frame) with the object
        marked carried there (a correction changes its mask only around the click:
        ``corrections``) and ``reason`` why the frame needs review for it (None: none) kept
        with the frame; a frame you accepted stays noted so (``accepted_after``: its other
        objects stay yours); undo takes them back. Call under ``locked``."""
        marks, reasons = self.marks_on(change.frame), self.reasons_on(change.frame)
        after = {obj: why for obj, why in reasons.items() if obj != obj_id}
        if reason is not None:
            after[obj_id] = reason
        accepted = accepted_after(marks, change.status_before, change.status_after)
        carried = replace(marks, carried=marks.carried | {obj_id}, accepted=accepted)
        change = replace(change, review_before=reasons, review_after=after)
        return replace(change, marks_before=marks, marks_after=carried)

    def mark_carried(
        self, t: int, obj_id: int, reason: str | None = None, group: int | None = None
    ) -> None:
        """Note, as an undoable edit (of undo group ``group``; None: one of its own), that
        propagation made the object's mask on frame ``t``, or lost it there
        (``carried_change``); ``reason``: why the frame needs review for it (None: none; the
        frame's status stays), which makes it *needs review*."""
        with self._lock:
            t = self.labels.frame_index(t)
            none = np.zeros((0, 0), self.labels.dtype)
            status = self.status(t)
            after = status if reason is None else FrameStatus.NEEDS_REVIEW
            change = frame_change(t, none, none, {}, {}, status, after)
            self.record(self.carried_change(change, obj_id, reason), group)

    def accepted(self, t: int) -> bool:
        """Whether frame ``t`` holds what you accepted as it was: it is *reviewed* or
        *imported*, or *needs review* since for an object propagation carried onto it after
        (``Marks.accepted``). A frame you clicked since is yours as any *clicked* frame."""
        with self._lock:
            status = self.status(t)
            after = status == FrameStatus.NEEDS_REVIEW and self.marks_on(t).accepted
            return status in ACCEPTED or after

    def reasons_on(self, t: int) -> dict[int, str]:
        """Every reason for review kept with frame ``t`` (of objects corrected since too): what
        a change records to put back on undo."""
        with self._lock:
            return dict(self._review_reasons.get(self.labels.frame_index(t), {}))

    def review_reasons(self, t: int) -> dict[int, str]:
        """Why propagation marked frame ``t`` *needs review*: object ID -> reason, {} when the
        frame does not need review (the store keeps them with the frame). An object you
        corrected there with clicks is no longer listed."""
        with self._lock:
            t = self.labels.frame_index(t)
            if self.status(t) != FrameStatus.NEEDS_REVIEW:
                return {}
            return {obj: self._review_reasons[t][obj] for obj in self._in_doubt(t)}

    def settled_status(self, t: int) -> FrameStatus:
        """The status of frame ``t`` once no object there is in doubt: *clicked* where it holds
        your work, else *propagated*."""
        with self._lock:
            t = self.labels.frame_index(t)
            return FrameStatus.CLICKED if self._yours(t) else FrameStatus.PROPAGATED

    def keyframe_statuses(self) -> dict[int, FrameStatus]:
        """``statuses`` as filling between keyframes reads them: a frame still in review for
        some object but holding your work (a correction of another object) is *clicked* there
        (a keyframe, as a correction makes any other frame)."""
        with self._lock:
            statuses = self.statuses()
            for t, status in statuses.items():
                if status == FrameStatus.NEEDS_REVIEW and self._yours(t):
                    statuses[t] = FrameStatus.CLICKED
            return statuses

    def _carried_mask(self, t: int, obj_id: int) -> bool:
        """Whether the object's mask on frame ``t`` is one propagation made, still there: once
        it is gone (erased, taken by another object), clicks decode a new mask, yours."""
        return obj_id in self._carried.get(t, ()) and obj_id in self.ids_on(t)

    def _after_edit(self, change: FrameChange, zoomed: bool = False) -> FrameChange:
        """``change`` (a click edit, or a deletion: the object's clicks emptied) with the marks
        and the status of its frame after it.

        An object the edit leaves without clicks (its mask cleared, or deleted) loses its
        marks there; a carried one whose mask was gone, or that the edit refined in a zoom
        crop (``zoomed``: a mask you asked for), is no longer carried: its mask is yours, and
        the clicks propagation derived there stay known as its (``Marks.derived``).
        A frame you accepted stays so (``accepted_after``). The status follows the module's
        rules; others change as ``next_status`` says.
        """
        t, status, before = change.frame, change.status_after, change.status_before
        marks = self.marks_on(t)
        gone = {obj for obj, timed in change.clicks_after.items() if not timed}
        lost = {obj for obj in change.clicks_after if zoomed or not self._carried_mask(t, obj)}
        accepted = accepted_after(marks, before, status)
        carried, painted = marks.carried - gone - lost, marks.painted - gone
        derived = (marks.derived | (marks.carried & lost)) - gone  # its clicks stay derived
        after = replace(marks, carried=carried, painted=painted, accepted=accepted)
        after = replace(after, derived=derived)
        if after != marks:
            change = replace(change, marks_before=marks, marks_after=after)
        settled = status in (FrameStatus.EMPTY, FrameStatus.PROPAGATED)
        if settled or before not in _YOURS_OR_PROPAGATIONS:
            return change
        reasons = self._review_reasons.get(t, {})
        if status == FrameStatus.NEEDS_REVIEW and reasons.keys().isdisjoint(change.clicks_after):
            return change  # it settles no doubt: a deletion of an object not in doubt there
        doubt, yours = self._in_doubt(t, change, after), self._yours(t, change, after)
        if doubt and (before == FrameStatus.NEEDS_REVIEW or not yours):
            status = FrameStatus.NEEDS_REVIEW
        else:
            status = FrameStatus.CLICKED if yours else FrameStatus.PROPAGATED
        return replace(change, status_after=status)

    def _yours(self, t: int, change: FrameChange | None = None, marks: Marks | None = None) -> bool:
        """Whether frame ``t`` holds your work (as after ``change`` with ``marks``): you accepted
        it, you marked a listed object not on it, or a listed object there has clicks you
        made, pixels you painted or a mask propagation did not make."""
        clicks, marks, gone = self._after(t, change, marks)
        if marks.accepted or any(obj in self.registry for obj in marks.absent):
            return True
        objects = ({obj for obj in self.ids_on(t) if obj in self.registry} - gone) | set(clicks)
        return any(
            obj not in marks.carried or obj in marks.painted or _by_user(clicks.get(obj, []), True)
            for obj in objects
        )

    def _in_doubt(
        self, t: int, change: FrameChange | None = None, marks: Marks | None = None
    ) -> list[int]:
        """The objects frame ``t`` is in review for (as after ``change`` with ``marks``): those
        with a reason there whose mask propagation made (or lost) there, less those you
        corrected with clicks. Clearing an object there (its clicks and mask) or deleting it
        ends its carried mark: it is in doubt no longer."""
        clicks, marks, gone = self._after(t, change, marks)
        return [
            obj
            for obj in sorted(self._review_reasons.get(t, {}))
            if obj in self.registry
            and obj in marks.carried
            and obj not in gone
            and not _by_user(clicks.get(obj, []), True)
        ]

    def _status_given(self, change: FrameChange) -> FrameChange:
        """``change`` (you setting the frame's status) with the frame no longer noted accepted
        where the status given is not one of yours (*clicked*, *reviewed*, *imported*)."""
        marks = self.marks_on(change.frame)
        if not marks.accepted or change.status_after in (FrameStatus.CLICKED, *ACCEPTED):
            return change
        after = replace(marks, accepted=False)
        return replace(change, marks_before=marks, marks_after=after)

    def _after(
        self, t: int, change: FrameChange | None, marks: Marks | None
    ) -> tuple[dict[int, TimedClicks], Marks, set[int]]:
        """Frame ``t`` as after ``change`` (None: as it is): the listed objects' clicks, the
        marks (None: as they are) and the objects the edit left without clicks."""
        edited = {} if change is None else change.clicks_after
        clicks = {**self._clicks.on(t), **edited}
        listed = {obj: timed for obj, timed in clicks.items() if timed and obj in self.registry}
        marks = self.marks_on(t) if marks is None else marks
        return listed, marks, {obj for obj, timed in edited.items() if not timed}


def accepted_after(marks: Marks, before: FrameStatus, after: FrameStatus) -> bool:
    """Whether a frame with ``marks`` is noted accepted once an edit (clicks, a deletion, a
    stroke) took its status from ``before`` to ``after``: a frame you accepted (*reviewed*,
    *imported*) stays yours when the edit makes it *clicked*, until it is left empty."""
    if after == FrameStatus.EMPTY:
        return False
    return marks.accepted or (before in ACCEPTED and after not in ACCEPTED)


def _by_user(timed: TimedClicks, carried: bool) -> bool:
    """Whether an object's clicks ``timed`` on a frame (carried there: ``carried``) hold one
    the user made (``checks.made_by_user``)."""
    return any(made_by_user([when for _, when in timed], carried))


def edit_change(
    t: int,
    frame: np.ndarray,
    edit: tuple[tuple[int, int, int, int], np.ndarray, np.ndarray],
    current: dict[int, TimedClicks],
    clicks: dict[int, TimedClicks],
    status: FrameStatus,
    clicked: bool,
) -> FrameChange:
    """Frame ``t`` (labels ``frame``, clicks ``current``, ``status``) changed by ``edit`` (see
    ``label_edits.object_edit``) and by new ``clicks`` of some objects, with its next status."""
    box, before, after = edit
    clicks_before = {obj: list(current.get(obj, [])) for obj in clicks}
    others = any(timed for obj, timed in current.items() if obj not in clicks)
    has_clicks = others or any(clicks.values())
    pixels = np.count_nonzero(frame) - np.count_nonzero(before) + np.count_nonzero(after)
    new_status = next_status(status, has_clicks, pixels > 0, clicked)
    return frame_change(
        t, before, after, clicks_before, clicks, status, new_status, (box[0], box[2])
    )


def next_status(
    status: FrameStatus, has_clicks: bool, has_pixels: bool, clicked: bool
) -> FrameStatus:
    """A frame's status after an edit.

    A click edit (``clicked``) makes a frame with clicks CLICKED; a frame left with neither
    clicks nor pixels becomes EMPTY; otherwise the status stays (EMPTY becomes CLICKED).
    """
    if not has_clicks and not has_pixels:
        return FrameStatus.EMPTY
    if (clicked and has_clicks) or status == FrameStatus.EMPTY:
        return FrameStatus.CLICKED
    return status
