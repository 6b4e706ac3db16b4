"""Propagation: masks carried frame to frame through motion, with a quality check."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engines.base import Engine, Features
from ..types import FrameStatus
from .appearance import ColourModel
from .carry import MAPPED, carry_object
from .claims import held_by_others, resolve
from .derived_clicks import derive_clicks
from .frame_changes import frame_change
from .label_edits import object_edit
from .propagation_settings import PropagationSettings
from .quality import ShapeHistory, assess
from .ready import (
    ADDED_TO_ACCEPTED,
    LEFT_FRAME,
    Ready,
    decided,
    mark_not_carried,
    not_carried,
    prepare,
    reappears,
)
from .results import StaleResultError
from .steps import Carrying, PropagationStep, ended_absent
from .stop_rules import covered, shrunk, slid, stop_in_doubt, stop_slid
from .track import Track

if TYPE_CHECKING:
    from .annotation import AnnotationSession


def run(
    session: AnnotationSession,
    obj_ids: list[int],
    start: int,
    n_frames: int | None,
    direction: int,
    settings: PropagationSettings,
    group: int | None = None,
    reach: Mapping[int, int] | None = None,
) -> Iterator[PropagationStep]:
    """Check the request, then return the generator that carries the objects frame by frame.

    ``group`` is the undo group of the run's edits (None: a new one); ``reach`` limits how
    many frames an object goes (object ID -> frames; the others go ``n_frames``).
    """
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
    objects = list(dict.fromkeys(obj_ids))
    return _steps(session, objects, start, targets, settings, group, reach or {})


def _steps(
    session: AnnotationSession,
    active: list[int],
    start: int,
    targets: list[int],
    settings: PropagationSettings,
    group: int | None,
    reach: Mapping[int, int],
) -> Iterator[PropagationStep]:
    """The propagation generator: every target frame in order, each still active object."""
    with session.locked():
        engine, generation = session.engine, session.generation
        group = session.history.new_group() if group is None else group
        start_frame = session.labels.read(start)
        shapes = {obj: ShapeHistory.starting(start_frame == obj) for obj in active}
    # what each object looks like on the start frame: a leak does not teach the next steps
    # (without colours in the mix, nothing reads it)
    colours: dict[int, ColourModel | None] = dict.fromkeys(active)
    if settings.colour_weight > 0:
        start_image = session.image(start)
        colours = {obj: ColourModel(start_image, start_frame == obj) for obj in active}
    run = (engine, generation, group, settings)
    done = 0
    review_run = dict.fromkeys(active, 0)
    # a thin object's chain goes on from the run before while its mask is as that run left it
    tracks = {
        obj: Track(
            chain=session.courses.chain(start, obj, start_frame == obj) if shape.thin else None,
            chained=shape.thin,
        )
        for obj, shape in shapes.items()
    }
    frames = {obj: min(reach.get(obj, len(targets)), len(targets)) for obj in active}
    sources = dict.fromkeys(active, start)  # the last frame each has a mask on
    stops: dict[int, str] = {}  # stopped in doubt: why later frames need review for them
    for index, t in enumerate(targets):
        active = [obj for obj in active if frames[obj] > index]
        if not active:
            return
        if session.generation != generation:
            raise StaleResultError("the engine changed during propagation")
        queue = list(active)
        with session.locked():
            decisions = {obj: decided(session, obj, sources[obj], t, settings) for obj in queue}
        if None in decisions.values():  # an object steps onto ``t``
            outcomes = _carried(session, queue, t, sources, tracks, colours, shapes, run)
        else:  # every object passes over ``t`` or stops there: ``t`` is not even encoded
            outcomes = {obj: Carrying.unmoved(d) for obj, d in decisions.items() if d is not None}
        made = {k: v.carried for k, v in outcomes.items() if v.carried is not None}
        firm = {k for k, c in made.items() if c.refusal == MAPPED}  # ``claims.resolve``
        claims = resolve({k: c.probabilities for k, c in made.items()}, firm)
        together = set(claims)
        # every object of the frame is written before its steps are told: a run cancelled
        # (closed) at a step leaves no frame with only some of its objects
        steps: list[PropagationStep] = []
        for position, obj_id in enumerate(queue):
            carrying = outcomes[obj_id]
            if carrying.carried is None:
                fields = carrying.unwritten()
                if carrying.passed is not None and frames[obj_id] == index + 1:
                    fields.update(ended_absent=True, reason=ended_absent(carrying.source, t))
            else:
                resolved = replace(carrying.carried, probabilities=claims[obj_id])
                carrying = replace(carrying, carried=resolved)
                fields = _write(
                    session, obj_id, t, carrying, together, shapes[obj_id], review_run[obj_id], run
                )
                if tracks[obj_id].chained:
                    written = session.labels.read(t) == obj_id
                    session.courses.remember_chain(t, obj_id, tracks[obj_id].chain, written)
                sources[obj_id] = t
                size = resolved.zoom, resolved.scale
                shapes[obj_id].add(fields["area"], fields.pop("length"), fields["ok"], *size)
                review_run[obj_id] = fields.pop("in_doubt")
                shapes[obj_id].shrunk = fields.pop("shrunk")
                shapes[obj_id].slid = fields.pop("slid")
            done += 1
            if fields["stopped"]:
                active.remove(obj_id)
                doubt = carrying.carried is not None or carrying.doubt
                if (why := not_carried(t, fields["reason"], doubt)) is not None:
                    stops[obj_id] = why
            ahead = sum(frames[obj] - index - 1 for obj in active)
            pending = len(queue) - position - 1 + ahead
            steps.append(
                PropagationStep(
                    frame=t,
                    obj_id=obj_id,
                    status=session.status(t),
                    done=done,
                    total=done + pending,
                    **fields,
                )
            )
        written = {step.obj_id for step in steps if step.written}
        behind = {obj: why for obj, why in stops.items() if frames[obj] > index}
        if mark_not_carried(session, behind, sources, t, written, run):
            steps = [replace(step, status=session.status(t)) for step in steps]
        session.ids_on(t)  # found in the run's thread: the widget reads them when it ends
        yield from steps
        if session.store is not None and t in session.dirty_frames():
            session.commit(t)


def _carried(
    session: AnnotationSession,
    queue: list[int],
    t: int,
    sources: dict[int, int],
    tracks: dict[int, Track],
    colours: dict[int, ColourModel | None],
    shapes: dict[int, ShapeHistory],
    run: tuple[Engine, int, int, PropagationSettings],
) -> dict[int, Carrying]:
    """Each object of ``queue`` carried from its source frame onto ``t`` with ``t``'s
    features (encoded here on a cache miss), or why it is not (nothing is written).

    Every object is moved first, then carried knowing where the others moved; a pixel two of
    them claim goes to the stronger claim, an object of lines the map places first.
    """
    features = session.features(t, run[0])
    image = session.image(t)
    before = {source: session.image(source) for source in {sources[o] for o in queue}}
    images = {obj_id: (before[sources[obj_id]], image) for obj_id in queue}
    ready = {
        obj_id: prepare(
            session, obj_id, sources[obj_id], t, images[obj_id], features, tracks[obj_id], run
        )
        for obj_id in queue
    }
    moved = {k: v.moved.carried for k, v in ready.items() if v.moved is not None}
    return {
        obj_id: _carry(
            images[obj_id],
            features,
            colours[obj_id],
            tracks[obj_id],
            ready[obj_id],
            held_by_others(moved, obj_id),
            shapes[obj_id].expected,
            run,
        )
        for obj_id in queue
    }


def _carry(
    images: tuple[np.ndarray, np.ndarray],
    features: Features,
    colours: ColourModel | None,
    track: Track,
    ready: Ready,
    others: np.ndarray | None,
    expected: float,
    run: tuple[Engine, int, int, PropagationSettings],
) -> Carrying:
    """Carry one object ``ready`` to go from the first of ``images`` onto the second (nothing
    is written); ``colours`` is its colour model from the start frame (None without colours),
    ``others`` what the other objects carried with it hold there, ``expected`` the area it is
    expected to have (``ShapeHistory.expected``; both ``carry_object``)."""
    if ready.moved is None:
        return Carrying.unmoved(ready)
    engine, _, _, settings = run
    carried = carry_object(
        *images,
        ready.previous,
        ready.moved,
        features,
        engine,
        settings,
        colours,
        ready.user_clicks,
        others,
        expected,
    )
    hidden = track.update(carried, settings.motion)
    track.chain = None if carried.from_engine or not track.chained else ready.moved.chain
    return Carrying(ready.source, carried, ready.moved.visible, hidden)


def _write(
    session: AnnotationSession,
    obj_id: int,
    t: int,
    carrying: Carrying,
    together: set[int],
    shape: ShapeHistory,
    in_doubt: int,
    run: tuple[Engine, int, int, PropagationSettings],
) -> dict[str, Any]:
    """Check and write one carried object on frame ``t``; returns the step's fields,
    ``in_doubt``: the frames in a row its track is in doubt on up to ``t`` (``in_doubt`` up to
    the frame before; ``max_review_run`` of them stop it, the frame's reason saying so),
    ``shrunk``: those its mask was shrunk on (``stop_rules.shrunk``, ``ShapeHistory.shrunk`` up
    to the frame before; ``max_shrunk_run`` of them stop it), and ``length``: the object's
    length for its shape history (``quality.assess``).

    ``carrying`` is what ``_carry`` produced, its probabilities after ``claims.resolve``;
    ``together`` holds the ids of the objects carried onto ``t`` with it: their pixels on
    ``t`` (from an earlier run) may be taken, every other object's stay theirs (the overlap
    rule). ``shape`` is the object's shape on the frames of the run so far (the start frame
    first). The derived clicks become the object's clicks on ``t``, so a corrective click
    adds to them. Carried across frames it is marked absent on, the frame needs review and its
    track is in doubt (``ready.reappears``); left nothing by the overlap rule, it stops and
    the frame needs review for it (``stop_rules.covered``).
    """
    carried, source = carrying.carried, carrying.source
    _, generation, group, settings = run
    in_frame = carried.in_frame  # remembered: an accepted frame judges the run's frames alike
    if shape.crossing(in_frame):  # all of it but a sliver has left the picture
        nothing = np.zeros_like(carried.probabilities)
        carried = replace(carried, probabilities=nothing, in_frame=0.0)
    mask, area, ratio, confidence, reason, doubtful, length = assess(
        carried, carrying.previous_area, shape, settings, carrying.hidden
    )
    small = shrunk(area, carried, shape, settings, carrying.hidden)  # ``max_shrunk_run``
    shrinking = shape.shrunk + 1 if small is not None else 0
    grown_off = slid(area, carried, shape, settings, carrying.hidden)  # ``max_slid_run``
    sliding = shape.slid + 1 if grown_off else 0
    reappearing = None if carried.left_frame else reappears(t, source)
    if reappearing is not None:
        reason, doubtful = reappearing if reason is None else f"{reappearing}; {reason}", True
    in_doubt = in_doubt + 1 if doubtful else 0
    with session.locked():
        session.check_current(generation, t)
        box, before, after = object_edit(session.labels.read(t), obj_id, mask, False, together)
        area = int(np.count_nonzero(after == obj_id))  # what the overlap rule let it keep
        if area == 0 and mask.any():  # another object's mask holds all of it: it may be here
            reason = covered(int(np.count_nonzero(mask))) + (f"; {reason}" if reason else "")
        stopped = area == 0 or in_doubt >= settings.max_review_run
        stopped = stopped or shrinking >= settings.max_shrunk_run
        slid_off = bool(settings.max_slid_run) and sliding >= settings.max_slid_run
        if area and slid_off and not stopped:
            reason = f"{reason}; {stop_slid(sliding, area, shape)}"
        elif area and stopped:
            reason = f"{reason}; {stop_in_doubt(in_doubt, shrinking, small, settings)}"
        stopped = stopped or slid_off
        status = session.status(t)
        # on a frame you accepted without it, the object needs review there (``ready``)
        review = ADDED_TO_ACCEPTED if reason is None and session.accepted(t) else reason
        if review is not None:
            new_status = FrameStatus.NEEDS_REVIEW
        elif status in (FrameStatus.EMPTY, FrameStatus.PROPAGATED):
            new_status = FrameStatus.PROPAGATED
        elif status == FrameStatus.NEEDS_REVIEW and not set(session.review_reasons(t)) - {obj_id}:
            # a frame that needed review for this object only (an earlier run) passes now
            new_status = session.settled_status(t)
        else:
            new_status = status
        clicks_before = {obj_id: session.timed_clicks(t, obj_id)}
        now = time.time()
        # an object found gone (lost, or out of the picture) keeps no clicks on ``t`` either
        kept = carried.clicks if mask.any() else []
        clicks_after = {obj_id: [(c, now) for c in kept]}
        change = frame_change(
            t, before, after, clicks_before, clicks_after, status, new_status, (box[0], box[2])
        )
        change = session.carried_change(change, obj_id, review)
        session.record(change, group)  # undo puts the marks and reasons back with the mask
        came = 1 if t > source else -1
        session.courses.remember(t, obj_id, came, carried.shift, in_frame)
    return {
        "source_frame": source,
        "area": area,
        "area_ratio": ratio,
        "confidence": confidence,
        "ok": reason is None,
        "in_doubt": in_doubt,
        "shrunk": shrinking,
        "slid": sliding,
        "stopped": stopped,
        "reason": LEFT_FRAME if carried.left_frame else reason,
        "agreement": carried.agreement,
        "length": length,
    }


__all__ = [
    "PropagationSettings",
    "PropagationStep",
    "derive_clicks",
    "run",
]
