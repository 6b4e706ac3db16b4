"""The frames between two keyframes filled from both ends: each carried from the nearer one.

Propagation from one keyframe drifts a little with every frame it carries an object. An
annotator who set the object on two frames (clicked, accepted or imported) has said where it
is at both ends, so ``fill`` carries each object forward from the first keyframe over the first
half of the frames between them and backward from the second over the rest: no frame is
farther than half the gap from a mask the annotator set. An object with a mask on only one of
the two keyframes is carried from that one across the whole gap, and so is one that shows far
less on one keyframe than on the other (more than ``max_drift_ratio`` times less: it is leaving
the picture there, entering it or hidden), from the keyframe that shows it: a sliver at an edge
carried back does not grow into the whole object again. Where one half of an object carried
from both ends loses it (it stops early, or two or more frames up to the end of the half need
review), the other end carries it on over those frames as long as its own track holds. All of
it is one undo step.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..types import FrameStatus
from . import propagation as prop

if TYPE_CHECKING:
    from .annotation import AnnotationSession

#: statuses of the frames an annotator set: the ends that ``fill`` carries from
KEYFRAME_STATUSES = (FrameStatus.CLICKED, FrameStatus.REVIEWED, FrameStatus.IMPORTED)
#: frames in a row that need review up to the end of a half for it to have lost the object
#: (one such frame is no sign: the motion alone often carries an object well for a frame)
LOST_RUN = 2


def keyframes_around(
    statuses: Mapping[int, FrameStatus], t: int, direction: int = 1
) -> tuple[int | None, int | None]:
    """The two keyframes around frame ``t`` (None where there is none): with ``direction`` 1
    the last at or before it and the first after it, with -1 the last before it and the first
    at or after it (on a keyframe, the gap after it or the one before); ``statuses`` maps
    frames to their status (``AnnotationSession.statuses``)."""
    keys = sorted(frame for frame, status in statuses.items() if status in KEYFRAME_STATUSES)
    split = t if direction > 0 else t - 1
    before = [frame for frame in keys if frame <= split]
    after = [frame for frame in keys if frame > split]
    return (before[-1] if before else None), (after[0] if after else None)


def from_both(start_area: int, end_area: int, max_ratio: float) -> bool:
    """Whether an object with these areas on the two keyframes is carried from both: it is on
    both, and neither area is more than ``max_ratio`` times the other."""
    smaller, larger = sorted((start_area, end_area))
    return smaller > 0 and larger <= max_ratio * smaller


def shares(start_area: int, end_area: int, between: int, max_ratio: float) -> tuple[int, int]:
    """How many of the ``between`` frames an object is carried forward from the first keyframe
    and backward from the second, given its area on each: half each (the middle frame of an
    odd count forward) when it is carried from both (``from_both``), all from the larger one
    when it is not (or when it is on one only), none from neither."""
    if from_both(start_area, end_area, max_ratio):
        ahead = (between + 1) // 2
        return ahead, between - ahead
    if not start_area and not end_area:
        return 0, 0
    return (between, 0) if start_area >= end_area else (0, between)


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
    for obj_id in obj_ids:
        session.object(obj_id)
    objects = list(dict.fromkeys(obj_ids))
    first, last = session.labels.read(start), session.labels.read(end)
    areas = {
        obj: (int(np.count_nonzero(first == obj)), int(np.count_nonzero(last == obj)))
        for obj in objects
    }
    if not any(any(pair) for pair in areas.values()):
        raise ValueError(f"none of the objects has a mask on frame {start} or frame {end}")
    between = end - start - 1
    ratio = settings.max_drift_ratio
    plan = {obj: shares(*areas[obj], between, ratio) for obj in objects}
    both = {obj for obj in objects if from_both(*areas[obj], ratio)}
    return _fill(session, start, end, plan, both, settings)


@dataclass
class _Count:
    """Steps yielded so far by a fill (its halves count on from each other)."""

    done: int = 0


def _fill(
    session: AnnotationSession,
    start: int,
    end: int,
    plan: dict[int, tuple[int, int]],
    both: set[int],
    settings: prop.PropagationSettings,
) -> Iterator[prop.PropagationStep]:
    """Both halves, forward from ``start`` then backward from ``end``, in one undo group;
    ``plan`` gives each object's frames each way (``shares``). Where one half lost an object
    of ``both`` (``_half``) and the
    other did not, the other goes on over the lost frames from where its half ended, as long
    as its own track holds (it stops on its first frame in doubt)."""
    with session.locked():
        group = session.history.new_group()
    count = _Count()
    ahead = {obj: ways[0] for obj, ways in plan.items()}
    back = {obj: ways[1] for obj, ways in plan.items()}
    lost = yield from _half(session, start, 1, ahead, settings, group, count, sum(back.values()))
    lost_back = yield from _half(session, end, -1, back, settings, group, count, 0)
    middle = start + (end - start) // 2  # the forward half's last frame (objects of ``both``)
    taken = {obj: frame for obj, frame in lost.items() if obj in both and obj not in lost_back}
    given = {obj: frame for obj, frame in lost_back.items() if obj in both and obj not in lost}
    strict = replace(settings, max_review_run=1)
    downward = {obj: middle + 1 - frame for obj, frame in taken.items()}
    upward = {obj: frame - middle for obj, frame in given.items()}
    later = sum(upward.values())
    yield from _half(session, middle + 1, -1, downward, strict, group, count, later)
    yield from _half(session, middle, 1, upward, strict, group, count, 0)


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
    it lost: the first of the frames that needed review from there to the end, when there
    are ``LOST_RUN`` of them or the object stopped."""
    going = [obj for obj, frames in reach.items() if frames > 0]
    if not going:
        return {}
    doubts: dict[int, list[int]] = {}  # each object's frames in a row that needed review
    stopped: set[int] = set()
    n_frames = max(reach[obj] for obj in going)
    steps = prop.run(session, going, frame, n_frames, direction, settings, group, reach)
    try:
        for step in steps:
            count.done += 1
            if step.ok and not step.stopped:
                doubts.pop(step.obj_id, None)
            else:
                doubts.setdefault(step.obj_id, []).append(step.frame)
            if step.stopped:
                stopped.add(step.obj_id)
            total = count.done + (step.total - step.done) + later
            yield replace(step, done=count.done, total=total)
    finally:
        steps.close()
    return {
        obj: frames[0]
        for obj, frames in doubts.items()
        if obj in stopped or len(frames) >= LOST_RUN
    }
