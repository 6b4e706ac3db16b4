"""The frames after one you accepted, judged again against it (docs/annotation.md, *Quality
measure*).

A propagation run judges each frame's area and a thin object's length against the run's start
frame too (``quality.since_start``): a slow drift no single step shows. A rider coming closer
grows past that limit on one frame and stays past it on every later one. Once you accept a
frame (*reviewed*: every object there) or correct an object there with clicks (that object),
it is the reference: each later frame of the same run (carried onto from
the frame before it, in the run's direction, up to your next frame) that was marked for an
object by these checks alone (``quality.start_only``) is judged again against the object's
mask on the accepted frame, and passes when it is within the same limits of it. The checks
against the frames before (``quality.since_before``: the previous frame, the one
``trend_frames`` back, a thin object's length on the frames that passed) look back too: the
accepted frame passed, and a frame of the run marked by them alone (``quality.trend_only``)
is judged again as a run started from the accepted frame would judge it, against the frames
from there (the accepted one, then those that pass), and against its start-frame limits,
each by the limits of the session's last run (``run_settings``). An object crossing an edge
of the picture is judged on its part within it, as the run judged it: the shares the run
measured (``Courses.in_frame``) scale the accepted frame's shape (``ShapeHistory.crossing``).
A run started from the accepted frame judges against it anyway: it is that run's start frame.

Accepting the frame **Review ▶** shows an object's frames not carried after its stop on
(``review_stops.runs_on``) decides them all: their marks for that object are dropped, its
absence there accepted (``accept_not_carried``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..shapes import cropped, skeleton_length
from . import propagation as prop
from .frame_changes import frame_change
from .mask_measures import boundary_pixels
from .quality import ShapeHistory, since_before, since_start, start_only, trend_only
from .ready import CARRIED, stopped_on

if TYPE_CHECKING:
    from .annotation import AnnotationSession
    from .review_stops import NotCarried


def judge_after(
    session: AnnotationSession, k: int, group: int, objects: Iterable[int]
) -> list[int]:
    """Judge again, against frame ``k`` that you accepted or corrected, the marks of each of
    the ``objects`` on the later frames of the runs that carried it on from ``k`` (see the
    module); the frames that pass become *propagated* (or stay in review for another object),
    as edits of undo group ``group``. Returns the frames settled for some object. Call under
    ``session.locked()``."""
    accepted = session.labels.read(k)
    settings = session.run_settings  # the limits the run judged by
    settled: set[int] = set()
    for obj_id in objects:
        if not (reference := accepted == obj_id).any():
            continue  # not on the frame: nothing to judge against
        for direction in (1, -1):
            frames = _run_after(session, obj_id, k, direction)
            judged = {t for t in frames if _judged(session, t, obj_id)}
            if not judged:
                continue  # no mark to judge again: no frame is read
            history = ShapeHistory.starting(reference)
            for t in frames:
                if not judged:
                    break  # no mark left to judge again: the frames after it are not read
                history.crossing(session.courses.in_frame(t, obj_id))  # as the run did
                mask = session.labels.read(t) == obj_id
                area = int(np.count_nonzero(mask))
                mask = cropped(mask) if area else mask  # measured on its box alone
                length = skeleton_length(mask) if history.thin else None
                if t in judged:
                    judged.discard(t)
                    reason = session.review_reasons(t)[obj_id]
                    if _passes(reason, area, length, history, settings, mask):
                        _settle(session, t, obj_id, group)
                        settled.add(t)
                passed = obj_id not in session.review_reasons(t)
                history.add(area, length if passed else None, passed)
    return sorted(settled)


def accept_not_carried(
    session: AnnotationSession, runs: Iterable[NotCarried], group: int
) -> list[int]:
    """Accept each object's absence on the frames of ``runs`` (not carried after its stop,
    ``review_stops.runs_on`` the frame you accepted) that are still in review for it as such:
    its mark there is dropped, as an edit of undo group ``group``. Returns those frames."""
    settled = []
    for run in runs:
        for t in run.frames:
            if stopped_on(session.review_reasons(t).get(run.obj_id, "")) is not None:
                _settle(session, t, run.obj_id, group)
                settled.append(t)
    return sorted(settled)


def _judged(session: AnnotationSession, t: int, obj_id: int) -> bool:
    """Whether frame ``t`` is in review for the object by a mark that an accepted frame
    judges again (``quality.start_only``, ``quality.trend_only``)."""
    reason = session.review_reasons(t).get(obj_id)
    return start_only(reason) or trend_only(reason)


def _run_after(session: AnnotationSession, obj_id: int, k: int, direction: int) -> list[int]:
    """The frames after ``k`` in ``direction`` that one run carried the object onto, each from
    the one before it, up to the first it did not (your work, another run's end)."""
    frames = []
    t = k + direction
    while 0 <= t < session.n_frames and session.status(t) in CARRIED:
        carried = obj_id in session.marks_on(t).carried
        if not carried or session.courses.came(t, obj_id) != direction:
            break
        frames.append(t)
        t += direction
    return frames


def _passes(
    reason: str,
    area: int,
    length: int | None,
    history: ShapeHistory,
    settings: prop.PropagationSettings,
    mask: np.ndarray,
) -> bool:
    """Whether ``mask`` of ``area`` pixels (and ``length``), marked for ``reason`` (``_judged``),
    now passes against ``history`` (from the accepted frame): a mark against the start frame
    alone by those limits, one against the frames before it alone by those and the start
    frame's."""
    if not area:
        return False
    band = settings.jitter * boundary_pixels(mask)
    if trend_only(reason) and since_before(
        area, length, history.areas[-1], history, settings, band
    ):
        return False
    return since_start(area, length, history, settings, band) is None


def _settle(session: AnnotationSession, t: int, obj_id: int, group: int) -> None:
    """Drop the object's mark on frame ``t``: the frame passes unless another object is still
    in doubt there."""
    reasons = session.reasons_on(t)
    after = {obj: why for obj, why in reasons.items() if obj != obj_id}
    status = session.status(t)
    doubt = set(session.review_reasons(t)) - {obj_id}
    new_status = status if doubt else session.settled_status(t)
    none = np.zeros((0, 0), session.labels.dtype)
    change = frame_change(t, none, none, {}, {}, status, new_status)
    session.record(replace(change, review_before=reasons, review_after=after), group)
