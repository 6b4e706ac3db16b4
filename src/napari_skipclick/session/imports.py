"""Labels that exist (another tool, a model, a napari Labels layer) brought into a session.

Imported frames get the status ``imported``; their masks are then the prior of the next click
on each object, and propagation starts from them like from any other frame. Labels that say
they were not checked (another store's frames *propagated* or *needs review*, with the reasons)
keep that status: an import accepts no work that nobody checked.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..checks import ids_in, label_values_problem
from ..types import DEFAULT_CLASS, UNCHECKED, Click, FrameRecord, FrameStatus, ObjectInfo
from .derived_clicks import derive_clicks
from .frame_changes import FrameChange
from .propagation_settings import PropagationSettings
from .state import color_for
from .store_protocol import ClickRecord

if TYPE_CHECKING:
    from .annotation import AnnotationSession
    from .state import ObjectRegistry


def import_frames(
    session: AnnotationSession,
    frames: Mapping[int, np.ndarray],
    names: Mapping[int, tuple[str, str]] | None = None,
    states: FrameStates | None = None,
) -> list[ObjectInfo]:
    """Set the labels of ``frames`` (frame -> ``(H, W)`` ids) in one undoable step.

    The labels are converted, their patches cut and the frames checked before the session's
    lock is taken for long: the objects are registered under the lock, then each frame is
    written under the lock on its own (other threads wait for one frame at most, not for the
    whole import). The labels join a frame's other objects (two annotators' objects merged):
    where they meet the frame's labels, those keep their pixels (``labels_met`` says where); a
    frame where another thread put an imported object after the check is left as it is.

    Args:
        session: the session to import into.
        frames: labels per frame; 0 is the background, every other value an object ID.
        names: object ID -> (name, class) for IDs that are not objects yet (default
            "object N" of class "object"). An ID that is an object takes the labels as its
            own, unless ``names`` gives it another name.
        states: what the labels say of their frames (a store's): a frame *propagated* or
            *needs review* keeps its status, reasons and derived clicks, its objects marked
            as propagation's (as ``review`` reads them); every other frame becomes *imported*.

    Returns the objects registered for new IDs. Raises ``ValueError`` (and changes nothing)
    for a frame of another size or outside the video, values that are no object IDs
    (``checks.label_values_problem``), an object that already has a mask on a frame (the
    message names frames and objects), or IDs that ``clashing_ids`` finds (``fresh_ids`` gives
    them new ones).
    """
    names = names or {}
    shape = session.frame_shape
    patches: dict[int, tuple[tuple[int, int, int, int], np.ndarray]] = {}
    ids: set[int] = set()
    for t, labels in frames.items():
        labels = np.asarray(labels)
        if labels.shape != shape:
            raise ValueError(f"frame {t} has labels of shape {labels.shape}, the video {shape}")
        if not 0 <= t < session.n_frames:
            raise ValueError(f"frame {t} is outside the video's 0..{session.n_frames - 1}")
        problem = label_values_problem(labels)
        if problem is not None:
            raise ValueError(f"frame {t}: {problem}")
        found = ids_in(labels)
        if found:
            box = _box(labels)
            y0, y1, x0, x1 = box
            patches[int(t)] = box, labels[y0:y1, x0:x1].astype(session.labels.dtype)
            ids |= found
    clash = clashing_ids(session.registry, ids, names)
    if clash:
        raise ValueError(
            f"IDs {clash[:10]} were given to other objects in this session (deleted objects "
            "keep their IDs): give the labels other IDs (fresh_ids)"
        )
    twice = {t: _twice(session, t, patch) for t, (_, patch) in patches.items()}
    twice = {t: ids for t, ids in sorted(twice.items()) if ids}
    if twice:
        listed = {o.id: o.name for o in session.objects}
        said = "; ".join(
            f"frame {t}: {', '.join(listed.get(i, str(i)) for i in sorted(ids))}"
            for t, ids in list(twice.items())[:5]
        )
        raise ValueError(
            f"objects already have a mask on frames {sorted(twice)[:10]} ({said}): an object "
            "has one mask on a frame; nothing was imported"
        )
    with session.saved_whole(
        "an import of labels"
    ):  # the store gets the whole import or none of it
        with session.locked():
            added = []
            for oid in sorted(ids - {o.id for o in session.objects}):
                name, class_name = names.get(oid, (f"object {oid}", DEFAULT_CLASS))
                added.append(ObjectInfo(oid, name, class_name, color_for(oid)))
            group = session.history.new_group()
            session.import_objects(added, group)  # undone with the frames
        for t, (box, after) in sorted(patches.items()):
            with session.locked():
                if _twice(session, t, after):
                    continue  # labelled there meanwhile: that edit is kept
                y0, y1, x0, x1 = box
                before = np.array(session.labels.read(t)[y0:y1, x0:x1])
                merged = np.where(before != 0, before, after)  # the frame's labels stay
                status = session.status(t)
                kept = status if session.ids_on(t) else IMPORTED  # other objects: theirs
                change = FrameChange(t, box, before, merged, {}, {}, status, kept)
                if states is not None and states.statuses.get(t) in UNCHECKED:
                    change = _unchecked(session, change, states, t)
                session.record(change, group=group)
                session.ids_on(t)  # computed here, not by the first reader (the widget's table)
    return added


IMPORTED = FrameStatus.IMPORTED


@dataclass(frozen=True)
class FrameStates:
    """What labels say of their frames beyond their pixels (a store's): status, reasons for
    review (frame -> object -> reason) and clicks (frame -> object -> ``(y, x, positive,
    unix_time)``, propagation's derived ones on the frames it made)."""

    statuses: Mapping[int, FrameStatus] = field(default_factory=dict)
    reasons: Mapping[int, Mapping[int, str]] = field(default_factory=dict)
    clicks: Mapping[int, Mapping[int, Sequence[ClickRecord]]] = field(default_factory=dict)

    def renumbered(self, given: Mapping[int, int]) -> FrameStates:
        """These states with each object ID ``i`` as ``given.get(i, i)``."""
        return FrameStates(
            self.statuses,
            {t: {given.get(o, o): r for o, r in by.items()} for t, by in self.reasons.items()},
            {t: {given.get(o, o): c for o, c in by.items()} for t, by in self.clicks.items()},
        )


def _unchecked(
    session: AnnotationSession, change: FrameChange, states: FrameStates, t: int
) -> FrameChange:
    """``change`` (an imported frame ``t``) as the labels' frame was: *propagated* or *needs
    review*, its objects' masks propagation's, with their derived clicks and reasons for those
    in doubt. Call under ``locked``."""
    status, reasons = states.statuses[t], states.reasons.get(t, {})
    ids = ids_in(change.labels_after) - ids_in(change.labels_before)
    y0, y1, x0, x1 = change.box
    labels = np.zeros(session.frame_shape, change.labels_after.dtype)
    labels[y0:y1, x0:x1] = change.labels_after
    clicks = {
        obj: [(Click(y, x, bool(p)), when) for y, x, p, when in records]
        for obj, records in propagations_clicks(labels, ids, states.clicks.get(t, {})).items()
    }
    marks = session.marks_on(change.frame)
    after = replace(
        marks, carried=marks.carried | ids, painted=marks.painted - ids, absent=marks.absent - ids
    )
    review = session.reasons_on(change.frame)
    doubt = {obj: why for obj, why in reasons.items() if obj in ids}
    held = change.status_before if session.ids_on(t) else None
    return replace(
        change,
        clicks_before={obj: session.timed_clicks(t, obj) for obj in clicks},
        clicks_after=clicks,
        status_after=unchecked_status(status, bool(doubt), held),
        review_before=review,
        review_after={**review, **doubt},
        marks_before=marks,
        marks_after=after,
    )


def unchecked_status(theirs: FrameStatus, doubt: bool, held: FrameStatus | None) -> FrameStatus:
    """The status of a frame that labels nobody checked join (``theirs``: *propagated* or
    *needs review*; ``doubt``: they bring an object in doubt there): *needs review* where in
    doubt; else the status the frame had, ``held``, where it held objects (your checked work
    keeps its status), *propagated* where it held none (None) or propagation's."""
    if theirs == FrameStatus.NEEDS_REVIEW and doubt:
        return FrameStatus.NEEDS_REVIEW
    return held if held not in (None, FrameStatus.PROPAGATED) else FrameStatus.PROPAGATED


def store_record(
    before: FrameRecord | None,
    labels: np.ndarray,
    ids: Collection[int],
    states: FrameStates | None,
    t: int,
) -> FrameRecord:
    """The record a store commits for frame ``t`` once an import gives it ``labels`` (the
    frame's whole labels after it), ``ids`` the objects it brought, by the rule
    ``import_frames`` records a frame in a session: the frame's record ``before`` (None: it
    held nothing, or is replaced) where it held objects, else *imported*; a frame the labels'
    ``states`` say nobody checked keeps that, with their reasons and propagation's clicks,
    its objects propagation's (``_unchecked``)."""
    if states is None or states.statuses.get(t) not in UNCHECKED:
        return before or FrameRecord(IMPORTED)
    doubt = {obj: why for obj, why in states.reasons.get(t, {}).items() if obj in ids}
    status = unchecked_status(states.statuses[t], bool(doubt), before and before.status)
    before = before or FrameRecord(IMPORTED)
    return replace(
        before,
        status=status,
        clicks={**before.clicks, **propagations_clicks(labels, ids, states.clicks.get(t, {}))},
        carried=sorted(set(before.carried) | set(ids)),
        painted=sorted(set(before.painted) - set(ids)),
        absent=sorted(set(before.absent) - set(ids)),
        review={**before.review, **doubt},
    )


def propagations_clicks(
    labels: np.ndarray,
    ids: Collection[int],
    clicks: Mapping[int, Sequence[ClickRecord]],
    now: float | None = None,
) -> dict[int, list[ClickRecord]]:
    """The clicks propagation made for the objects ``ids`` on a frame it made, of ``labels``
    (``(H, W)``): those ``clicks`` gives, else derived from the object's mask as propagation
    derives them, all made ``now`` (None: the time now). A frame brought in without them would
    take your first click there as propagation's (``checks.made_by_user``)."""
    now = time.time() if now is None else now
    made = {obj: list(clicks[obj]) for obj in ids if clicks.get(obj)}
    settings = PropagationSettings()
    for obj in sorted(set(ids) - made.keys()):
        found = derive_clicks(labels == obj, settings)
        made[obj] = [(c.y, c.x, c.positive, now) for c in found]
    return made


def _twice(session: AnnotationSession, t: int, patch: np.ndarray) -> set[int]:
    """The objects of imported ``patch`` that already have a mask on frame ``t``."""
    return set(session.ids_on(t) & ids_in(patch))


def labels_met(
    session: AnnotationSession, frames: Mapping[int, np.ndarray]
) -> dict[int, tuple[set[int], set[int], int]]:
    """Where imported ``frames`` meet the session's labels: frame -> (their objects there, the
    session's, pixels). An import keeps the session's labels on those pixels."""
    met = {}
    for t, labels in sorted(frames.items()):
        if not session.ids_on(t):
            continue
        here = session.labels.read(t)
        on = (np.asarray(labels) != 0) & (here != 0)
        if on.any():
            theirs, ours = ids_in(np.where(on, labels, 0)), ids_in(np.where(on, here, 0))
            met[t] = set(theirs), set(ours), int(on.sum())
    return met


def clashing_ids(
    registry: ObjectRegistry,
    ids: set[int],
    names: Mapping[int, tuple[str, str]],
    *,
    others: bool = False,
) -> list[int]:
    """The IDs of ``ids`` the registry gave to other objects: listed under a name other than
    ``names`` gives, or no longer listed and given before (deleted objects keep their IDs:
    ``ObjectRegistry.was_given``). ``others``: the labels are another annotator's (another
    store's), whose objects are others whatever their names: every listed ID clashes."""
    listed = {o.id: o.name for o in registry.objects}
    return sorted(
        i
        for i in ids
        if (i in listed and (others or (i in names and names[i][0] != listed[i])))
        or (i not in listed and registry.was_given(i))
    )


def fresh_ids(
    registry: ObjectRegistry,
    ids: set[int],
    names: Mapping[int, tuple[str, str]],
    *,
    others: bool = False,
) -> dict[int, int]:
    """Labels ID -> registry ID: each of ``clashing_ids`` gets a new one by the registry's rule
    (``ObjectRegistry.new_ids``), none of ``ids``; the others keep theirs. ``ValueError`` when
    too few IDs are free. The widget's import and ``skipclick import-labels`` both use it."""
    clash = clashing_ids(registry, ids, names, others=others)
    new = dict(zip(clash, registry.new_ids(len(clash), ids), strict=True))
    return {i: new.get(i, i) for i in ids}


def _box(labels: np.ndarray) -> tuple[int, int, int, int]:
    """The smallest (y0, y1, x0, x1) box holding every labelled pixel of ``labels``."""
    rows = np.flatnonzero(labels.any(axis=1))
    cols = np.flatnonzero(labels[rows[0] : rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
