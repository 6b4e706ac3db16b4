"""``skipclick bench-soak``: a long scripted session through the real widget (needs a display,
e.g. Xvfb), the embedded engine on the sample giant-slalom clip, saved to a store.

It runs rounds until ``--minutes`` have passed (the last round is cut at that time). A round
is 8 bursts of 5-20 clicks fired without waiting for each mask (about 100 clicks) on 8 frames
(a window that moves 1 frame a round) and up to 12 objects; between its first bursts come two
propagations over 1-3 frames (every third one cancelled) and two strokes of the labels layer's
brush (or eraser, fill, a new label, 3 frames at once), in every second round an undo/redo
storm, in every third a drag of the time slider over frames whose features are computed in the
background, and in every eighth an engine switch and an export. See ``soak_actions`` for how
each is done.

It reports the errors (napari error notifications, uncaught exceptions, log records of level
error, and checks of its own), RSS after the warm-up (the end of the first round after 15 % of
the time with the feature cache 90 % full; else the end) and after every round, each sample
taken again after ``malloc_trim(0)`` (unless ``--no-trim``): the C allocator keeps freed
memory of its arenas, so the second figure is the memory the process holds; the time and RSS
change of each kind of action, event-loop stalls (10 ms heartbeat), and at the end saves,
waits for every frame to be written and compares the store, read through a second handle,
with the session's labels and statuses frame by frame.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .gui_watch import ErrorLog, Heartbeat, rss_mib

#: share of the run that is warm-up before the first RSS figure (at least) ...
WARMUP_SHARE = 0.15
#: ... and share of its bound that the feature cache must hold by then
WARM_CACHE_SHARE = 0.9
#: click bursts per round
BURSTS = 8
#: propagations per round
PROPAGATIONS = 2
#: an engine switch and an export every this many rounds
EXTRA_EVERY = 8


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scripted user")
    parser.add_argument(
        "--cache-mib", type=int, default=256, help="feature cache bound (the session panel's)"
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also report the memory Python and numpy allocated (tracemalloc; slower)",
    )
    parser.add_argument(
        "--no-trim",
        action="store_true",
        help="never call malloc_trim(0) (by default before each RSS sample, see the docs)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


def run(args: argparse.Namespace) -> int:
    """Run the soak; exit status 1 when it found errors or the store differs from the session.

    With ``--json`` the file also holds the figures so far after every round (``"finished":
    false``), and a crash prints every thread's Python stack (``faulthandler``).
    """
    import faulthandler
    import platform

    import torch

    faulthandler.enable()
    torch.set_num_threads(2)
    if args.trace_memory:
        import tracemalloc

        tracemalloc.start()

    def progress(figures: dict[str, Any]) -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({**figures, "finished": False}, indent=2))

    result = soak(
        args.minutes,
        seed=args.seed,
        cache_mib=args.cache_mib,
        trim=not args.no_trim,
        progress=progress,
    )
    result["finished"] = True
    result["machine"] = f"{platform.processor() or platform.machine()}, {platform.system()}"
    print(json.dumps(result, indent=2), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0 if result["errors"]["errors"] == 0 and result["store_matches_session"] else 1


def soak(
    minutes: float,
    *,
    seed: int = 0,
    cache_mib: int = 256,
    trim: bool = True,
    log: Callable[[str], Any] = print,
    progress: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """Run the scripted session for ``minutes`` and return its figures.

    napari shows no notification pop-ups meanwhile (``NAPARI_APPLICATION_GUI_NOTIFICATION_LEVEL``,
    unless set): its cursor-status thread reads the layers while the GUI thread changes them, and
    when such a read fails it builds the pop-up in that thread, while Qt widgets belong to the
    GUI thread. The errors are still counted (``ErrorLog`` listens to the notifications).

    Args:
        minutes: how long to run (rounds are cut at that time).
        seed: seed of the scripted user's choices.
        cache_mib: the feature cache bound set in the session panel.
        trim: after each RSS sample, call ``malloc_trim(0)`` and sample again.
        log: where a line per round goes.
        progress: called after each round with the figures so far.
    """
    os.environ.setdefault("NAPARI_APPLICATION_GUI_NOTIFICATION_LEVEL", "none")
    from napari.settings import get_settings

    from ..app import open_annotator
    from ..demo import wait_until
    from .soak_actions import SoakActions

    popups = str(get_settings().application.gui_notification_level)

    with tempfile.TemporaryDirectory(prefix="skipclick-soak-") as tmp, ErrorLog() as errors:
        store = Path(tmp) / "soak.zarr"
        viewer, widget = open_annotator(store=str(store))
        controller = widget.controller
        widget.session_box.setChecked(True)  # opened, as a user changing settings does
        widget.setup_panel.cache_spin.setValue(cache_mib)
        widget.setup_panel.request_start()  # Apply: the session keeps going with that cache
        wait_until(lambda: widget.setup_panel.start_button.isEnabled())
        beat = Heartbeat()
        actions = SoakActions(viewer, widget, beat, errors, Path(tmp) / "exports", seed)
        start = time.perf_counter()
        deadline = start + 60.0 * minutes
        warm: dict[str, Any] | None = None
        memory: list[dict[str, float]] = []
        rounds = 0
        beat.start("clicks")
        while time.perf_counter() < deadline:
            _round(actions, rounds, deadline, errors)
            rounds += 1
            with beat.paused():  # the soak's own book-keeping is no stall of the widget
                elapsed = time.perf_counter() - start
                log(
                    f"round {rounds}: {elapsed:.0f} s, {dict(actions.counts)}, "
                    f"RSS {rss_mib():.0f} MiB, errors {len(errors.errors)}"
                )
                memory.append(_memory(controller, elapsed, trim))
                full = memory[-1]["feature_cache"] >= WARM_CACHE_SHARE * cache_mib
                if warm is None and full and elapsed >= WARMUP_SHARE * 60.0 * minutes:
                    warm = memory[-1]
                if progress is not None:
                    progress(
                        {
                            "rounds": rounds,
                            "counts": dict(actions.counts),
                            "rss_growth_by_action_mib": dict(actions.rss_by_action),
                            "seconds_by_action": dict(actions.seconds_by_action),
                            "errors": errors.report(),
                            "memory_by_round_mib": memory,
                            "stalls_by_activity_ms": beat.by_phase(),
                            "stall_culprits": beat.culprits(),
                        }
                    )
        beat.stop()
        end = _memory(controller, time.perf_counter() - start, trim)
        warmed_up = warm is not None
        warm = warm or end
        check = _flush_and_compare(controller, errors)
        controller.close_session()
        viewer.close()
        wait_until(lambda: True)
    stalls = beat.summary()
    return {
        "minutes": minutes,
        "seconds": end["seconds"],
        "rounds": rounds,
        "counts": dict(actions.counts),
        "edits_applied": actions.applied,
        "errors": errors.report(),
        "notification_popups": popups,
        "rss_mib": {
            "warmed_up": warmed_up,
            "after_warmup": warm,
            "end": end,
            "growth": end["rss"] - warm["rss"],
            "growth_trimmed": end.get("rss_trimmed", end["rss"])
            - warm.get("rss_trimmed", warm["rss"]),
        },
        "rss_growth_by_action_mib": dict(actions.rss_by_action),
        "seconds_by_action": dict(actions.seconds_by_action),
        "memory_by_round_mib": memory,
        "stalls_ms": {"max": stalls.get("max"), "p99": stalls.get("p99"), "all": stalls},
        "stalls_by_activity_ms": beat.by_phase(),
        "stall_culprits": beat.culprits(),
        **check,
    }


def _round(actions: Any, index: int, deadline: float, errors: ErrorLog) -> None:
    """One round of the mix (see the module docstring), stopped at ``deadline``; the time and
    the RSS change of each step are added to ``actions.seconds_by_action`` and
    ``actions.rss_by_action``."""
    actions.next_window(index)

    def propagate() -> None:
        actions.propagate(cancel=actions.counts["propagations"] % 3 == 2)

    extras: list[tuple[str, Callable[[], None]]] = [
        ("propagate", propagate),
        ("paint", actions.paint_stroke),
    ]
    if index % 2 == 0:
        extras.append(("undo-redo", actions.undo_storm))
    if index % 3 == 1:
        extras.append(("scrub", actions.scrub))
    if index % EXTRA_EVERY == EXTRA_EVERY // 2:
        extras += [
            ("engine", lambda: actions.switch_engine(index // EXTRA_EVERY)),
            ("export", lambda: actions.export(index // EXTRA_EVERY)),
        ]
    extras += [("propagate", propagate)] * (PROPAGATIONS - 1)
    extras.append(("paint", actions.paint_stroke))
    plan: list[tuple[str, Callable[[], None]]] = []
    for _burst in range(BURSTS):  # the other actions early in the round, between bursts
        plan.append(("clicks", actions.click_burst))
        if extras:
            plan.append(extras.pop(0))
    for name, step in plan:
        if time.perf_counter() >= deadline:
            return
        before, started = rss_mib(), time.perf_counter()
        try:
            step()
        except Exception as exc:  # the soak goes on; the error is counted
            errors.record(f"{type(exc).__name__} in the script: {exc}")
        actions.rss_by_action[name] += rss_mib() - before
        actions.seconds_by_action[name] += time.perf_counter() - started


def _malloc_trim() -> float | None:
    """Give the C allocator's free memory back to the system (glibc ``malloc_trim(0)``);
    seconds it took, or None where there is no glibc."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    start = time.perf_counter()
    libc.malloc_trim(0)
    return time.perf_counter() - start


def _memory(controller: Any, seconds: float, trim: bool) -> dict[str, float]:
    """RSS, feature cache, labels in memory, undo patches and decoded video frames kept (MiB)
    ``seconds`` into the run; with ``trim`` also RSS after ``malloc_trim(0)``."""
    session = controller.session
    import tracemalloc

    history_bytes = getattr(session.history, "_nbytes", 0)  # bounded by History.max_bytes
    figures = {
        "seconds": seconds,
        "rss": rss_mib(),
        "feature_cache": session.cache.nbytes / 2**20,
        "labels_in_memory": session.labels.nbytes_in_memory / 2**20,
        "undo_patches": history_bytes / 2**20,
        "decoded_frames": getattr(session.frames, "cached_nbytes", 0) / 2**20,
    }
    if trim and (took := _malloc_trim()) is not None:
        figures["rss_trimmed"] = rss_mib()
        figures["trim_ms"] = 1000.0 * took
    if tracemalloc.is_tracing():  # what Python objects and numpy arrays hold, not native memory
        figures["python_traced"] = tracemalloc.get_traced_memory()[0] / 2**20
    return figures


def _flush_and_compare(controller: Any, errors: ErrorLog) -> dict[str, Any]:
    """Save, wait until nothing is left to write, then compare every frame's labels and status
    in the store (a second, read-only handle) with the session's."""
    import numpy as np

    from ..demo import wait_until
    from ..io.store import AnnotationStore
    from ..types import FrameStatus

    session = controller.session
    wait_until(lambda: controller.idle, 600)
    if not controller.flush(600):  # the store writer has written everything, or failed
        errors.record(f"the final save failed: {controller.last_message}")
    wait_until(lambda: not session.dirty_frames() and not session.objects_dirty, 600)
    differ, missing_status = [], []
    with AnnotationStore.open(session.store.path) as store:
        stored, ours, empty = store.statuses(), session.statuses(), FrameStatus.EMPTY
        for t in range(session.n_frames):
            if not np.array_equal(store.read_labels(t), session.labels.read(t)):
                differ.append(t)
            if stored.get(t, empty) != ours.get(t, empty):
                missing_status.append(t)
        objects_match = [o.id for o in store.objects()] == [o.id for o in session.objects]
    if differ or missing_status or not objects_match:
        print(
            f"store differs: labels {differ[:20]}, statuses {missing_status[:20]}, "
            f"objects match {objects_match}",
            file=sys.stderr,
        )
    return {
        "frames_compared": session.n_frames,
        "frames_annotated": sum(1 for t in range(session.n_frames) if session.ids_on(t)),
        "frames_differing": differ,
        "statuses_differing": missing_status,
        "objects_match": objects_match,
        "store_matches_session": not differ and not missing_status and objects_match,
    }
