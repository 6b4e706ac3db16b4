"""``skipclick bench-gui``: the widget in a real viewer (needs a display, e.g. Xvfb).

1. Click latency (``clicks``): a point added to "SkipClick prompts" until "SkipClick labels"
   shows the new mask (features cached, embedded engine, sample video), against the engine's
   bare decode of the same clicks.
2. Event-loop stalls: the longest gap of a 10 ms ``QTimer`` heartbeat while clicking (during
   part 1), switching frames during a background encode (``scrub``), autosaving 100 dirty
   1080p frames (``autosave``) and propagating (``propagate``); see ``gui_stalls``.
3. Memory on a long video (``long``): process RSS while visiting and clicking frames spread
   over a generated 1080p clip (``--long-seconds``, default 10 minutes), with the feature cache
   bounded by ``--cache-mib``; prefetch is off so each visit encodes one frame.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .gui_watch import Heartbeat, rss_mib, summarize

#: the parts ``--parts`` may name
PARTS = ("clicks", "scrub", "autosave", "propagate", "long")
#: clicks (row, column, positive) on the skier of frame 0 of the sample video, cycled
SKIER_CLICKS = ((144, 335, True), (134, 363, False), (188, 358, True), (170, 350, False))


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--clicks", type=int, default=30, help="clicks timed")
    parser.add_argument("--jumps", type=int, default=8, help="frame jumps while encoding")
    parser.add_argument(
        "--autosave-frames", type=int, default=100, help="dirty 1080p frames autosaved"
    )
    parser.add_argument("--propagate-frames", type=int, default=10, help="frames propagated")
    parser.add_argument("--long-seconds", type=float, default=600.0, help="long clip length")
    parser.add_argument("--long-fps", type=int, default=25, help="long clip frame rate")
    parser.add_argument("--visits", type=int, default=16, help="frames visited on the long clip")
    parser.add_argument(
        "--cache-mib", type=float, default=256.0, help="feature cache bound for the long clip"
    )
    parser.add_argument(
        "--parts",
        default="clicks,scrub,autosave,propagate",
        help=f"comma-separated parts to run ({', '.join(PARTS)})",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


def bench_clicks(widget: Any, n_clicks: int, beat: Heartbeat) -> dict[str, Any]:
    """Median time from ``layer.add`` to the labels layer refreshed, and the bare decode time;
    the heartbeat runs in phase "clicking" except during the bare decodes."""
    import numpy as np

    from ..demo import wait_until
    from ..types import Click

    controller = widget.controller
    session = controller.session
    controller.go_to_frame(0)
    wait_until(lambda: controller.idle)
    done: list[float] = []
    controller.edits.applied.connect(lambda _result: done.append(time.perf_counter()))
    computes: list[float] = []
    compute = session.compute

    def timed_compute(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = compute(*args, **kwargs)
        computes.append(time.perf_counter() - start)
        return result

    session.compute = timed_compute  # the decode as the widget runs it
    latencies, decodes, add_calls = [], [], []
    beat.start("clicking")
    for i in range(n_clicks):
        if i % len(SKIER_CLICKS) == 0:
            controller.add_object(name=f"skier {i}")
        y, x, positive = SKIER_CLICKS[i % len(SKIER_CLICKS)]
        clicks = [*session.clicks(0, controller.current_object), Click(y, x, positive)]
        prior = (np.asarray(session.labels[0]) == controller.current_object).astype(np.float32)
        with beat.paused():
            start = time.perf_counter()
            session.engine.decode(session.features(0), clicks, prior)
            decodes.append(time.perf_counter() - start)
        controller.layers.prompts.feature_defaults = {"positive": positive}
        start = time.perf_counter()
        count = len(done)
        controller.layers.prompts.add([y, x])
        add_calls.append(time.perf_counter() - start)
        wait_until(lambda c=count: len(done) > c)
        latencies.append(done[-1] - start)
    beat.stop()
    session.compute = compute
    ms = 1000.0
    latency = summarize([v * ms for v in latencies])
    decode = summarize([v * ms for v in decodes])
    return {
        "click_to_labels_ms": latency,
        "decode_ms": decode,
        "overhead_ms_median": latency["median"] - decode["median"],
        "layer_add_call_ms": summarize([v * ms for v in add_calls]),
        "session_compute_ms": summarize([v * ms for v in computes]),
    }


def bench_long_video(args: argparse.Namespace) -> dict[str, Any]:
    """RSS while visiting and clicking ``--visits`` frames spread over a generated 1080p clip."""
    import tempfile

    from ..app import open_annotator
    from ..demo import wait_until
    from .reader import make_clip

    with tempfile.TemporaryDirectory(prefix="skipclick-bench-gui-") as tmp:
        video = Path(tmp) / "long_1080p.mp4"
        n_frames = round(args.long_seconds * args.long_fps)
        print(f"encoding a {n_frames}-frame 1080p clip ...", flush=True)
        start = time.perf_counter()
        make_clip(video, n_frames, 1920, 1080, fps=args.long_fps, gop=2 * args.long_fps, seed=0)
        encode_s = time.perf_counter() - start
        rss_before = rss_mib()
        viewer, widget = open_annotator(str(video))
        widget.setup_panel.cache_spin.setValue(int(args.cache_mib))
        widget._apply_cache_settings()
        controller = widget.controller
        controller.prefetch = 0
        wait_until(lambda: controller.idle)
        rss = [rss_mib()]
        for k in range(args.visits):
            t = int(k * (n_frames - 1) / max(args.visits - 1, 1))
            controller.go_to_frame(t)
            controller.layers.prompts.add([540, 960])
            wait_until(lambda: controller.idle)
            rss.append(rss_mib())
            cache = controller.session.cache.nbytes / 2**20
            print(
                f"visit {k + 1}/{args.visits}: frame {t}, RSS {rss[-1]:.0f} MiB, "
                f"feature cache {cache:.0f} MiB",
                flush=True,
            )
        result = {
            "frames": n_frames,
            "cache_bound_mib": args.cache_mib,
            "clip_encode_s": encode_s,
            "rss_before_viewer_mib": rss_before,
            "rss_after_open_mib": rss[0],
            "rss_after_quarter_mib": rss[len(rss) // 4],
            "rss_end_mib": rss[-1],
            "rss_peak_mib": max(rss),
            "feature_cache_mib": controller.session.cache.nbytes / 2**20,
            "labels_in_memory_mib": controller.session.labels.nbytes_in_memory / 2**20,
        }
        controller.close_session()
        viewer.close()
    return result


def run(args: argparse.Namespace) -> int:
    """Run the parts asked for; print (and optionally save) the figures and the stall table."""
    import platform

    import torch

    from ..app import open_annotator
    from . import gui_stalls

    parts = {p.strip() for p in args.parts.split(",")}
    unknown = sorted(parts - set(PARTS))
    if unknown:
        print(f"skipclick bench-gui: unknown parts {unknown}; choose from {PARTS}", file=sys.stderr)
        return 2
    torch.set_num_threads(2)
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"threads, {platform.system()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    beat = Heartbeat()
    if parts & {"clicks", "scrub", "propagate"}:
        viewer, widget = open_annotator()
        if "clicks" in parts or "propagate" in parts:
            # propagation starts from the objects these clicks make on frame 0
            clicks = bench_clicks(widget, args.clicks if "clicks" in parts else 4, beat)
            if "clicks" in parts:
                results["clicks"] = clicks
                _show("clicks", clicks)
        if "propagate" in parts:
            _show("propagate", gui_stalls.propagate(widget, beat, args.propagate_frames), results)
        if "scrub" in parts:
            _show("scrub", gui_stalls.scrub_during_encode(widget, beat, args.jumps), results)
        widget.controller.close_session()
        viewer.close()
    if "autosave" in parts:
        _show("autosave", gui_stalls.autosave(beat, args.autosave_frames), results)
    names = {
        "clicking": "clicking",
        "scrub": "switching frames during a background encode",
        "import": f"importing {args.autosave_frames} labelled 1080p frames",
        "autosave": f"autosaving {args.autosave_frames} dirty 1080p frames",
        "delete": f"deleting an object on {args.autosave_frames} 1080p frames",
        "undo": f"undoing that deletion on {args.autosave_frames} 1080p frames",
        "redo": f"redoing that deletion on {args.autosave_frames} 1080p frames",
        "propagate": "propagating",
    }
    stalls = {names[phase]: summary for phase, summary in beat.by_phase().items()}
    if stalls:
        results["stalls_ms"] = stalls
        results["stall_culprits"] = beat.culprits()
        print(gui_stalls.table(stalls), flush=True)
    if "long" in parts:
        _show("long_video", bench_long_video(args), results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


def _show(name: str, figures: dict[str, Any], results: dict[str, Any] | None = None) -> None:
    """Print one part's figures (and keep them in ``results``)."""
    if results is not None:
        results[name] = figures
    print(json.dumps({name: figures}, indent=2), flush=True)
