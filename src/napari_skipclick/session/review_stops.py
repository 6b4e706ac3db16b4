"""The frames worth a look, in frame order: what **Review ▶** steps through and counts.

Each frame that *needs review* keeps a reason per object in doubt there
(``SessionReview.review_reasons``). Most say what happened on that frame (a stop, a track in
doubt, a claim between objects): each such frame is a stop of its own. An object that stopped
in doubt leaves every later frame the run wrote for the others in review for it
(``ready.not_carried``): those reasons are one decision, not one per frame, so they make one
stop together — on the frame it stopped on where that frame is in review for it (its stop
reason is there), else on the frame of the run nearest to the stop. A frame in review for
such runs alone is no stop of its own; the frames' statuses and reasons stay as they are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..types import FrameStatus
from .ready import stopped_on

if TYPE_CHECKING:
    from .annotation import AnnotationSession

#: what Review says of a frame in review that keeps no reason
NO_REASON = "no reason kept (a store written before reasons were kept, or by another tool)"


@dataclass(frozen=True)
class NotCarried:
    """An object that stopped on frame ``stop`` (for ``reason``) and was not carried on
    ``frames`` after."""

    obj_id: int
    stop: int
    reason: str
    frames: tuple[int, ...]

    def span(self) -> str:
        """``frames 11–40``, or ``25 frames between 11 and 40`` where some are not listed."""
        first, last, n = self.frames[0], self.frames[-1], len(self.frames)
        if n == 1:
            return f"frame {first}"
        if n == last - first + 1:
            return f"frames {first}–{last}"
        return f"{n} frames between {first} and {last}"


@dataclass(frozen=True)
class ReviewStop:
    """A frame worth a look: its own reasons for review (object ID -> reason) and the runs of
    objects not carried after a stop that it stands for."""

    frame: int
    reasons: dict[int, str] = field(default_factory=dict)
    not_carried: tuple[NotCarried, ...] = ()


def review_stops(session: AnnotationSession) -> list[ReviewStop]:
    """The frames worth a look in frame order (see the module's docstring)."""
    own: dict[int, dict[int, str]] = {}
    runs: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    with session.locked():
        for t, status in sorted(session.statuses().items()):
            if status is not FrameStatus.NEEDS_REVIEW:
                continue
            reasons = session.review_reasons(t)
            for obj, reason in reasons.items():
                stop = stopped_on(reason)
                if stop is not None:
                    runs[(obj, *stop)].append(t)
            kept = {obj: why for obj, why in reasons.items() if stopped_on(why) is None}
            if kept or not reasons:
                own[t] = kept
    anchored: dict[int, list[NotCarried]] = defaultdict(list)
    for (obj, stop, why), frames in sorted(runs.items()):
        run = NotCarried(obj, stop, why, tuple(frames))
        at = stop if obj in own.get(stop, {}) else min(frames, key=lambda t: abs(t - stop))
        anchored[at].append(run)
    return [
        ReviewStop(t, own.get(t, {}), tuple(anchored.get(t, ())))
        for t in sorted(own.keys() | anchored.keys())
    ]


def stop_text(session: AnnotationSession, stop: ReviewStop) -> str:
    """Why ``stop``'s frame is worth a look, object by object, as one line."""
    parts = {obj: f"{session.object(obj).name}: {why}" for obj, why in stop.reasons.items()}
    more = []
    for run in stop.not_carried:
        if run.stop == stop.frame and run.obj_id in parts:
            parts[run.obj_id] += f"; not carried after it ({run.span()})"
        else:
            name = session.object(run.obj_id).name
            why = f"stopped on frame {run.stop} ({run.reason})"
            more.append(f"{name}: {why}; not carried on {run.span()}")
    return "; ".join([*parts.values(), *more]) or NO_REASON
