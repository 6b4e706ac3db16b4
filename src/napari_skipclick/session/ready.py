"""Whether an object goes on from one frame of a propagation run to the next, and its mask
moved there (nothing is written): the stop rules of docs/annotation.md, *Propagation*.

An object goes on through a run of frames where you marked it absent (``Marks.absent``: a
skier behind a gate panel), writing nothing there, for at most ``max_coast`` frames in a row;
on the first frame after the run its mask from the frame before the run is moved on with the
motion its track expects over the gap (``expected_step``, as it coasts past an occluder) and
the frame needs review (``reappears``). An object that stopped in doubt leaves each frame the
run goes on to write for the others in review for it (``not_carried``, ``mark_not_carried``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..engines.base import Engine, Features
from ..shapes import on_picture
from ..types import UNCHECKED, Click
from .carry import Moved, matcher_of, move_object
from .propagation_settings import PropagationSettings
from .review import ACCEPTED
from .track import Track

if TYPE_CHECKING:
    from .annotation import AnnotationSession


@dataclass(frozen=True)
class Ready:
    """One object ready to be carried from frame ``source``: its mask there, the clicks the
    user made there and the mask moved onto the new frame (with the engine's match of it,
    ``carry.move_object``); or, when it goes no further, why (``stop``, nothing else set); or,
    on a frame where it is marked absent that it goes on past, why (``passed``, nothing else
    set: nothing is written there). ``doubt``: the stop leaves its track in doubt (its motion
    is not known to carry it across frames marked absent): it may be on the frames ahead
    (``not_carried``)."""

    source: int
    previous: np.ndarray | None = None
    user_clicks: list[Click] = field(default_factory=list)
    moved: Moved | None = None
    stop: str | None = None
    passed: str | None = None
    doubt: bool = False


def decided(
    session: AnnotationSession, obj_id: int, source: int, t: int, settings: PropagationSettings
) -> Ready | None:
    """Whether one object steps from frame ``source`` (the last it has a mask on: the frames
    between are those it is marked absent on) onto ``t``: None when it does (``prepare``
    moves it, with ``t``'s features), else why not: it stops (``Ready.stop``) or passes over
    ``t`` (``Ready.passed``), reading neither frame nor features. Call under
    ``session.locked()``."""
    direction = 1 if t > source else -1
    if obj_id not in session.registry:
        reason = "the object was deleted"
    elif obj_id in session.marks_on(t).absent:  # ``session.absent``
        hidden = abs(t - source)  # this frame and those before it since ``source``
        if obj_id not in session.ids_on(source):  # a run started where it is absent
            return Ready(source, stop=f"no mask on frame {source}")
        if hidden <= settings.max_coast:
            return Ready(source, passed=f"you marked it absent on frame {t}; it goes on")
        reason = f"you marked it absent on frame {t}"
        if hidden > 1:
            first, last = sorted((t, source + direction))
            reason = f"you marked it absent on frames {first}-{last}: more than max_coast "
            reason += f"({settings.max_coast}) frames in a row to carry it across"
    elif accepted_with(session, t, obj_id):
        status = session.status(t)
        reason = f"frame {t} is {status.value}" if status in ACCEPTED else f"you accepted frame {t}"
    elif session.user_clicks(t, obj_id):  # on a frame still in review for others, too
        reason = f"frame {t} has your clicks for this object"
    elif session.clicks(t, obj_id) and session.status(t) not in CARRIED:
        # derived clicks on a frame you worked on since: painted, corrected another object
        # there or marked one not there (the frame and its masks are yours)
        reason = f"frame {t} is your work (you clicked, painted or marked an object not "
        reason += "here): its mask stays"
    elif session.own_mask(t, obj_id):
        reason = f"frame {t} holds your own mask of this object"
    else:
        return None
    return Ready(source, stop=reason)


def accepted_with(session: AnnotationSession, t: int, obj_id: int) -> bool:
    """Whether you accepted frame ``t`` with the object on it (its pixels or clicks there, not
    in review there), or with nothing on it (no object is there): propagation stops there.
    On a frame you accepted with other objects but not this one (added after), the object is
    written where the claims rules let it (``claims``; the other objects' pixels stay) and
    the frame needs review for it alone (``ADDED_TO_ACCEPTED``)."""
    if not session.accepted(t) or obj_id in session.review_reasons(t):
        return False
    ids = session.ids_on(t)
    return not ids or obj_id in ids or bool(session.clicks(t, obj_id))


def prepare(
    session: AnnotationSession,
    obj_id: int,
    source: int,
    t: int,
    images: tuple[np.ndarray, np.ndarray],
    features: Features,
    track: Track,
    run: tuple[Engine, int, int, PropagationSettings],
) -> Ready:
    """Check that one object goes on from frame ``source`` to ``t`` (``decided``) and move its
    mask there (nothing is written); ``images`` are the two frames, ``features`` those of
    ``t``, ``track`` the object's motion so far, ``run`` the engine, the session generation,
    the undo group of the propagation run and the settings."""
    engine, _, _, settings = run
    direction = 1 if t > source else -1
    with session.locked():
        ready = decided(session, obj_id, source, t, settings)
        if ready is not None:
            return ready
        previous = session.labels.read(source) == obj_id
        user_clicks = session.user_clicks(source, obj_id)
    if not previous.any():
        return Ready(source, stop=f"no mask on frame {source}")
    matcher = matcher_of(engine)
    matched = None
    if matcher is not None:
        matched = matcher.match_object(session.features(source, engine), features, previous)
    course = session.courses.expected(source, obj_id, direction)
    if abs(t - source) > 1:
        step = expected_step(track, course, settings.max_coast)
        if step is None:  # left where it was, it lands on background the next frames carry
            first, last = sorted((source + direction, t - direction))
            return Ready(
                source,
                stop=f"its motion is not known to carry it across frames {first}-{last}, where "
                "you marked it absent: click it where it shows again",
                doubt=True,
            )
        moved = moved_across(previous, step, abs(t - source), matched)
        return Ready(source, previous, user_clicks, moved)
    moved = move_object(
        *images,
        previous,
        settings,
        matched,
        track.momentum(settings.max_coast),
        course,
        track.chain,
        track.chained,
    )
    return Ready(source, previous, user_clicks, moved)


def expected_step(track: Track, course: np.ndarray | None, max_coast: int) -> np.ndarray | None:
    """The displacement (rows, columns, frame pixels) the object is expected to make on each
    step while hidden: the background's on its last step plus its steady motion against it,
    as when it coasts (``Track.momentum``); else its ``course`` (its last move, ``Courses``);
    None when neither is known."""
    momentum = track.momentum(max_coast)
    if momentum is None:
        return course
    relative = momentum.relative if momentum.steady is None else momentum.steady
    return np.asarray(momentum.background + relative, np.float32)


def moved_across(
    previous: np.ndarray, step: np.ndarray | None, steps: int, matched: np.ndarray | None
) -> Moved:
    """Boolean mask ``previous`` moved ``steps`` frames on by ``step`` a frame
    (``expected_step``; None: it stays), averaged with the engine's ``matched`` probabilities
    when given (as in ``move_object``). No motion was measured; ``Moved.shift`` is ``step``,
    the course the next step expects."""
    shift = np.zeros(2, np.float32) if step is None else np.asarray(step, np.float32)
    total = shift * steps
    prior = ndimage.shift(previous.astype(np.float32), total, order=1, mode="constant")
    rows, cols = np.nonzero(previous)
    visible = int(np.count_nonzero(on_picture(rows + total[0], cols + total[1], previous.shape)))
    if matched is not None:
        prior = 0.5 * (prior + np.clip(np.asarray(matched, np.float32), 0.0, 1.0))
    prior = prior.astype(np.float32)
    return Moved(None, prior, prior > 0.5, None if step is None else shift, visible)


def reappears(t: int, source: int) -> str | None:
    """Why frame ``t``, carried onto from frame ``source``, needs review: the object reappears
    there after the frames between, on which it is marked absent; None when there are none."""
    hidden = abs(t - source) - 1
    if hidden == 0:
        return None
    return f"it reappears after {hidden} frame(s) you marked it absent"


def not_carried(t: int, reason: str | None, doubt: bool) -> str | None:
    """Why each frame a run writes for its other objects after one stopped on frame ``t`` for
    ``reason`` needs review for it, as long as it is not carried there: a stop in ``doubt`` (a
    step that wrote it and found it in doubt, lost or vanished, or ``Ready.doubt``) leaves it
    maybe on those frames, not shown. None for a stop that says it is not there, or is yours:
    it left the picture (``LEFT_FRAME``), you marked it absent, your work or a missing mask
    stopped it."""
    if not doubt or reason is None or reason == LEFT_FRAME:
        return None
    return f"stopped on frame {t} ({reason}); not carried here"


#: a reason ``not_carried`` wrote: the frame of the stop, then its reason
_NOT_CARRIED = re.compile(r"stopped on frame (\d+) \((.*)\); not carried here", re.DOTALL)


def stopped_on(reason: str) -> tuple[int, str] | None:
    """The frame an object stopped on and why, where ``reason`` is a frame's reason for
    review of it after that stop (``not_carried``); None for any other reason."""
    match = _NOT_CARRIED.fullmatch(reason)
    return None if match is None else (int(match.group(1)), match.group(2))


def mark_not_carried(
    session: AnnotationSession,
    stops: dict[int, str],
    sources: dict[int, int],
    t: int,
    written: set[int],
    run: tuple[Engine, int, int, PropagationSettings],
) -> bool:
    """Mark frame ``t``, which a run wrote for the objects ``written``, *needs review* for
    each other object of ``stops`` (stopped earlier in the run: object ID -> why,
    ``not_carried``) that would have stepped onto it (``decided``, from ``sources``: the last
    frame each has a mask on; not where you marked it absent or your work holds it), as its
    own reason (``session.mark_carried``, in the run's undo group): a click of it there or
    *Not here* settles it. Returns whether any was marked."""
    if not written:
        return False
    _, _, group, settings = run
    marked = False
    with session.locked():
        for obj_id, reason in stops.items():
            if obj_id in written or decided(session, obj_id, sources[obj_id], t, settings):
                continue  # carried there, or it would not have been (absent there, your work)
            session.mark_carried(t, obj_id, reason, group)
            marked = True
    return marked


#: why a frame you accepted without the object needs review once propagation wrote it there
ADDED_TO_ACCEPTED = "carried onto a frame you accepted without it"

#: why an object that the motion moved beyond an edge of the picture goes no further
LEFT_FRAME = "the object left the picture"

#: statuses of frames whose clicks propagation derived (re-propagating may replace them)
CARRIED = UNCHECKED
