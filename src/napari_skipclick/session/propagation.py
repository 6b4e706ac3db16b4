"""Propagation: masks carried frame to frame through motion, with a quality check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engines.base import Engine, Features
from ..types import FrameStatus
from .appearance import ColourModel
from .carry import Carried, carry_object, derive_clicks, matcher_of
from .claims import resolve
from .history import frame_change
from .labels import object_edit
from .motion import MotionSettings
from .quality import ShapeHistory, assess
from .results import StaleResultError
from .thin_parts import ThinSettings
from .track import Track

if TYPE_CHECKING:
    from .annotation import AnnotationSession


@dataclass(frozen=True)
class PropagationSettings:
    """How propagation carries an object and when a frame needs review.

    The previous mask moves with the motion between the frames (``motion``); clicks derived
    from it (at most ``max_positive`` inside, where the mask is at least ``interior`` of its
    deepest, ``max_negative`` on a ring outside; see ``carry.derive_clicks``), the clicks the
    user made on the previous frame, moved too, where they lie at least ``click_depth`` pixels
    on their side of the moved mask (``carry.carried_clicks``; negative: never), and the moved
    mask as prior go to the engine. When the engine's mask has an IoU with the moved mask of at
    least ``min_agreement`` times what the object's size allows (boundaries ``jitter`` pixels
    apart), the new probabilities are ``engine_weight`` times the engine's plus the rest times
    the moved mask, mixed with ``colour_weight`` of the object's colour likelihood (its colours
    on the start frame against those around it now); the engine and the colours decide only
    within ``band`` times the square root of the area of the moved boundary (see
    ``carry.fuse``). Otherwise the moved mask stands in. A frame needs review when that
    happens, when the area differs from the previous frame's by more than ``max_area_ratio``
    either way, from the area ``trend_frames`` frames before by more than ``max_trend_ratio``
    (a leak that creeps, or a mask that an occluder wears away, a few per cent a frame), or
    from the start frame's by more than ``max_drift_ratio`` (all widened by a band of
    ``jitter`` pixels along the boundary, so small objects are judged by their size; a thin
    object's length by the same limits, ``quality.ShapeHistory``), or when the confidence
    (mean probability over the mask) is below ``min_confidence``. The object
    goes on through such frames (short occlusions) and stops when its mask is empty or after
    ``max_review_run`` frames in a row on which its track is in doubt: the motion carried it
    because the engine disagreed, it coasted or still seemed hidden, or the confidence was low.
    A frame that needs review for its area alone (the engine and the motion agree, the engine
    is confident) is no doubt about the track: the object goes on, the frame marked, and the
    run of doubtful frames starts again. An object that moved against the
    background and seems to stall with it (an occluder passing in front, see
    ``MotionSettings.stall``) coasts on with its earlier motion for at most ``max_coast``
    frames in a row, each of them marked for review; then its measured motion is believed,
    and frames still need review while the object seems as stopped as when the run began.
    Thin parts of the mask (a kite's lines, a stick, a pole) are followed onto each frame
    along their own line (``thin``, see ``thin_parts.ThinSettings``).
    """

    max_area_ratio: float = 1.5
    max_trend_ratio: float = 1.5
    trend_frames: int = 5
    max_drift_ratio: float = 3.0
    min_confidence: float = 0.6
    max_positive: int = 5
    interior: float = 0.25
    max_negative: int = 4
    click_depth: float = 3.0
    min_agreement: float = 0.5
    engine_weight: float = 0.5
    jitter: float = 1.5
    max_review_run: int = 10
    max_coast: int = 10
    colour_weight: float = 0.33
    band: float = 0.05
    motion: MotionSettings = field(default_factory=MotionSettings)
    thin: ThinSettings = field(default_factory=ThinSettings)

    def __post_init__(self) -> None:
        if min(self.max_area_ratio, self.max_trend_ratio, self.max_drift_ratio) < 1:
            raise ValueError("max_area_ratio, max_trend_ratio and max_drift_ratio must be >= 1")
        if self.trend_frames < 2:
            raise ValueError("trend_frames must be >= 2")
        if not all(0 <= v <= 1 for v in (self.min_confidence, self.min_agreement)):
            raise ValueError("min_confidence and min_agreement must lie in [0, 1]")
        if not all(0 <= v <= 1 for v in (self.engine_weight, self.colour_weight)):
            raise ValueError("engine_weight and colour_weight must lie in [0, 1]")
        if self.band < 0:
            raise ValueError("band must be >= 0")
        if self.max_positive < 1 or self.max_negative < 0:
            raise ValueError("need at least one positive click and no negative count below 0")
        if not 0 < self.interior <= 1:
            raise ValueError("interior must lie in (0, 1]")
        if self.jitter < 0 or self.max_review_run < 1 or self.max_coast < 0:
            raise ValueError("jitter must be >= 0, max_review_run >= 1 and max_coast >= 0")


@dataclass(frozen=True)
class PropagationStep:
    """One object carried to one frame; ``done``/``total`` give the progress of the whole run.

    ``status`` is frame ``frame``'s status after the step; ``ok`` is False when the quality
    check failed (``reason`` says why; the frame needs review); ``stopped`` says the object
    goes no further. ``area`` is the object's area on the frame after the step: what the
    overlap rule let it keep. ``agreement`` is the IoU of the engine's mask with the
    motion-carried one.
    """

    frame: int
    obj_id: int
    status: FrameStatus
    source_frame: int
    area: int
    area_ratio: float
    confidence: float
    ok: bool
    stopped: bool
    reason: str | None
    done: int
    total: int
    agreement: float = 1.0


def run(
    session: AnnotationSession,
    obj_ids: list[int],
    start: int,
    n_frames: int | None,
    direction: int,
    settings: PropagationSettings,
) -> Iterator[PropagationStep]:
    """Check the request, then return the generator that carries the objects frame by frame."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    if n_frames is not None and n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    for obj_id in obj_ids:
        session.object(obj_id)
    start = session.labels.frame_index(start)
    last = session.n_frames - 1 if direction > 0 else 0
    if n_frames is not None:
        last = min(last, start + n_frames) if direction > 0 else max(last, start - n_frames)
    targets = list(range(start + direction, last + direction, direction))
    return _steps(session, list(dict.fromkeys(obj_ids)), start, targets, direction, settings)


def _steps(
    session: AnnotationSession,
    active: list[int],
    start: int,
    targets: list[int],
    direction: int,
    settings: PropagationSettings,
) -> Iterator[PropagationStep]:
    """The propagation generator: every target frame in order, each still active object."""
    with session.locked():
        engine, generation = session.engine, session.generation
        group = session.history.new_group()
        start_frame = session.labels.read(start)
        shapes = {obj: ShapeHistory.starting(start_frame == obj) for obj in active}
    # what each object looks like on the start frame: a leak does not teach the next steps
    start_image = session.image(start)
    colours = {obj: ColourModel(start_image, start_frame == obj) for obj in active}
    run = (engine, generation, group, settings)
    done = 0
    review_run = dict.fromkeys(active, 0)
    tracks = {obj: Track() for obj in active}
    for index, t in enumerate(targets):
        if not active:
            return
        if session.generation != generation:
            raise StaleResultError("the engine changed during propagation")
        features = session.features(t, engine)
        queue = list(active)
        # every object is carried first; a pixel two of them claim goes to the stronger claim
        outcomes = {
            obj_id: _carry(
                session, obj_id, t - direction, t, features, colours[obj_id], tracks[obj_id], run
            )
            for obj_id in queue
        }
        claims = resolve(
            {k: v.carried.probabilities for k, v in outcomes.items() if v.carried is not None}
        )
        together = set(claims)
        for position, obj_id in enumerate(queue):
            carrying = outcomes[obj_id]
            if carrying.carried is None:
                fields = carrying.stopped()
            else:
                resolved = replace(carrying.carried, probabilities=claims[obj_id])
                carrying = replace(carrying, carried=resolved)
                fields = _write(session, obj_id, t, carrying, together, shapes[obj_id], run)
            shapes[obj_id].add(fields["area"], fields.pop("length", None), fields["ok"])
            done += 1
            doubtful = fields.pop("doubtful", False)
            review_run[obj_id] = review_run[obj_id] + 1 if doubtful else 0
            if review_run[obj_id] >= settings.max_review_run and not fields["stopped"]:
                fields["stopped"] = True
                count = review_run[obj_id]
                fields["reason"] += f"; its track was in doubt on {count} frames in a row"
            if fields["stopped"]:
                active.remove(obj_id)
            pending = len(queue) - position - 1 + (len(targets) - index - 1) * len(active)
            yield PropagationStep(
                frame=t,
                obj_id=obj_id,
                status=session.status(t),
                done=done,
                total=done + pending,
                **fields,
            )
        if session.store is not None and t in session.dirty_frames():
            session.commit(t)


@dataclass(frozen=True)
class _Carrying:
    """One object carried from frame ``source``: what carrying produced, its area on ``source``
    and whether it still seems hidden after coasting (``Track.update``); or, when the object
    goes no further, no result and why (``stop``)."""

    source: int
    carried: Carried | None = None
    previous_area: int = 0
    hidden: bool = False
    stop: str | None = None

    def stopped(self) -> dict[str, Any]:
        """The step's fields of an object that goes no further."""
        empty = {"area": 0, "area_ratio": 0.0, "confidence": 0.0, "ok": True, "stopped": True}
        return {"source_frame": self.source, **empty, "reason": self.stop}


def _carry(
    session: AnnotationSession,
    obj_id: int,
    source: int,
    t: int,
    features: Features,
    colours: ColourModel,
    track: Track,
    run: tuple[Engine, int, int, PropagationSettings],
) -> _Carrying:
    """Carry one object from frame ``source`` to ``t`` (nothing is written).

    ``colours`` is its colour model from the start frame, ``track`` its motion so far; ``run``
    is the engine, the session generation, the undo group of the propagation run and the
    settings.
    """
    engine, _, _, settings = run
    with session.locked():
        if obj_id not in session.registry:
            reason = "the object was deleted"
        elif session.status(t) in (FrameStatus.REVIEWED, FrameStatus.IMPORTED):
            reason = f"frame {t} is {session.status(t).value}"
        elif session.clicks(t, obj_id) and session.status(t) not in _CARRIED:
            reason = f"frame {t} has clicks for this object"
        else:
            reason = None
            previous = session.labels.read(source) == obj_id
            user_clicks = session.user_clicks(source, obj_id)
    if reason is None and not previous.any():
        reason = f"no mask on frame {source}"
    if reason is not None:
        return _Carrying(source, stop=reason)
    matcher = matcher_of(engine)
    matched = None
    if matcher is not None:
        matched = matcher.match_object(session.features(source, engine), features, previous)
    carried = carry_object(
        session.image(source),
        session.image(t),
        previous,
        features,
        engine,
        settings,
        matched,
        colours,
        track.momentum(settings.max_coast),
        user_clicks,
        session.courses.expected(source, obj_id, t - source),
    )
    hidden = track.update(carried, settings.motion)
    return _Carrying(source, carried, int(previous.sum()), hidden)


def _write(
    session: AnnotationSession,
    obj_id: int,
    t: int,
    carrying: _Carrying,
    together: set[int],
    shape: ShapeHistory,
    run: tuple[Engine, int, int, PropagationSettings],
) -> dict[str, Any]:
    """Check and write one carried object on frame ``t``; returns the step's fields,
    ``doubtful``: whether the frame counts towards ``max_review_run``, and ``length``: the
    object's length for its shape history (``quality.assess``).

    ``carrying`` is what ``_carry`` produced, its probabilities after ``claims.resolve``;
    ``together`` holds the ids of the objects carried onto ``t`` with it: their pixels on
    ``t`` (from an earlier run) may be taken, every other object's stay theirs (the overlap
    rule). ``shape`` is the object's shape on the frames of the run so far (the start frame
    first). The derived clicks become the object's clicks on ``t``, so a corrective click
    adds to them.
    """
    carried, source = carrying.carried, carrying.source
    _, generation, group, settings = run
    mask, area, ratio, confidence, reason, doubtful, length = assess(
        carried, carrying.previous_area, shape, settings, carrying.hidden
    )
    with session.locked():
        session.check_current(generation, t)
        box, before, after = object_edit(session.labels.read(t), obj_id, mask, False, together)
        area = int(np.count_nonzero(after == obj_id))  # what the overlap rule let it keep
        status = session.status(t)
        if reason is not None:
            new_status = FrameStatus.NEEDS_REVIEW
        elif status in (FrameStatus.EMPTY, FrameStatus.PROPAGATED):
            new_status = FrameStatus.PROPAGATED
        else:
            new_status = status
        clicks_before = {obj_id: session.timed_clicks(t, obj_id)}
        now = time.time()
        clicks_after = {obj_id: [(c, now) for c in carried.clicks]}
        change = frame_change(
            t, before, after, clicks_before, clicks_after, status, new_status, (box[0], box[2])
        )
        session.record(change, group)
        session.mark_carried(t, obj_id, reason)
        session.courses.remember(t, obj_id, t - source, carried.shift)
    return {
        "source_frame": source,
        "area": area,
        "area_ratio": ratio,
        "confidence": confidence,
        "ok": reason is None,
        "doubtful": doubtful,
        "stopped": area == 0,
        "reason": reason,
        "agreement": carried.agreement,
        "length": length,
    }


#: statuses of frames whose clicks propagation derived (re-propagating may replace them)
_CARRIED = (FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW)

__all__ = [
    "PropagationSettings",
    "PropagationStep",
    "derive_clicks",
    "run",
]
