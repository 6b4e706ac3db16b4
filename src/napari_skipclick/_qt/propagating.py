"""Propagation in the controller: start, cancel, stop before closing, follow its steps.

A mixin of ``AnnotationController`` (it uses the controller's session, layers, workers and
signals). While a run is in progress the autosave pauses: the run commits its own frames.
"""

from __future__ import annotations

import re
from typing import Any

from ..frame_lists import counted
from ..session import AnnotationSession, PropagationStep
from ..session.fill import gaps, gaps_to_fill, keyframes_around
from ..session.review_stops import NO_REASON, review_stops, stop_text
from ..types import FrameStatus
from .workers import PropagationRun

#: seconds closing waits for a cancelled propagation to finish its step
STOP_TIMEOUT_S = 300.0


class ControllerPropagation:
    """Propagation of the ``AnnotationController``."""

    _propagation: PropagationRun | None
    session: Any
    layers: Any
    saving: Any
    loader: Any
    edits: Any
    _frame: int
    background_edit: Any
    source: Any  # FrameSource
    idle: bool  # the controller's

    @property
    def propagating(self) -> bool:
        return self._propagation is not None

    def propagate(
        self, direction: int = 1, n_frames: int | None = None, obj_ids: list[int] | None = None
    ) -> None:
        """Carry the objects' masks from the frame on screen forward (+1) or backward (-1)."""
        if self.session is None or self._refuse_while_busy("start another propagation"):
            return
        if self._no_frame_past("propagate", direction):
            return
        if obj_ids is None:
            obj_ids = self._objects_on(self._frame)
        if not obj_ids:
            self._warn(f"No object has a mask on frame {self._frame} to propagate")
            return
        self._run_propagation(
            f"Propagating {len(obj_ids)} object(s) from frame {self._frame} ...",
            list(obj_ids),
            self._frame,
            n_frames=n_frames,
            direction=direction,
        )

    def fill(self, direction: int = 1, obj_ids: list[int] | None = None) -> None:
        """Fill the frames between the keyframes around the frame on screen from both ends
        (``AnnotationSession.fill``): the gap after it (+1: from the last keyframe at or
        before it to the first after it) or before it (-1: from the last keyframe before it
        to the first at or after it); on a frame between keyframes both are that gap."""
        if self.session is None or self._refuse_while_busy("fill between keyframes"):
            return
        if self._no_frame_past("fill", direction):
            return
        start, end = keyframes_around(self.session.keyframe_statuses(), self._frame, direction)
        if start is None or end is None:
            if direction > 0:
                where = "at or before" if start is None else "after"
            else:
                where = "before" if start is None else "at or after"
            self._warn(
                f"No keyframe {where} frame {self._frame}: fill needs a clicked, accepted or "
                "imported frame on each side"
            )
            return
        if end - start < 2:
            self._warn(f"No frame lies between keyframes {start} and {end}")
            return
        if obj_ids is None:
            obj_ids = self._objects_on(start, end)
        if not obj_ids:
            self._warn(f"No object has a mask on keyframe {start} or {end} to fill from")
            return
        self._run_propagation(
            f"Filling frames {start + 1}-{end - 1} from keyframes {start} and {end} ...",
            list(obj_ids),
            start,
            end=end,
        )

    def fill_all(self, obj_ids: list[int] | None = None) -> None:
        """Fill every gap between two consecutive keyframes of the clip from both ends
        (``AnnotationSession.fill_all``), with the objects on its keyframes (or ``obj_ids``
        among them)."""
        if self.session is None or self._refuse_while_busy("fill between keyframes"):
            return
        if self._no_frame_past("fill", 0):
            return
        pairs = gaps(self.session.keyframe_statuses())
        present = self._objects_on(*{t for pair in pairs for t in pair})
        obj_ids = present if obj_ids is None else [obj for obj in obj_ids if obj in present]
        if not obj_ids:
            self._warn(
                "No two keyframes with frames between them hold an object to fill from "
                "(a keyframe is a clicked, accepted or imported frame)"
            )
            return
        with self.session.locked():  # the frames' marks and clicks: no pixel is read
            planned, left = gaps_to_fill(self.session, obj_ids)
        if not planned:
            self._warn(
                f"Every gap between keyframes is filled already ({left}): Shift+F or "
                "Shift+B fills one again"
            )
            return
        between = sum(end - start - 1 for start, end, _ in planned)
        kept = f" ({_left(left)})" if left else ""
        self._run_propagation(
            f"Filling {counted(between, 'frame')} in {counted(len(planned), 'gap')} "
            f"between keyframes{kept} ...",
            list(obj_ids),
            planned[0][0],
            left=left,
            every_gap=True,
        )

    def _no_frame_past(self, what: str, direction: int) -> bool:
        """Say that there is nothing to ``what`` (and return True) on separate photos, on a
        video of one frame, or from its last frame forward (+1) or its first backward (-1)."""
        last = self.session.n_frames - 1
        if self.source.photos:
            self._warn(self.source.nothing_across(what))
        elif last == 0:
            self._warn(f"Nothing to {what}: the video has one frame")
        elif direction and self._frame == (last if direction > 0 else 0):
            end = "last" if direction > 0 else "first"
            self._warn(f"Nothing to {what}: frame {self._frame} is the video's {end}")
        else:
            return False
        return True

    def _objects_on(self, *frames: int) -> list[int]:
        """The IDs of the objects with pixels on any of ``frames``, in the objects' order."""
        present = frozenset().union(*(self.session.ids_on(t) for t in frames))
        return [o.id for o in self.session.objects if o.id in present]

    def _run_propagation(
        self, message: str, obj_ids: list[int], start: int, left: int = 0, **options: Any
    ) -> None:
        """Start a ``PropagationRun`` in the background (*Fill all*: ``left`` gaps left as
        they were); the autosave pauses meanwhile."""
        self.saving.save()
        self.saving.paused = True
        self.loader.cancel()
        run = PropagationRun(self.session, obj_ids, start, **options)
        run.left = left
        run.step.connect(lambda step, r=run: self._on_propagation_step(r, step))
        run.failed.connect(lambda error, r=run: self._error(f"{r.what} failed: {error}"))
        run.finished.connect(lambda cancelled, r=run: self._on_propagation_finished(r, cancelled))
        self._propagation = run
        self.busy_changed.emit()
        self._say(message)
        run.start()

    def go_to_review(self, direction: int = 1) -> None:
        """Go to the nearest frame worth a look (``review_stops``) after (+1) or before (-1)
        the one on screen, and say why it is (separate photos have none: said)."""
        if self.session is None or (self.source.photos and self._no_frame_past("review", 0)):
            return
        stops = review_stops(self.session)
        ahead = [stop for stop in stops if (stop.frame - self._frame) * direction > 0]
        if not ahead:
            where = "after" if direction > 0 else "before"
            self._say(
                f"No frame {where} frame {self._frame} needs review ({len(stops)} in all)",
                frame=self._frame,
            )
            return
        stop = min(ahead, key=lambda s: abs(s.frame - self._frame))
        self.go_to_frame(stop.frame)
        where = f"{stops.index(stop) + 1} of {len(stops)}"
        text = stop_text(self.session, stop)
        self._say(f"Frame {stop.frame} needs review ({where}): {text}", frame=stop.frame)

    def cancel_propagation(self) -> None:
        if self._propagation is not None:
            self._propagation.cancel()

    def stop_propagation(self) -> None:
        """Cancel the run and wait until its thread has ended (before closing the session)."""
        run = self._propagation
        if run is None:
            return
        run.stop(STOP_TIMEOUT_S)
        self._propagation = None
        self.saving.paused = False
        self.busy_changed.emit()

    def cancel(self) -> None:
        """Stop background work: propagation, an import, a deletion or a large undo, feature
        prefetch and waiting clicks."""
        idle = self.idle
        self.cancel_propagation()
        self.cancel_background_edit()
        self.loader.cancel()
        self.edits.discard()
        self._sync_prompts()
        self._say("Nothing to cancel" if idle else "Cancelled")

    def _on_propagation_step(self, run: PropagationRun, step: PropagationStep) -> None:
        if run is not self._propagation:
            return  # a step delivered after its run ended: the end already showed everything
        if step.frame == self._frame and self.layers is not None:
            self.layers.refresh_labels()
        self.statuses_changed.emit()
        self.saving.refresh()
        if step.written:
            run.frames.add(step.frame)
        said = step.summary and (f"stopped: {step.summary}" if step.stopped else step.summary)
        if said and step.obj_id in self.session.registry:
            name = self.session.object(step.obj_id).name
            gist = f"stopped: {_gist(step.summary)}"
            run.stops.append(f"{name} {gist}" if step.stopped else f"{name}: {said}")
            run.reasons.append(f"{name}: {said}")
        note = f" — {said}" if said else ""
        self._say(f"Propagation: frame {step.frame}, object {step.obj_id}{note}")

    def _on_propagation_finished(self, run: PropagationRun, cancelled: bool) -> None:
        if run is not self._propagation:
            return
        self._propagation = None
        self.saving.paused = False
        self.saving.save()
        if self.layers is not None:
            self.layers.refresh_labels()
            self._sync_prompts()
        self.statuses_changed.emit()
        # only its frames changed (a full refresh read every frame's IDs again on the GUI
        # thread: 0.4-1.5 s); a cancelled run may have written a frame it did not report
        self.annotations_changed.emit(None if cancelled else sorted(run.frames))
        self.busy_changed.emit()
        ended = f"{run.what} {'cancelled' if cancelled else 'finished'}: "
        self._say(ended + _summary(run), whole=ended + _summary(run, whole=True))
        self._request_features(self._frame)

    def _refuse_while_busy(self, what: str) -> bool:
        """Refuse (saying why) while a propagation, an import, a deletion or an undo writes
        to the session."""
        if self.propagating:
            self._warn(f"Cannot {what} while propagation runs: cancel it first (Escape)")
            return True
        return self.refuse_while_editing(what)


def _summary(run: PropagationRun, whole: bool = False) -> str:
    """How many frames ``run`` wrote, how many of them need review now and on how many of
    those to look (``review_stops``), why objects stopped before its end, and which it ended
    on frames marked absent (``PropagationStep.summary``): the gist of the first three stops,
    or (``whole``) every stop's reason in full."""
    frames = sorted(run.frames)
    review = [t for t in frames if run.session.status(t) == FrameStatus.NEEDS_REVIEW]
    done = counted(len(frames), "frame")
    if whole:
        stops = "".join(f"; {stop}" for stop in run.reasons)
    else:
        more = "; …" if len(run.stops) > 3 else ""
        stops = "".join(f"; {stop}" for stop in run.stops[:3]) + more
    stops += f"; {_left(run.left)}" if run.left else ""
    if not review:
        return f"{done}, none needs review{stops}"
    looks = sum(stop.frame in run.frames for stop in review_stops(run.session))
    need = f"{len(review)} need{'s' * (len(review) == 1)} review"
    return f"{done}, {need}, {looks} to look at (N: the next one){stops}"


def _left(count: int) -> str:
    """How many gaps *Fill all* left as they were, filled already (``fill.gaps_to_fill``)."""
    were = "they were" if count != 1 else "it was"
    return f"{count} gap{'s' * (count != 1)} left as {were}, filled already"


#: the longest stop reason the end of a run repeats whole
GIST_CHARS = 100


def _gist(reason: str) -> str:
    """What the end of a run says of an object's stop: the reason's conclusion (its last
    clause); a longer one than ``GIST_CHARS`` with its parentheses (limits, measures) given
    as "(…)", then cut at a word if still longer. The whole reason is in the status line's
    tooltip, on the step's own status line and in Review."""
    last = reason.rsplit("; ", 1)[-1]
    if len(last) <= GIST_CHARS:
        return last
    last = _ASIDE.sub(" (…)", last)
    return last if len(last) <= GIST_CHARS else last[:GIST_CHARS].rsplit(" ", 1)[0] + " …"


#: a parenthesis of a reason: a limit or a measure, given as "(…)" where the reason is long
_ASIDE = re.compile(r" \([^()]*\)")


def review_text(session: AnnotationSession, t: int) -> str:
    """Why frame ``t`` needs review, object by object, as one line."""
    reasons = session.review_reasons(t)
    if not reasons:
        return NO_REASON
    return "; ".join(f"{session.object(obj).name}: {reason}" for obj, reason in reasons.items())
