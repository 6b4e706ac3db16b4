"""The frames worth a look, in frame order: what **Review ▶** steps through and counts.

Each frame that *needs review* keeps a reason per object in doubt there
(``SessionReview.review_reasons``). Most say what happened on that frame (a stop, a track in
doubt, a claim between objects): each such frame is a stop of its own. An object that stopped
in doubt leaves every later frame the run wrote for the others in review for it
(``ready.not_carried``): those reasons are one decision, not one per frame, so they make one
stop together — on the frame it stopped on where that frame is in review for it (its stop
reason is there), else on the frame of the run nearest to the stop. A frame in review for
such runs alone is no stop of its own. So are an object's reasons of one kind
(``reason_kind``) on consecutive frames: a ski marked for its length on frames 4–9 is one
stop, on frame 4 (*skis: length changed …; alike on frames 5–9*), whatever the other objects'
reasons there; the frame an object stopped on stays a stop of its own. The frames' statuses
and reasons stay as they are. The same grouping lists a store's frames in review
(``skipclick info``: ``group_stops``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..types import FrameStatus
from .ready import stopped_on

if TYPE_CHECKING:
    from .annotation import AnnotationSession

#: what Review says of a frame in review that keeps no reason
NO_REASON = "no reason kept (a store written before reasons were kept, or by another tool)"

#: the kinds of reasons for review, each with a pattern of its text (``quality.assess``,
#: ``stop_rules``), the first that matches naming it
KINDS = (
    ("empty", r"vanished"),
    ("coasting", r"seems to stop moving"),
    ("hidden", r"still seems stopped"),
    ("refused", r"the motion carried it"),
    ("area", r"^area "),
    ("length", r"^length "),
    ("confidence", r"^low confidence"),
    ("colour", r"colours match"),
    ("held", r"its line would grow"),
)


def reason_kind(reason: str) -> str | None:
    """The kind of a reason for review (``KINDS``); None for one of no listed kind."""
    return next((name for name, pattern in KINDS if re.search(pattern, reason)), None)


def span(frames: tuple[int, ...]) -> str:
    """``frames 11–40``, or ``25 frames between 11 and 40`` where some are not listed."""
    first, last, n = frames[0], frames[-1], len(frames)
    if n == 1:
        return f"frame {first}"
    if n == last - first + 1:
        return f"frames {first}–{last}"
    return f"{n} frames between {first} and {last}"


@dataclass(frozen=True)
class NotCarried:
    """An object that stopped on frame ``stop`` (for ``reason``) and was not carried on
    ``frames`` after."""

    obj_id: int
    stop: int
    reason: str
    frames: tuple[int, ...]

    def span(self) -> str:
        """The frames not carried on (``span``)."""
        return span(self.frames)


@dataclass(frozen=True)
class ReviewStop:
    """A frame worth a look: its own reasons for review (object ID -> reason), the frames
    right after it whose reasons of the same kind it stands for (object ID -> frames) and the
    runs of objects not carried after a stop that it stands for."""

    frame: int
    reasons: dict[int, str] = field(default_factory=dict)
    not_carried: tuple[NotCarried, ...] = ()
    alike: dict[int, tuple[int, ...]] = field(default_factory=dict)


def review_stops(session: AnnotationSession) -> list[ReviewStop]:
    """The frames worth a look in frame order (see the module's docstring)."""
    with session.locked():
        statuses = session.statuses()
        in_review = [t for t, s in statuses.items() if s is FrameStatus.NEEDS_REVIEW]
        return group_stops({t: session.review_reasons(t) for t in in_review})


def runs_on(session: AnnotationSession, t: int) -> tuple[NotCarried, ...]:
    """The objects' frames not carried after a stop that **Review ▶** shows on frame ``t``
    (``review_stops``); none where it does not stop there for such frames."""
    return next((stop.not_carried for stop in review_stops(session) if stop.frame == t), ())


def group_stops(needs_review: Mapping[int, Mapping[int, str]]) -> list[ReviewStop]:
    """The frames worth a look in frame order, from the frames in review (frame -> object ID
    -> reason; empty: no reason kept), as the module's docstring says."""
    own: dict[int, dict[int, str]] = {}
    runs: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for t, reasons in sorted(needs_review.items()):
        for obj, reason in reasons.items():
            stop = stopped_on(reason)
            if stop is not None:
                runs[(obj, *stop)].append(t)
    stops = {(obj, stop) for obj, stop, _ in runs}
    alike: dict[int, dict[int, list[int]]] = defaultdict(dict)
    last: dict[tuple[int, str], tuple[int, int]] = {}  # (object, kind) -> (first, last frame)
    for t, reasons in sorted(needs_review.items()):
        kept = {}
        for obj, why in reasons.items():
            if stopped_on(why) is not None:
                continue
            key = (obj, reason_kind(why) or why)
            first, previous = last.get(key, (t, t))
            if previous == t - 1 and (obj, t) not in stops:
                alike[first][obj].append(t)
                last[key] = first, t
                continue
            kept[obj], last[key] = why, (t, t)
            alike[t][obj] = []
        if kept or not reasons:
            own[t] = kept
    anchored: dict[int, list[NotCarried]] = defaultdict(list)
    for (obj, stop, why), frames in sorted(runs.items()):
        run = NotCarried(obj, stop, why, tuple(frames))
        at = stop if obj in own.get(stop, {}) else min(frames, key=lambda t: abs(t - stop))
        anchored[at].append(run)
    return [
        ReviewStop(
            t,
            own.get(t, {}),
            tuple(anchored.get(t, ())),
            {obj: tuple(frames) for obj, frames in alike[t].items() if frames},
        )
        for t in sorted(own.keys() | anchored.keys())
    ]


def stop_text(session: AnnotationSession, stop: ReviewStop) -> str:
    """Why ``stop``'s frame is worth a look, object by object, as one line."""
    return "; ".join(stop_parts(stop, lambda obj: session.object(obj).name)) or NO_REASON


def stop_parts(stop: ReviewStop, name: Callable[[int], str]) -> list[str]:
    """Why ``stop``'s frame is worth a look, one item per object in doubt (``name``: an
    object's name from its ID); empty where the frame keeps no reason."""
    parts = {obj: f"{name(obj)}: {why}" for obj, why in stop.reasons.items()}
    for obj, frames in stop.alike.items():
        parts[obj] += f"; alike on {span(frames)}"
    more = []
    for run in stop.not_carried:
        if run.stop == stop.frame and run.obj_id in parts:
            parts[run.obj_id] += f"; not carried after it ({run.span()})"
        else:
            why = f"stopped on frame {run.stop} ({run.reason})"
            more.append(f"{name(run.obj_id)}: {why}; not carried on {run.span()}")
    return [*parts.values(), *more]
