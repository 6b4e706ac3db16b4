"""Why frames need review, object by object.

Propagation marks a frame *needs review* with a reason for each object in doubt there. One
frame status holds them all, so the rule of what settles a review lives here: correcting an
object with clicks settles that object's doubt alone; the frame stays in review while another
object is still in doubt, and becomes *clicked* (your work) once none is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..types import FrameStatus
from .clicks import ClickTable
from .history import FrameChange
from .labels import LabelVolume
from .state import ObjectRegistry


class SessionReview:
    """The reasons for review kept per frame and object (a mixin: it uses the session's state)."""

    labels: LabelVolume
    registry: ObjectRegistry
    _carried: dict[int, set[int]]
    _clicks: ClickTable
    _review_reasons: dict[int, dict[int, str]]
    _lock: Any
    status: Callable[[int], FrameStatus]
    statuses: Callable[[], dict[int, FrameStatus]]
    user_clicks: Callable[..., list]

    def mark_carried(self, t: int, obj_id: int, reason: str | None = None) -> None:
        """Note that propagation made the object's mask on frame ``t`` (a correction changes it
        only around the click: ``corrections``); ``reason``: why it needs review (None: none)."""
        with self._lock:
            t = self.labels.frame_index(t)
            self._carried.setdefault(t, set()).add(obj_id)
            if reason is None:
                self._review_reasons.get(t, {}).pop(obj_id, None)
            else:
                self._review_reasons.setdefault(t, {})[obj_id] = reason

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
        """The status of frame ``t`` once no object there is in doubt: *clicked* where you
        corrected some object with clicks, else *propagated*."""
        with self._lock:
            t = self.labels.frame_index(t)
            return FrameStatus.CLICKED if self._corrected(t) else FrameStatus.PROPAGATED

    def keyframe_statuses(self) -> dict[int, FrameStatus]:
        """``statuses`` as filling between keyframes reads them: a frame still in review for
        some object but corrected with your clicks for another is *clicked* there (a keyframe,
        as a correction makes any other frame)."""
        with self._lock:
            statuses = self.statuses()
            for t, status in statuses.items():
                if status == FrameStatus.NEEDS_REVIEW and self._corrected(t):
                    statuses[t] = FrameStatus.CLICKED
            return statuses

    def _corrected(self, t: int) -> bool:
        """Whether you corrected some object on frame ``t`` with clicks."""
        clicked = [obj for obj in self._clicks.on(t) if obj in self.registry]
        return any(self.user_clicks(t, obj) for obj in clicked)

    def _in_doubt(self, t: int, settled: Iterable[int] = ()) -> list[int]:
        """The objects frame ``t`` is in review for, less ``settled`` and those you corrected."""
        reasons, settled = self._review_reasons.get(t, {}), set(settled)
        return [
            obj
            for obj in sorted(reasons)
            if obj in self.registry and obj not in settled and not self.user_clicks(t, obj)
        ]

    def _still_in_review(self, change: FrameChange, corrected: Iterable[int]) -> FrameChange:
        """``change`` (a click edit of the ``corrected`` objects) with the frame left in review
        while other objects there are still in doubt."""
        if (
            change.status_before == FrameStatus.NEEDS_REVIEW
            and change.status_after == FrameStatus.CLICKED
            and self._in_doubt(change.frame, corrected)
        ):
            return replace(change, status_after=FrameStatus.NEEDS_REVIEW)
        return change
