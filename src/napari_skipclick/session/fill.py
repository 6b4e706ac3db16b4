"""The frames between two keyframes filled from both ends: each carried from the nearer one.

Propagation from one keyframe drifts a little with every frame it carries an object. An
annotator who set the object on two frames (clicked, accepted or imported) has said where it
is at both ends, so ``fill`` carries each object forward from the first keyframe over the first
half of the frames between them and backward from the second over the rest: no frame is
farther than half the gap from a mask the annotator set. An object with a mask on only one of
the two keyframes is carried from that one across the whole gap, and so is one that shows far
less on one keyframe than on the other (more than ``max_drift_ratio`` times less: it is leaving
the picture there, entering it or hidden), from the keyframe that shows it: a sliver at an edge
carried back does not grow into the whole object again. A keyframe where the annotator marked
the object absent (``session.absent``) knows it is not there: the object is carried from the
other end over that end's half of the gap only, as if it were on both, and the frames nearer
the absent keyframe are left as they are. Where one half of an object carried
from both ends loses it (it stops early: its mask vanished, or its track was in doubt on too
many frames in a row), the other end carries it on over the frames left, as long as its own
track holds. All of it is one undo step.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from ..checks import made_by_user
from ..types import FrameStatus
from . import propagation as prop

if TYPE_CHECKING:
    from .annotation import AnnotationSession

#: statuses of the frames an annotator set: the ends that ``fill`` carries from
KEYFRAME_STATUSES = (FrameStatus.CLICKED, FrameStatus.REVIEWED, FrameStatus.IMPORTED)


def keyframes(statuses: Mapping[int, FrameStatus]) -> list[int]:
    """The keyframes in order, given each frame's status (``AnnotationSession.statuses``)."""
    return sorted(frame for frame, status in statuses.items() if status in KEYFRAME_STATUSES)


def keyframes_around(
    statuses: Mapping[int, FrameStatus], t: int, direction: int = 1
) -> tuple[int | None, int | None]:
    """The two keyframes around frame ``t`` (None where there is none): with ``direction`` 1
    the last at or before it and the first after it, with -1 the last before it and the first
    at or after it (on a keyframe, the gap after it or the one before); ``statuses`` maps
    frames to their status (``AnnotationSession.statuses``)."""
    keys = keyframes(statuses)
    split = t if direction > 0 else t - 1
    before = [frame for frame in keys if frame <= split]
    after = [frame for frame in keys if frame > split]
    return (before[-1] if before else None), (after[0] if after else None)


def from_both(start_area: int, end_area: int, max_ratio: float) -> bool:
    """Whether an object with these areas on the two keyframes is carried from both: it is on
    both, and neither area is more than ``max_ratio`` times the other."""
    smaller, larger = sorted((start_area, end_area))
    return smaller > 0 and larger <= max_ratio * smaller


def shares(
    start_area: int,
    end_area: int,
    between: int,
    max_ratio: float,
    absent: tuple[bool, bool] = (False, False),
) -> tuple[int, int]:
    """How many of the ``between`` frames an object is carried forward from the first keyframe
    and backward from the second.

    Half each (the middle frame of an odd count forward) when it is carried from both
    (``from_both``); all from the larger one when it is not (or when it is on one only); none
    from neither. A keyframe the object is marked absent on (``absent``: the first's, the
    second's) takes its half from the other end: that end carries it over its own half only.

    Args:
        start_area: the object's area on the first keyframe.
        end_area: its area on the second.
        between: the frames between the two.
        max_ratio: ``from_both``'s limit.
        absent: whether it is marked absent on the first keyframe, on the second.
    """
    ahead = (between + 1) // 2
    if from_both(start_area, end_area, max_ratio):
        return ahead, between - ahead
    if not start_area and not end_area:
        return 0, 0
    if start_area >= end_area:
        return (ahead if absent[1] else between), 0
    return 0, (between - ahead if absent[0] else between)


def gaps(statuses: Mapping[int, FrameStatus]) -> list[tuple[int, int]]:
    """Every two consecutive keyframes with frames between them (``statuses`` maps frames to
    their status, ``AnnotationSession.statuses``)."""
    return [(start, end) for start, end in pairwise(keyframes(statuses)) if end - start >= 2]


def needs_filling(session: AnnotationSession, start: int, end: int, obj_id: int) -> bool:
    """Whether *Fill all* fills the object into the frames between keyframes ``start`` and
    ``end``: one of them is **empty** for it (no pixels, and you did not mark it absent there)
    while no run found it gone in the gap (``gone``), or **stale**: its mask there was carried
    (its clicks there all older) before your last edit of it on either keyframe (``_edited``;
    a keyframe you accepted as propagation left it has none). A gap filled since, its frames
    passing, in review or yours, is left as it is (*Fill between keyframes* fills one
    again)."""
    edited = max(_edited(session, start, obj_id), _edited(session, end, obj_id))
    between = range(start + 1, end)
    left = any(gone(session, t, obj_id) for t in between)
    for t in between:
        marks = session.marks_on(t)
        if obj_id in marks.absent:
            continue
        if obj_id not in session.ids_on(t):
            if left:
                continue  # it left the gap's frames: the run that found so stopped there
            return True
        times = [when for _, when in session.timed_clicks(t, obj_id)]
        if obj_id in marks.carried and times and max(times) < edited:
            return True
    return False


def gone(session: AnnotationSession, t: int, obj_id: int) -> bool:
    """Whether a run found the object gone on frame ``t`` (lost, or out of the picture): it
    noted the object carried there with no mask (``propagation``)."""
    return obj_id in session.marks_on(t).carried and obj_id not in session.ids_on(t)


def _edited(session: AnnotationSession, t: int, obj_id: int) -> float:
    """When you last clicked the object on frame ``t`` (``made_by_user``) or painted its
    pixels there (``painted_at``); 0.0: never."""
    times = [when for _, when in session.timed_clicks(t, obj_id)]
    by_user = made_by_user(times, session.marks_on(t).clicks_derived(obj_id))
    mine = [when for when, yours in zip(times, by_user, strict=True) if yours]
    return max([*mine, session.painted_at(t, obj_id)])


def gaps_to_fill(
    session: AnnotationSession, obj_ids: list[int]
) -> tuple[list[tuple[int, int, list[int]]], int]:
    """Each gap between two consecutive keyframes (``gaps``) with those of the objects
    ``obj_ids`` on one of its keyframes that it fills (``needs_filling``), and how many gaps
    holding some of them it leaves as they are. Call under ``session.locked()``."""
    planned, left = [], 0
    for start, end in gaps(session.keyframe_statuses()):
        on_keys = session.ids_on(start) | session.ids_on(end)
        held = [obj for obj in obj_ids if obj in on_keys]
        wanted = [obj for obj in held if needs_filling(session, start, end, obj)]
        if wanted:
            planned.append((start, end, wanted))
        elif held:
            left += 1
    return planned, left


@dataclass(frozen=True)
class _Gap:
    """The frames between keyframes ``start`` and ``end`` and how each object is carried into
    them: ``plan`` its frames each way (``shares``), ``both`` those carried from both ends."""

    start: int
    end: int
    plan: dict[int, tuple[int, int]]
    both: set[int]

    @property
    def steps(self) -> int:
        """The steps planned: every object's frames both ways."""
        return sum(sum(ways) for ways in self.plan.values())


def run(
    session: AnnotationSession,
    obj_ids: list[int],
    start: int,
    end: int,
    settings: prop.PropagationSettings,
) -> Iterator[prop.PropagationStep]:
    """Check the request, then return the generator that fills the frames between ``start``
    and ``end`` (see the module); its steps count the progress of both halves together."""
    start, end = session.labels.frame_index(start), session.labels.frame_index(end)
    if end - start < 2:
        raise ValueError(f"no frame lies between frames {start} and {end} (start < end - 1)")
    gap = _gap(session, _objects(session, obj_ids), start, end, settings)
    if gap is None:
        raise ValueError(f"none of the objects has a mask on frame {start} or frame {end}")
    return _fill_gaps(session, [gap], settings)


def run_all(
    session: AnnotationSession, obj_ids: list[int], settings: prop.PropagationSettings
) -> Iterator[prop.PropagationStep]:
    """Check the request, then return the generator that fills every gap between two
    consecutive keyframes with those of the objects that have a mask on either of its
    keyframes and are empty or stale between them (``gaps_to_fill``), one gap after the other,
    in one undo group."""
    objects = _objects(session, obj_ids)
    with session.locked():
        pairs, left = gaps_to_fill(session, objects)
    found = [_gap(session, wanted, start, end, settings) for start, end, wanted in pairs]
    planned = [gap for gap in found if gap is not None]
    if not planned and left:
        raise ValueError(
            f"every gap between keyframes is filled already ({left} left as they were); "
            "fill one again with Fill between keyframes"
        )
    if not planned:
        raise ValueError(
            "no two keyframes with frames between them hold a mask of the objects "
            "(a keyframe is a clicked, reviewed or imported frame)"
        )
    return _fill_gaps(session, planned, settings)


def _objects(session: AnnotationSession, obj_ids: list[int]) -> list[int]:
    """``obj_ids`` without repeats, each checked (an unknown ID raises)."""
    for obj_id in obj_ids:
        session.object(obj_id)
    return list(dict.fromkeys(obj_ids))


def _gap(
    session: AnnotationSession,
    objects: list[int],
    start: int,
    end: int,
    settings: prop.PropagationSettings,
) -> _Gap | None:
    """How the ``objects`` with a mask on keyframe ``start`` or ``end`` are carried into the
    frames between (None: no object has one)."""
    first, last = session.labels.read(start), session.labels.read(end)
    absent = session.marks_on(start).absent, session.marks_on(end).absent
    areas = {
        obj: (int(np.count_nonzero(first == obj)), int(np.count_nonzero(last == obj)))
        for obj in objects
    }
    areas = {obj: pair for obj, pair in areas.items() if any(pair)}
    if not areas:
        return None
    between, ratio = end - start - 1, settings.max_drift_ratio
    plan = {
        obj: shares(*pair, between, ratio, (obj in absent[0], obj in absent[1]))
        for obj, pair in areas.items()
    }
    both = {obj for obj, pair in areas.items() if from_both(*pair, ratio)}
    return _Gap(start, end, plan, both)


@dataclass
class _Count:
    """Steps yielded so far by a fill (its halves and gaps count on from each other)."""

    done: int = 0


def _fill_gaps(
    session: AnnotationSession, planned: list[_Gap], settings: prop.PropagationSettings
) -> Iterator[prop.PropagationStep]:
    """The gaps one after the other, in one undo group, their steps counted together."""
    with session.locked():
        group = session.history.new_group()
    count = _Count()
    for index, gap in enumerate(planned):
        later = sum(other.steps for other in planned[index + 1 :])
        yield from _fill(session, gap, settings, group, count, later)


def _fill(
    session: AnnotationSession,
    gap: _Gap,
    settings: prop.PropagationSettings,
    group: int,
    count: _Count,
    later: int,
) -> Iterator[prop.PropagationStep]:
    """Both halves of ``gap``, forward from its start then backward from its end, in undo
    group ``group``, counted on from ``count`` with ``later`` steps planned after the gap.
    Where one half lost an object of ``gap.both`` (``_half``) and the other did not, the other
    goes on over the lost frames from where its half ended, as long as its own track holds
    (it stops on its first frame in doubt)."""
    start, end, plan, both = gap.start, gap.end, gap.plan, gap.both
    ahead = {obj: ways[0] for obj, ways in plan.items()}
    back = {obj: ways[1] for obj, ways in plan.items()}
    planned_back = sum(back.values()) + later
    lost = yield from _half(session, start, 1, ahead, settings, group, count, planned_back)
    lost_back = yield from _half(session, end, -1, back, settings, group, count, later)
    middle = start + (end - start) // 2  # the forward half's last frame (objects of ``both``)
    taken = {obj: frame for obj, frame in lost.items() if obj in both and obj not in lost_back}
    given = {obj: frame for obj, frame in lost_back.items() if obj in both and obj not in lost}
    strict = replace(settings, max_review_run=1)
    downward = {obj: middle + 1 - frame for obj, frame in taken.items()}
    upward = {obj: frame - middle for obj, frame in given.items()}
    up_later = sum(upward.values()) + later
    yield from _half(session, middle + 1, -1, downward, strict, group, count, up_later)
    yield from _half(session, middle, 1, upward, strict, group, count, later)


def _half(
    session: AnnotationSession,
    frame: int,
    direction: int,
    reach: dict[int, int],
    settings: prop.PropagationSettings,
    group: int,
    count: _Count,
    later: int,
) -> Generator[prop.PropagationStep, None, dict[int, int]]:
    """One half: the objects of ``reach`` carried from ``frame`` in ``direction`` over as many
    frames as it gives each (``propagation.run``), its steps counted on from ``count`` with
    ``later`` steps still planned after it. Returns the frame where it lost each object that
    stopped early: the first of the frames that needed review from there to the stop (frames
    that need review without a stop are no loss: on a thin object the engine's mask is often
    refused for frames in a row while the motion carries it well)."""
    going = [obj for obj, frames in reach.items() if frames > 0]
    if not going:
        return {}
    failed: dict[int, int] = {}  # each object's first frame since the last one that passed
    lost: dict[int, int] = {}
    n_frames = max(reach[obj] for obj in going)
    steps = prop.run(session, going, frame, n_frames, direction, settings, group, reach)
    try:
        for step in steps:
            count.done += 1
            if step.ok and not step.stopped:
                failed.pop(step.obj_id, None)
            else:
                failed.setdefault(step.obj_id, step.frame)
            if step.stopped:
                lost[step.obj_id] = failed[step.obj_id]
            total = count.done + (step.total - step.done) + later
            yield replace(step, done=count.done, total=total)
    finally:
        steps.close()
    return lost
