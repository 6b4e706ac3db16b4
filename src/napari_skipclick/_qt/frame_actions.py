"""Undo/redo, accepting and saving frames, and propagation: the controller's frame actions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..types import FrameStatus
from .workers import PropagationRun


class FrameActions:
    """Mixin of ``AnnotationController`` for actions on whole frames (GUI thread only)."""

    _propagation: PropagationRun | None

    @property
    def propagating(self) -> bool:
        return self._propagation is not None

    def undo(self) -> None:
        self._history_step(redo=False)

    def redo(self) -> None:
        self._history_step(redo=True)

    def _history_step(self, *, redo: bool) -> None:
        if self.session is None or self._refuse_while_propagating("undo or redo"):
            return
        waiting = self.edits.pending(self._frame, self.current_object or 0)
        if not redo and waiting is not None:
            self.edits.discard(self._frame, self.current_object)
            self._sync_prompts()
            self._say("Undid clicks that were waiting for features")
            return
        t = self.session.redo() if redo else self.session.undo()
        if t is None:
            self._say("Nothing to redo" if redo else "Nothing to undo")
            return
        self.edits.discard(t=t)
        self._after_history_change(t)
        self._say(f"{'Redid' if redo else 'Undid'} an edit on frame {t}")

    def _after_history_change(self, t: int | None) -> None:
        ids = [o.id for o in self.session.objects]
        if self.current_object not in ids:
            self.current_object = ids[0] if ids else None
            self.current_object_changed.emit()
        self.layers.set_objects(self.session.objects)
        if t is not None and t != self._frame:
            self.go_to_frame(t)
        self._sync_prompts()
        self.layers.refresh_labels()
        self.objects_changed.emit()
        self.statuses_changed.emit()
        self._autosave.start()

    def accept_frame(self) -> None:
        """Mark the frame on screen reviewed and write it to the store."""
        if self.session is None or self._refuse_while_propagating("accept a frame"):
            return
        self.session.set_status(self._frame, FrameStatus.REVIEWED)
        self.statuses_changed.emit()
        if self.save():
            saved = "saved" if self.session.store is not None else "not saved (no store)"
            self._say(f"Frame {self._frame} reviewed, {saved}")

    def save(self) -> bool:
        """Write every changed frame to the store; False (and an error shown) if that failed.

        While a propagation runs it writes its own frames, so this waits for its end.
        """
        self._autosave.stop()
        if self.session is None or self.session.store is None or self.propagating:
            return True
        try:
            self.session.commit_all()
        except Exception as exc:
            self._error(f"Saving failed, your edits are kept in memory: {exc}")
            return False
        return True

    # -- propagation -----------------------------------------------------------------------------

    def propagate(
        self, direction: int = 1, n_frames: int | None = None, obj_ids: list[int] | None = None
    ) -> None:
        """Carry the objects' masks from the frame on screen forward (+1) or backward (-1)."""
        if self.session is None or self._refuse_while_propagating("start another propagation"):
            return
        if obj_ids is None:
            on_frame = set(np.unique(self.session.labels[self._frame]).tolist()) - {0}
            obj_ids = [o.id for o in self.session.objects if o.id in on_frame]
        if not obj_ids:
            self._warn(f"No object has a mask on frame {self._frame} to propagate")
            return
        self.save()
        self.loader.cancel()
        run = PropagationRun(
            self.session, list(obj_ids), self._frame, n_frames=n_frames, direction=direction
        )
        run.step.connect(self._on_propagation_step)
        run.failed.connect(lambda error: self._error(f"Propagation failed: {error}"))
        run.finished.connect(lambda cancelled, r=run: self._on_propagation_finished(r, cancelled))
        self._propagation = run
        self.busy_changed.emit()
        self._say(f"Propagating {len(obj_ids)} object(s) from frame {self._frame} ...")
        run.start()

    def cancel_propagation(self) -> None:
        if self._propagation is not None:
            self._propagation.cancel()

    def cancel(self) -> None:
        """Stop background work: propagation, feature prefetch and waiting clicks."""
        self.cancel_propagation()
        self.loader.cancel()
        self.edits.discard()
        self._sync_prompts()
        self._say("Cancelled")

    def _on_propagation_step(self, step: Any) -> None:
        if step.frame == self._frame and self.layers is not None:
            self.layers.refresh_labels()
        self.statuses_changed.emit()
        note = f" — stopped: {step.reason}" if step.stopped and step.reason else ""
        self._say(f"Propagation: frame {step.frame}, object {step.obj_id}{note}")

    def _on_propagation_finished(self, run: PropagationRun, cancelled: bool) -> None:
        if run is not self._propagation:
            return
        self._propagation = None
        self.save()
        if self.layers is not None:
            self.layers.refresh_labels()
            self._sync_prompts()
        self.statuses_changed.emit()
        self.annotations_changed.emit(None)
        self.busy_changed.emit()
        self._say("Propagation cancelled" if cancelled else "Propagation finished")
        self._request_features(self._frame)

    def _refuse_while_propagating(self, what: str) -> bool:
        if self.propagating:
            self._warn(f"Cannot {what} while propagation runs: cancel it first (Escape)")
            return True
        return False
