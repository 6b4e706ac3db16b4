"""The frames between two keyframes filled from both ends: each carried from the nearer one.

Propagation from one keyframe drifts a little with every frame it carries an object. An
annotator who set the object on two frames (clicked, accepted or imported) has said where it
is at both ends, so ``fill`` carries each object forward from the first keyframe over the first
half of the frames between them and backward from the second over the rest: no frame is
farther than half the gap from a mask the annotator set. An object with a mask on only one of
the two keyframes is carried from that one across the whole gap, and so is one that shows far
less on one keyframe than on the other (more than ``max_drift_ratio`` times less: it is leaving
the picture there, entering it or hidden), from the keyframe that shows it: a sliver at an edge
carried back does not grow into the whole object again. Both halves are one undo step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..types import FrameStatus
from . import propagation as prop

if TYPE_CHECKING:
    from .annotation import AnnotationSession

#: statuses of the frames an annotator set: the ends that ``fill`` carries from
KEYFRAME_STATUSES = (FrameStatus.CLICKED, FrameStatus.REVIEWED, FrameStatus.IMPORTED)


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


def shares(start_area: int, end_area: int, between: int, max_ratio: float) -> tuple[int, int]:
    """How many of the ``between`` frames an object is carried forward from the first keyframe
    and backward from the second, given its area on each: half each (the middle frame of an
    odd count forward) when its areas are within ``max_ratio`` of each other, all from the
    larger one when they are not (or when it is on one only), none from neither."""
    if (
        start_area
        and end_area
        and max(start_area, end_area) <= max_ratio * min(start_area, end_area)
    ):
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
    return _fill(session, start, end, plan, settings)


def _fill(
    session: AnnotationSession,
    start: int,
    end: int,
    plan: dict[int, tuple[int, int]],
    settings: prop.PropagationSettings,
) -> Iterator[prop.PropagationStep]:
    """Both halves, forward from ``start`` then backward from ``end``, in one undo group;
    ``plan`` gives each object's frames each way (``shares``)."""
    with session.locked():
        group = session.history.new_group()
    halves = [(start, 1, {obj: ways[0] for obj, ways in plan.items()})]
    halves.append((end, -1, {obj: ways[1] for obj, ways in plan.items()}))
    done = 0
    for index, (frame, direction, reach) in enumerate(halves):
        going = [obj for obj, frames in reach.items() if frames > 0]
        if not going:
            continue
        later = sum(sum(r.values()) for _, _, r in halves[index + 1 :])
        n_frames = max(reach[obj] for obj in going)
        steps = prop.run(session, going, frame, n_frames, direction, settings, group, reach)
        try:
            for step in steps:
                done += 1
                yield replace(step, done=done, total=done + (step.total - step.done) + later)
        finally:
            steps.close()
