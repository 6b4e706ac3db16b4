"""Event-loop stalls of ``skipclick bench-gui``: the longest heartbeat gap while the widget

- switches frames during a background encode (``scrub``),
- autosaves 100 dirty 1080p frames (``autosave``: a labelled layer imported through the
  widget's import path makes them dirty; the autosave timer then writes them), then deletes
  one of the imported objects on all of them through the Objects panel, undoes and redoes
  that deletion,
- propagates (``propagate``).

Clicking is measured with the click latency (``gui.bench_clicks``). Each function runs one
activity with the ``Heartbeat`` in that phase and returns its figures.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .gui_watch import Heartbeat

#: the stall target of every activity (ms)
TARGET_MS = 100.0


def scrub_during_encode(widget: Any, beat: Heartbeat, jumps: int) -> dict[str, Any]:
    """Jump the time slider ``jumps`` times to frames without features, 50 ms apart (each jump
    encodes the frame and prefetches the next ones in the background), until all is idle."""
    from ..demo import wait_until

    controller = widget.controller
    n_frames = controller.session.n_frames
    encoded_before = len(controller.session.cache)
    beat.start("scrub")
    start = time.perf_counter()
    for j in range(jumps):
        controller.go_to_frame(int((j + 1) * (n_frames - 5) / (jumps + 1)))
        wait_until(lambda: True)
        _spin(0.05)
    wait_until(lambda: controller.idle)
    beat.stop()
    return {
        "seconds": time.perf_counter() - start,
        "frames_encoded": len(controller.session.cache) - encoded_before,
    }


def propagate(widget: Any, beat: Heartbeat, n_frames: int) -> dict[str, Any]:
    """Propagate every object on frame 0 over the next ``n_frames`` frames (the widget's
    propagation, features computed on the way) until it ends."""
    from ..demo import wait_until

    controller = widget.controller
    controller.go_to_frame(0)
    wait_until(lambda: controller.idle)
    objects = sorted(controller.session.ids_on(0))
    beat.start("propagate")
    start = time.perf_counter()
    widget.frame_panel.frames_spin.setValue(n_frames)
    widget.frame_panel.propagate(1)
    wait_until(lambda: controller.idle)
    beat.stop()
    propagated = [t for t in range(1, n_frames + 1) if controller.session.ids_on(t)]
    return {
        "seconds": time.perf_counter() - start,
        "objects": len(objects),
        "frames_propagated": len(propagated),
    }


def autosave(beat: Heartbeat, n_frames: int) -> dict[str, Any]:
    """A generated 1080p clip with a store; ``n_frames`` labelled frames imported through the
        widget's import path; the time from the import applied until the autosave has written
        every frame. The import itself (reading the layer in a worker, then one undoable step on
        the GUI thread) and the deletion of the first imported object on every frame (the Objects
        panel's Delete, a worker), its undo and its redo (each after the autosave wrote the frames
    before it) are measured as their own phases."""
    from ..app import open_annotator
    from ..demo import wait_until
    from .reader import make_clip

    with tempfile.TemporaryDirectory(prefix="skipclick-bench-autosave-") as tmp:
        video, store = Path(tmp) / "clip_1080p.mp4", Path(tmp) / "store.zarr"
        make_clip(video, n_frames, 1920, 1080, fps=25, gop=50, seed=1)
        viewer, widget = open_annotator(str(video), store=str(store), show=True)
        controller = widget.controller
        controller.prefetch = 0
        wait_until(lambda: controller.idle)
        layer = viewer.add_labels(_moving_boxes(n_frames, 1080, 1920), name="imported labels")
        session = controller.session
        panel = widget.objects_panel
        panel.import_combo.setCurrentText(layer.name)
        beat.start("import")
        start = time.perf_counter()
        panel.import_selected_layer()  # the panel's Import button
        # the import's own end (not ``session.ids_on``: it waits for the session's lock, which
        # the import's worker holds frame after frame, and would stall the loop itself)
        wait_until(lambda: controller.background_edit is None)
        imported_s = time.perf_counter() - start
        if not session.ids_on(n_frames - 1):
            raise RuntimeError("the import ended without the last frame's objects")
        beat.phase = "autosave"
        start = time.perf_counter()
        wait_until(lambda: not session.dirty_frames(), timeout=1200)
        saved_s = time.perf_counter() - start
        beat.phase = "delete"
        start = time.perf_counter()
        panel.table.selectRow(0)
        deleted = panel.selected_ids()
        panel.delete_selected()  # the panel's Delete button
        wait_until(lambda: controller.background_edit is None)
        deleted_s = time.perf_counter() - start
        if deleted[0] in session.ids_on(n_frames - 1):
            raise RuntimeError("the deletion ended with the object on the last frame")
        history_s = {}
        for phase, step in (("undo", controller.undo), ("redo", controller.redo)):
            wait_until(lambda: not session.dirty_frames(), timeout=1200)
            beat.phase = phase
            start = time.perf_counter()
            step()  # the Undo and Redo buttons' (and Ctrl+Z's) action
            wait_until(lambda: controller.idle)
            history_s[phase] = time.perf_counter() - start
        beat.stop()
        if deleted[0] in session.ids_on(n_frames - 1):
            raise RuntimeError("the redo ended with the object on the last frame")
        stored = len(session.store.annotated_frames())
        controller.close_session()
        viewer.close()
    return {
        "frames": n_frames,
        "import_seconds": imported_s,
        "autosave_seconds_after_import": saved_s,
        "delete_seconds": deleted_s,
        "undo_seconds": history_s["undo"],
        "redo_seconds": history_s["redo"],
        "frames_in_store": stored,
    }


def _moving_boxes(n_frames: int, height: int, width: int) -> Any:
    """(T, H, W) uint8 labels: three boxes of ids 1..3 that move from frame to frame."""
    import numpy as np

    labels = np.zeros((n_frames, height, width), np.uint8)
    for t in range(n_frames):
        for k in range(3):
            y, x = 100 + 250 * k, (40 + 15 * t + 400 * k) % (width - 300)
            labels[t, y : y + 200, x : x + 300] = k + 1
    return labels


def _spin(seconds: float) -> None:
    """Run the event loop for ``seconds`` (a user's pause between two actions)."""
    from ..demo import wait_until

    deadline = time.perf_counter() + seconds
    wait_until(lambda: time.perf_counter() >= deadline)


def table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown table: activity, longest stall, p99 and median gap, heartbeats, verdict."""
    lines = [
        "| activity | longest stall (ms) | p99 gap (ms) | median gap (ms) | heartbeats "
        "| ≤ 100 ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in rows.items():
        if not s.get("n"):
            lines.append(f"| {name} | – | – | – | 0 | – |")
            continue
        verdict = "yes" if s["max"] <= TARGET_MS else "no"
        lines.append(
            f"| {name} | {s['max']:.0f} | {s['p99']:.0f} | {s['median']:.1f} | {s['n']} | "
            f"{verdict} |"
        )
    return "\n".join(lines)
