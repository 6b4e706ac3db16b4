"""Propagation: masks carried frame to frame with derived clicks and a quality check."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import ndimage

from ..engines.base import Engine, Features
from ..types import Click, FrameStatus
from .history import frame_change
from .labels import object_edit
from .results import StaleResultError

if TYPE_CHECKING:
    from .annotation import AnnotationSession


@dataclass(frozen=True)
class PropagationSettings:
    """How propagation derives clicks and when it stops an object.

    An object stops (its frame is marked "needs review") when its new area differs from the
    previous frame's by more than ``max_area_ratio`` either way, or from its area on the start
    frame of the run by more than ``max_drift_ratio`` (slow drift), or when its confidence (mean
    probability over the new mask) is below ``min_confidence``, or when the mask is empty.
    """

    max_area_ratio: float = 2.0
    max_drift_ratio: float = 3.0
    min_confidence: float = 0.6
    max_positive: int = 3
    max_negative: int = 4

    def __post_init__(self) -> None:
        if self.max_area_ratio < 1 or self.max_drift_ratio < 1:
            raise ValueError("max_area_ratio and max_drift_ratio must be >= 1")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError("min_confidence must lie in [0, 1]")
        if self.max_positive < 1 or self.max_negative < 0:
            raise ValueError("need at least one positive click and no negative count below 0")


@dataclass(frozen=True)
class PropagationStep:
    """One object carried to one frame; ``done``/``total`` give the progress of the whole run.

    ``status`` is frame ``frame``'s status after the step; ``ok`` is False when the quality
    check failed; ``stopped`` says the object goes no further, ``reason`` why.
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


def derive_clicks(mask: np.ndarray, settings: PropagationSettings) -> list[Click]:
    """Clicks that describe ``mask`` for the next frame.

    Positive: the most interior pixel (maximum of the Euclidean distance transform, EDT) of
    each sizeable component (>= 10 % of the largest), then further interior pixels (EDT at
    least half the component's maximum) chosen farthest from those already taken, while they
    lie at least ``max(10, 2 * max EDT)`` away. Negative: pixels on a ring at distance
    ``clip(diagonal / 4, 8, 60)`` outside the mask (diagonal of its bounding box), spread
    around it by farthest-point sampling.
    """
    mask = np.asarray(mask, bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    diagonal = math.hypot(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    radius = float(np.clip(diagonal / 4, 8, 60))
    # Work in the mask's box grown by the ring radius: the same result, at the object's cost.
    margin = math.ceil(radius) + 2
    y0, x0 = max(int(rows[0]) - margin, 0), max(int(cols[0]) - margin, 0)
    crop = mask[y0 : int(rows[-1]) + 1 + margin, x0 : int(cols[-1]) + 1 + margin]
    clicks = [
        Click(float(y + y0), float(x + x0), True) for y, x in _interior_points(crop, settings)
    ]
    if settings.max_negative:
        outside = ndimage.distance_transform_edt(~crop)
        ring = np.argwhere((outside >= radius) & (outside < radius + 1.5))
        if ring.size:
            negatives = _farthest_points(ring, [tuple(ring[0])], settings.max_negative, 1.0)
            clicks += [Click(float(y + y0), float(x + x0), False) for y, x in negatives]
    return clicks


def _interior_points(mask: np.ndarray, settings: PropagationSettings) -> list[tuple[int, int]]:
    """Positive click positions of ``mask`` (see ``derive_clicks``); the border is outside."""
    inside = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    components, count = ndimage.label(mask)
    sizes = ndimage.sum_labels(mask, components, range(1, count + 1))
    order = [int(i) + 1 for i in np.argsort(-sizes) if sizes[i] >= 0.1 * sizes.max()]
    chosen: list[tuple[int, int]] = []
    candidates = []
    for label in order[: settings.max_positive]:
        region = np.where(components == label, inside, 0.0)
        peak = np.unravel_index(int(np.argmax(region)), mask.shape)
        chosen.append((int(peak[0]), int(peak[1])))
        candidates.append(np.argwhere(region >= 0.5 * region.max()))
    spacing = max(10.0, 2.0 * float(inside.max()))
    return _farthest_points(np.concatenate(candidates), chosen, settings.max_positive, spacing)


def _farthest_points(
    points: np.ndarray, chosen: list[tuple[int, int]], count: int, min_distance: float
) -> list[tuple[int, int]]:
    """Extend ``chosen`` with points farthest from it until ``count`` or closer than the limit."""
    chosen = list(chosen[:count])
    points = points.astype(np.float64)
    nearest = np.full(len(points), np.inf)
    for y, x in chosen:
        nearest = np.minimum(nearest, np.hypot(points[:, 0] - y, points[:, 1] - x))
    while len(chosen) < count and len(points):
        best = int(np.argmax(nearest))
        if nearest[best] < min_distance:
            break
        y, x = (int(v) for v in points[best])
        chosen.append((y, x))
        nearest = np.minimum(nearest, np.hypot(points[:, 0] - y, points[:, 1] - x))
    return chosen


def assess(
    probabilities: np.ndarray, previous_area: int, start_area: int, settings: PropagationSettings
) -> tuple[np.ndarray, int, float, float, str | None]:
    """Mask, area, area ratio, confidence and the reason it fails the quality check (or None).

    ``previous_area`` is the object's area on the previous frame, ``start_area`` on the start
    frame of the run.
    """
    mask = probabilities > 0.5
    area = int(mask.sum())
    ratio = area / previous_area if previous_area else 0.0
    drift = area / start_area if start_area else 1.0
    confidence = float(probabilities[mask].mean()) if area else 0.0
    reason = None
    if area == 0:
        reason = "the object vanished (empty mask)"
    elif not 1 / settings.max_area_ratio <= ratio <= settings.max_area_ratio:
        reason = f"area changed by a factor {ratio:.2f} (limit {settings.max_area_ratio:g})"
    elif not 1 / settings.max_drift_ratio <= drift <= settings.max_drift_ratio:
        reason = (
            f"area drifted by a factor {drift:.2f} since the start frame "
            f"(limit {settings.max_drift_ratio:g})"
        )
    elif confidence < settings.min_confidence:
        reason = f"low confidence {confidence:.2f} (limit {settings.min_confidence:g})"
    return mask, area, ratio, confidence, reason


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
        start_areas = {obj: int(np.count_nonzero(start_frame == obj)) for obj in active}
    done = 0
    for index, t in enumerate(targets):
        if not active:
            return
        if session.generation != generation:
            raise StaleResultError("the engine changed during propagation")
        features = session.features(t, engine)
        queue = list(active)
        for position, obj_id in enumerate(queue):
            run = (engine, generation, group, start_areas[obj_id])
            fields = _carry(session, obj_id, t - direction, t, features, run, settings)
            done += 1
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


def _carry(
    session: AnnotationSession,
    obj_id: int,
    source: int,
    t: int,
    features: Features,
    run: tuple[Engine, int, int, int],
    settings: PropagationSettings,
) -> dict[str, Any]:
    """Carry one object from frame ``source`` to ``t``; returns the step's fields.

    ``run`` is the engine, the session generation, the undo group of the propagation run and
    the object's area on its start frame.
    """
    engine, generation, group, start_area = run
    stop = {"source_frame": source, "area": 0, "area_ratio": 0.0, "confidence": 0.0}
    with session.locked():
        if obj_id not in session.registry:
            reason = "the object was deleted"
        elif session.clicks(t, obj_id):
            reason = f"frame {t} has clicks for this object"
        elif session.status(t) == FrameStatus.REVIEWED:
            reason = f"frame {t} is reviewed"
        else:
            reason = None
            previous = session.labels.read(source) == obj_id
    if reason is None and not previous.any():
        reason = f"no mask on frame {source}"
    if reason is not None:
        return {**stop, "ok": True, "stopped": True, "reason": reason}
    clicks = derive_clicks(previous, settings)
    probabilities = np.asarray(
        engine.decode(features, clicks, previous.astype(np.float32)), np.float32
    )
    previous_area = int(previous.sum())
    mask, area, ratio, confidence, reason = assess(
        probabilities, previous_area, start_area, settings
    )
    with session.locked():
        session.check_current(generation, t)
        box, before, after = object_edit(session.labels.read(t), obj_id, mask, False)
        status = session.status(t)
        if reason is not None:
            new_status = FrameStatus.NEEDS_REVIEW
        elif status in (FrameStatus.EMPTY, FrameStatus.PROPAGATED):
            new_status = FrameStatus.PROPAGATED
        else:
            new_status = status
        change = frame_change(t, before, after, {}, {}, status, new_status, (box[0], box[2]))
        session.record(change, group)
    return {
        "source_frame": source,
        "area": area,
        "area_ratio": ratio,
        "confidence": confidence,
        "ok": reason is None,
        "stopped": reason is not None,
        "reason": reason,
    }
