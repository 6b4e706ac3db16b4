"""Clicks in the ``AnnotationController`` (a mixin): the points of "SkipClick prompts" become
the current object's clicks on the frame shown, decoded in a worker; the sign of the next
clicks, the overlap rule and zoom mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QProgressDialog

from ..frame_lists import frame_ranges
from ..types import Click, FrameStatus

#: seconds a closing session waits for clicks still to be decoded (an encode or two)
CLOSE_WAIT_S = 60.0


class ControllerClicks:
    """The clicks of the ``AnnotationController``."""

    session: Any
    layers: Any
    edits: Any
    loader: Any
    positive: bool
    zoom: bool
    current_object: int | None
    _frame: int
    source: Any  # FrameSource
    _override: bool
    mode_changed: Any
    _after_history_change: Callable[..., None]  # the controller's (``ControllerHistory``)
    _refuse_while_busy: Callable[[str], bool]  # the controller's (``ControllerPropagation``)
    propagating: bool  # the controller's (``ControllerPropagation``)
    background_edit: Any  # the controller's (``ControllerObjects``)
    add_object_for_click: Callable[[], bool]  # the controller's (``ControllerObjects``)

    def finish_waiting_clicks(self) -> None:
        """Decode the clicks still waiting for their frame's features (the session closes:
        they were dropped while the save line said all saved), in a modal dialog whose button
        drops them (features that never come froze the window); warn of any left."""
        if not self.edits.busy:
            return
        waiting = self.edits.waiting_frames()
        self.loader.request(waiting)
        dialog = QProgressDialog(
            f"Closing: decoding your clicks on frame(s) {frame_ranges(waiting)}, which wait for "
            "their frame's features ...",
            "Drop them",
            0,
            0,
        )
        dialog.setWindowTitle("SkipClick")
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.show()
        left = self.edits.finish(CLOSE_WAIT_S, dialog.wasCanceled)
        dropped = dialog.wasCanceled()
        dialog.close()
        if left:
            what = (
                "waiting for their frame's features, were dropped"
                if dropped
                else f"still waited for their frame's features after {CLOSE_WAIT_S:.0f} s"
            )
            self._warn(f"Clicks on frame(s) {frame_ranges(left)}, {what}: they are not saved")

    def mark_absent(self) -> None:
        """The current object is not on the frame shown (hidden, out of view): its mask and
        clicks there go, its clicks waiting there too, and propagation no longer carries it
        onto the frame (``AnnotationSession.mark_absent``; one undoable step)."""
        t, obj, session = self._frame, self.current_object, self.session
        if session is None or self._refuse_while_busy("mark an object absent"):
            return
        if self.source.photos:  # nothing carries an object onto another photo
            self._warn(self.source.nothing_across("mark absent"))
            return
        if obj is None:
            self._warn("Select the object that is not on this frame first")
            return
        name = session.registry.get(obj).name
        self.edits.discard(t, obj)
        changed = session.mark_absent(t, obj)
        self._after_history_change(None, [t], session.objects)
        if not changed:  # no step to undo was made
            self._say(f"Object {obj} ({name}) is marked not on frame {t} already", frame=t)
            return
        self._say(f"Object {obj} ({name}) marked not on frame {t}; Ctrl+Z undoes it", frame=t)

    def toggle_sign(self) -> None:
        """Switch the sign that the next clicks get (positive <-> negative)."""
        self.positive = not self.positive
        if self.layers is not None:
            self.layers.set_sign(self.positive)
        self.mode_changed.emit()
        self._say(f"Next clicks are {'positive' if self.positive else 'negative'}")

    def _on_clicks_edited(self) -> None:
        """The user added, moved or deleted a point of the prompts layer."""
        if self._refuse_while_busy("edit clicks"):
            self._sync_prompts()
            return
        if not self.layers.slider.frame_in_view():
            self._warn("Clicks need a frame on screen: the view shows another axis (roll it back)")
            self._sync_prompts()
            return
        past = self.layers.slider.past_end()
        if past is not None:  # the click would go to the video's last frame, not shown
            last = self.session.n_frames - 1
            self._warn(f"Frame {past} is past the annotated video's end (0-{last}): click ignored")
            self._sync_prompts()
            return
        if self.current_object is None and not self.add_object_for_click():
            self._sync_prompts()  # the click made no object: its point goes
            return
        clicks, outside = self.layers.take_clicks()
        if outside:
            height, width = self.session.frame_shape
            where = ", ".join(f"(y={c.y:.0f}, x={c.x:.0f})" for c in outside)
            self._warn(f"Ignored click outside the {height}x{width} image: {where}")
            if clicks == self.clicks(self._frame, self.current_object):
                return
        self.submit_clicks(self._frame, self.current_object, clicks, zoom=self.zoom)

    @property
    def override(self) -> bool:
        """Whether new masks may take pixels that other objects own (else earlier ones win)."""
        return self._override

    @override.setter
    def override(self, value: bool) -> None:
        self._override = bool(value)
        self.mode_changed.emit()

    def submit_clicks(self, t: int, obj_id: int, clicks: list[Click], zoom: bool = False) -> None:
        """Make ``clicks`` the object's clicks on frame ``t`` (decoded when features are ready)."""
        ready = zoom or t in self.loader.ready_frames
        words = "decoding in zoom mode ..." if zoom else "decoding ..."
        words = words if ready else "waiting for features ..."
        self._say(f"{self.source.named(t)}: {words}", passing=True, frame=t)
        self.edits.submit(t, obj_id, clicks, zoom=zoom, override=self._override)
        if not ready:
            self.loader.request([t])

    def toggle_zoom(self) -> None:
        """Switch zoom mode: clicks are decoded in a crop around the object (small objects)."""
        self.zoom = not self.zoom
        self.mode_changed.emit()
        busy = self.propagating or self.background_edit is not None
        later = " (for the next clicks: this frame's mask stays while work runs)" * busy
        self._say(f"Zoom mode {'on' if self.zoom else 'off'}{later}")
        if self.zoom and not busy:  # a refusal would read as if the mode had not changed
            self.refine_zoom()

    def refine_zoom(self) -> None:
        """Re-decode the current object's clicks on this frame in a crop around it, if you
        clicked it here (a propagated, reviewed or imported mask stays as it is)."""
        t, obj, session = self._frame, self.current_object, self.session
        if session is None or obj is None or self._refuse_while_busy("refine"):
            return
        yours = self.edits.pending(t, obj) is not None or session.user_clicks(t, obj)
        if yours and session.status(t) == FrameStatus.CLICKED:
            self.submit_clicks(t, obj, self.clicks(t, obj), zoom=True)
