"""``skipclick bench-gui``: the widget in a real viewer (needs a display, e.g. Xvfb).

1. Click latency: a point added to "SkipClick prompts" until "SkipClick labels" shows the new
   mask (features cached, embedded engine, sample video), against the engine's bare decode of
   the same clicks.
2. Event-loop stalls: the largest gap of a 10 ms ``QTimer`` heartbeat while frames are encoded
   in the background after jumps of the time slider.
3. Memory on a long video: process RSS while visiting and clicking frames spread over a
   generated 1080p clip (``--long-seconds``, default 10 minutes), with the feature cache
   bounded by ``--cache-mib``; prefetch is off so each visit encodes one frame.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from pathlib import Path
from typing import Any

#: clicks (row, column, positive) on the skier of frame 0 of the sample video, cycled
SKIER_CLICKS = ((144, 335, True), (134, 363, False), (188, 358, True), (170, 350, False))


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--clicks", type=int, default=30, help="clicks timed")
    parser.add_argument("--jumps", type=int, default=8, help="frame jumps while encoding")
    parser.add_argument("--long-seconds", type=float, default=600.0, help="long clip length")
    parser.add_argument("--long-fps", type=int, default=25, help="long clip frame rate")
    parser.add_argument("--visits", type=int, default=16, help="frames visited on the long clip")
    parser.add_argument(
        "--cache-mib", type=float, default=256.0, help="feature cache bound for the long clip"
    )
    parser.add_argument(
        "--parts", default="clicks,stalls,long", help="comma-separated parts to run"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


def _rss_mib() -> float:
    """Resident memory of this process in MiB (Linux /proc)."""
    import os

    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "max": ordered[-1],
        "n": len(ordered),
    }


def bench_clicks(widget: Any, n_clicks: int) -> dict[str, Any]:
    """Median time from ``layer.add`` to the labels layer refreshed, and the bare decode time."""
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
    for i in range(n_clicks):
        if i % len(SKIER_CLICKS) == 0:
            controller.add_object(name=f"skier {i}")
        y, x, positive = SKIER_CLICKS[i % len(SKIER_CLICKS)]
        clicks = [*session.clicks(0, controller.current_object), Click(y, x, positive)]
        prior = (np.asarray(session.labels[0]) == controller.current_object).astype(np.float32)
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
    session.compute = compute
    ms = 1000.0
    latency = _stats([v * ms for v in latencies])
    decode = _stats([v * ms for v in decodes])
    return {
        "click_to_labels_ms": latency,
        "decode_ms": decode,
        "overhead_ms_median": latency["median"] - decode["median"],
        "layer_add_call_ms": _stats([v * ms for v in add_calls]),
        "session_compute_ms": _stats([v * ms for v in computes]),
    }


def bench_stalls(widget: Any, jumps: int) -> dict[str, Any]:
    """Largest gap between 10 ms heartbeats while the time slider jumps to unencoded frames."""
    from qtpy.QtCore import QTimer

    from ..demo import wait_until

    controller = widget.controller
    beats: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    n_frames = controller.session.n_frames
    encoded_before = len(controller.session.cache)
    timer.start()
    start = time.perf_counter()
    for j in range(jumps):
        controller.go_to_frame(int((j + 1) * (n_frames - 5) / (jumps + 1)))
        wait_until(lambda: True)
        time.sleep(0.05)
    wait_until(lambda: controller.idle)
    timer.stop()
    gaps = [(b - a) * 1000.0 for a, b in itertools.pairwise(beats)]
    return {
        "seconds": time.perf_counter() - start,
        "frames_encoded": len(controller.session.cache) - encoded_before,
        "heartbeat_gap_ms": _stats(gaps),
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
        rss_before = _rss_mib()
        viewer, widget = open_annotator(str(video))
        widget.setup_panel.cache_spin.setValue(int(args.cache_mib))
        widget._apply_cache_settings()
        controller = widget.controller
        controller.prefetch = 0
        wait_until(lambda: controller.idle)
        rss = [_rss_mib()]
        for k in range(args.visits):
            t = int(k * (n_frames - 1) / max(args.visits - 1, 1))
            controller.go_to_frame(t)
            controller.layers.prompts.add([540, 960])
            wait_until(lambda: controller.idle)
            rss.append(_rss_mib())
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
    """Run the three parts and print (and optionally save) the figures."""
    import platform

    import torch

    from ..app import open_annotator

    torch.set_num_threads(2)
    parts = {p.strip() for p in args.parts.split(",")}
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"threads, {platform.system()}",
    }
    if parts & {"clicks", "stalls"}:
        viewer, widget = open_annotator()
        if "clicks" in parts:
            results["clicks"] = bench_clicks(widget, args.clicks)
            print(json.dumps(results["clicks"], indent=2), flush=True)
        if "stalls" in parts:
            results["stalls"] = bench_stalls(widget, args.jumps)
            print(json.dumps(results["stalls"], indent=2), flush=True)
        widget.controller.close_session()
        viewer.close()
    if "long" in parts:
        results["long_video"] = bench_long_video(args)
        print(json.dumps(results["long_video"], indent=2), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0
