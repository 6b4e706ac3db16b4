"""The actions of ``skipclick bench-soak``, each done as a user would do it in the widget.

Clicks are points added to the "SkipClick prompts" layer, frame changes move the time slider
(``viewer.dims``), propagation, undo/redo and cancel go through the frame panel or the
controller's public methods, engine switches through the session panel's *Apply* and exports
through the export panel. Each action tags the heartbeat with its phase and counts itself.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..demo import wait_until
from .gui_watch import ErrorLog, Heartbeat

#: at most this many objects are made
MAX_OBJECTS = 12
#: frames clicked in one round: a window that moves along the clip from round to round
WINDOW = 8
#: frames the window moves by from one round to the next
WINDOW_STEP = 1
#: engines the engine switch action goes through (name, options), then back to the first
OTHER_ENGINES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("random-walker", {}),
    ("random-walker", {"beta": 90.0}),
    ("embedded", {"pixels_per_segment": 80.0}),
)
#: chance that a click burst stays on the frame on screen (when it is in the window)
STAY_SHARE = 0.75
#: chance that the next click of a burst comes before the event loop runs again
PILE_SHARE = 0.5
#: export formats, used in turn
EXPORT_FORMATS = ("coco", "yolo-seg", "davis", "png", "numpy")
#: seconds any single wait may take before the soak calls it a hang
WAIT_S = 600.0


class SoakActions:
    """One scripted user of the widget: random but reproducible (``seed``)."""

    def __init__(
        self,
        viewer: Any,
        widget: Any,
        beat: Heartbeat,
        errors: ErrorLog,
        export_dir: Path,
        seed: int,
    ) -> None:
        self.viewer, self.widget, self.beat, self.errors = viewer, widget, beat, errors
        self.controller = widget.controller
        self.export_dir = export_dir
        self.rng = np.random.default_rng(seed)
        self.counts: Counter[str] = Counter()
        self.window_start = 0
        #: object id -> (row, column) around which its clicks fall (it drifts with the frame)
        self.homes: dict[int, tuple[float, float]] = {}
        self.applied = 0
        #: action -> RSS change (MiB) summed over its runs (the soak fills it in)
        self.rss_by_action: Counter[str] = Counter()
        #: action -> seconds spent in it (the soak fills it in)
        self.seconds_by_action: Counter[str] = Counter()
        self.controller.edits.applied.connect(self._on_applied)

    def _on_applied(self, _result: Any) -> None:
        self.applied += 1

    @property
    def session(self) -> Any:
        return self.controller.session

    # -- helpers ---------------------------------------------------------------------------------

    def show_frame(self, t: int) -> None:
        """Move the time slider to frame ``t`` and let the widget follow."""
        self.viewer.dims.set_current_step(0, int(t))
        wait_until(lambda: self.controller.frame == int(t), WAIT_S)

    def wait_edits(self) -> None:
        """Until no click waits for features or a decode."""
        wait_until(lambda: not self.controller.edits.busy, WAIT_S)

    def spin(self, seconds: float) -> None:
        """Run the event loop for ``seconds`` (a pause between two user actions)."""
        deadline = time.perf_counter() + seconds
        wait_until(lambda: time.perf_counter() >= deadline, WAIT_S)

    def next_window(self, round_index: int) -> None:
        """Move the clicked frames along the clip (new frames get encoded)."""
        n = self.session.n_frames
        self.window_start = (round_index * WINDOW_STEP) % max(n - WINDOW, 1)

    def _object(self) -> int:
        """A random existing object, or a new one (sometimes, and always at first)."""
        ids = [o.id for o in self.session.objects]
        if not ids or (len(ids) < MAX_OBJECTS and self.rng.random() < 0.15):
            info = self.controller.add_object(name=f"soak {len(ids) + 1}")
            if info is None:  # refused while a propagation runs
                return int(self.rng.choice(ids))
            height, width = self.session.frame_shape
            self.homes[info.id] = (
                float(self.rng.uniform(0.2, 0.8) * height),
                float(self.rng.uniform(0.15, 0.85) * width),
            )
            self.counts["objects_added"] += 1
            return info.id
        obj = int(self.rng.choice(ids))
        if obj not in self.homes:  # an object of the store or an import
            height, width = self.session.frame_shape
            self.homes[obj] = (height / 2, width / 2)
        return obj

    # -- actions ---------------------------------------------------------------------------------

    def click_burst(self, wait_each: bool = False) -> None:
        """5-20 clicks on one object of a frame of the window (often the frame on screen), fired
        as fast as a user clicks, without waiting for each mask (the edit queue keeps the newest
        clicks of each object and frame): after a click the event loop runs for 0-40 ms, or
        (``PILE_SHARE``) not at all, as when clicks pile up while the window redraws. The burst
        ends when its mask is applied. ``wait_each``: wait for the mask after most clicks."""
        self.beat.phase = "clicks"
        n = self.session.n_frames
        on_screen = self.window_start <= self.controller.frame < self.window_start + WINDOW
        if on_screen and self.rng.random() < STAY_SHARE:
            t = self.controller.frame
        else:
            t = min(self.window_start + int(self.rng.integers(0, WINDOW)), n - 1)
        if self.controller.frame != t:
            self.show_frame(t)
        obj = self._object()
        self.controller.select_object(obj)
        height, width = self.session.frame_shape
        home_y, home_x = self.homes[obj]
        cy, cx = home_y, (home_x + 3.0 * t) % width
        layer = self.controller.layers.prompts
        for i in range(int(self.rng.integers(5, 21))):
            positive = i == 0 or bool(self.rng.random() < 0.6)
            spread = 15.0 if positive else 45.0
            y = float(np.clip(cy + self.rng.normal(0, spread), 0, height - 1))
            x = float(np.clip(cx + self.rng.normal(0, spread), 0, width - 1))
            layer.feature_defaults = {"positive": positive}
            layer.add([y, x])
            self.counts["clicks"] += 1
            if wait_each and self.rng.random() < 0.8:
                self.wait_edits()
            elif self.rng.random() >= PILE_SHARE:
                self.spin(float(self.rng.uniform(0.0, 0.04)))
        self.wait_edits()

    def undo_storm(self) -> None:
        """5-25 undos as fast as the keys repeat, then some of them redone."""
        self.beat.phase = "undo-redo"
        undos = int(self.rng.integers(5, 26))
        for _ in range(undos):
            self.controller.undo()
            wait_until(lambda: True)
        for _ in range(int(self.rng.integers(0, undos + 1))):
            self.controller.redo()
            wait_until(lambda: True)
        self.counts["undo_redo_storms"] += 1
        self.wait_edits()

    def paint_stroke(self) -> None:
        """A stroke of 3-15 dabs with the labels layer's brush on the frame on screen, as a
        mouse drag makes it (``Labels.paint`` under ``block_history``, whose end emits the
        stroke's paint event), near an object: mostly painting the current object, else
        erasing, painting a new label (a new object) or through 3 frames at once; or one fill of
        a piece of an object (a fill of the background would take the whole frame).
        Then the frame on screen must show the session's labels (a refused stroke is taken
        off the screen too)."""
        self.beat.phase = "paint"
        obj = self._object()
        self.controller.select_object(obj)
        layer = self.controller.layers.labels
        t = self.controller.frame
        height, width = self.session.frame_shape
        home_y, home_x = self.homes[obj]
        y, x = home_y, (home_x + 3.0 * t) % width
        kind = self.rng.choice(
            ["brush", "eraser", "new label", "3 frames", "fill"], p=[0.55, 0.2, 0.1, 0.05, 0.1]
        )
        label = obj
        if kind == "eraser":
            label = 0
        elif kind == "new label" and len(self.session.objects) < MAX_OBJECTS:
            label = self.session.registry.new_id()  # the ID a new object gets
            layer.selected_label = label  # typed in the layer's label box
        point = (t, float(np.clip(y, 0, height - 1)), float(np.clip(x, 0, width - 1)))
        objects_before = len(self.session.objects)
        owned = np.argwhere(self.session.labels.read(t))
        if kind == "fill" and len(owned):  # an object's piece goes to this one
            row, column = owned[int(self.rng.integers(0, len(owned)))]
            layer.fill((t, int(row), int(column)), label)
        else:
            layer.brush_size = int(self.rng.integers(2, 11))
            layer.n_edit_dimensions = 3 if kind == "3 frames" else 2
            dy, dx = self.rng.normal(0, 4, size=2)
            with layer.block_history():  # its end: the stroke's end
                for _ in range(int(self.rng.integers(3, 16))):
                    layer.paint(point, label)
                    y, x = float(np.clip(point[1] + dy, 0, height - 1)), point[2] + dx
                    point = (t, y, float(np.clip(x, 0, width - 1)))
                    if self.rng.random() >= PILE_SHARE:
                        self.spin(float(self.rng.uniform(0.0, 0.02)))
            layer.n_edit_dimensions = 2
        added = len(self.session.objects) - objects_before
        if added:
            self.homes[self.controller.current_object] = (home_y, home_x)
            self.counts["objects_added"] += added
        message = self.controller.last_message
        refused = message.startswith(("Not painted", "Cannot paint"))
        self.counts["strokes_refused" if refused else "strokes"] += 1
        self.counts[f"strokes: {kind}"] += 1
        shown = np.asarray(layer._slice.image.raw)
        if shown.shape == self.session.frame_shape and not np.array_equal(
            shown, self.session.labels.read(t)
        ):
            self.errors.record(f"frame {t} shows other labels than the session's after a {kind}")

    def propagate(self, cancel: bool) -> None:
        """Propagate the objects (or the current one) of an annotated frame of the window over
        1-3 frames, through the frame panel; ``cancel`` stops it after a moment."""
        self.wait_edits()
        window = range(self.window_start, min(self.window_start + WINDOW, self.session.n_frames))
        annotated = [t for t in window if self.session.ids_on(t)]
        if not annotated:
            self.click_burst()
            annotated = [self.controller.frame]
        self.beat.phase = "propagate"
        t = int(self.rng.choice(annotated))
        self.show_frame(t)
        direction = 1 if t == 0 or self.rng.random() < 0.7 else -1
        panel = self.widget.frame_panel
        panel.frames_spin.setValue(int(self.rng.integers(1, 4)))
        panel.current_only.setChecked(bool(self.rng.random() < 0.3))
        ids = self.session.ids_on(t)
        if self.controller.current_object not in ids:
            self.controller.select_object(min(ids))
        panel.propagate(direction)
        if cancel:
            self.spin(float(self.rng.uniform(0.05, 0.8)))
            self.controller.cancel()  # what Escape does
            self.counts["propagations_cancelled"] += 1
        wait_until(lambda: not self.controller.propagating, WAIT_S)
        self.counts["propagations"] += 1
        self.wait_edits()

    def scrub(self) -> None:
        """Drag the time slider over frames far from the window while their features are
        computed in the background, then click once where it stopped."""
        self.beat.phase = "scrub"
        n = self.session.n_frames
        start = int(self.rng.integers(0, n))
        step = int(self.rng.choice([-3, -2, -1, 1, 2, 3]))
        for k in range(int(self.rng.integers(4, 11))):
            self.show_frame(min(max(start + k * step, 0), n - 1))
            self.spin(float(self.rng.uniform(0.02, 0.12)))
        self.counts["scrubs"] += 1
        self._click_here()

    def _click_here(self) -> None:
        """One positive click on the current object at a random place of the frame on screen."""
        height, width = self.session.frame_shape
        layer = self.controller.layers.prompts
        layer.feature_defaults = {"positive": True}
        layer.add([float(self.rng.uniform(0, height - 1)), float(self.rng.uniform(0, width - 1))])
        self.counts["clicks"] += 1
        self.wait_edits()

    def switch_engine(self, variant: int) -> None:
        """Apply another engine (or other settings) in the session panel, click a little with
        it, then apply the default embedded engine again."""
        self.beat.phase = "engine"
        name, options = OTHER_ENGINES[variant % len(OTHER_ENGINES)]
        self._apply_engine(name, options)
        for _ in range(2):
            self.click_burst()
        self.beat.phase = "engine"
        self._apply_engine("embedded", {})

    def _apply_engine(self, name: str, options: dict[str, Any]) -> None:
        setup = self.widget.setup_panel
        self.widget.session_box.setChecked(True)  # opened, as a user changing the engine does
        setup.show_engine(name, options)
        setup.request_start()
        wait_until(lambda: setup.start_button.isEnabled(), WAIT_S)
        wait_until(lambda: True)
        if self.session.engine.name != name:
            self.errors.record(f"engine switch to {name} {options} did not happen")
        self.counts["engine_switches"] += 1

    def export(self, index: int) -> None:
        """Export the store through the export panel (a format in turn) while clicking on."""
        self.beat.phase = "export"
        panel = self.widget.export_panel
        fmt = EXPORT_FORMATS[index % len(EXPORT_FORMATS)]
        out = self.export_dir / f"{index:03d}-{fmt}"
        panel.format_combo.setCurrentText(fmt)
        panel.images_check.setChecked(index % 2 == 1 and fmt != "numpy")
        panel.folder_edit.setText(str(out))
        infos_before = sum(self.errors.infos.values())
        panel.export()
        if panel.worker is not None:
            self.click_burst(wait_each=False)
        self.beat.phase = "export"
        wait_until(lambda: panel.worker is None, WAIT_S)
        if sum(self.errors.infos.values()) == infos_before:
            self.errors.record(f"export {fmt} to {out} said nothing")
        self.counts["exports"] += 1
        shutil.rmtree(out, ignore_errors=True)
