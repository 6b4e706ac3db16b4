"""``skipclick bench-precompute``: frames/s of ``skipclick precompute`` with 1, 2, ... workers.

For each worker count a fresh ``LocalCluster`` (processes, one thread each) encodes the same
frames into a fresh cache folder. Every worker builds its engine before the clock starts, so the
figure is the steady rate: decode, hash, encode and fp16 write of each frame. Cluster start and
engine build are reported beside it. ``--random-weights`` builds the full-size SkipClick
architecture with random weights (no download), which encodes exactly as fast as the real one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..engines.registry import add_engine_arguments, options_from_args


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--video", help="video or frame folder (default: the sample clip)")
    add_engine_arguments(parser, default="embedded")
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="full-size SkipClick with random weights (instead of --engine)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="counts to time")
    parser.add_argument("--frames", default="0:8", help="frames, as precompute takes them (0:8)")
    parser.add_argument("--chunk", type=int, default=2, help="frames per task (2)")
    parser.add_argument("--batch", type=int, default=2, help="frames per encode batch (2)")
    parser.add_argument("--json", help="write the results to this JSON file")


def random_skipclick(device: str | None = None, variant: str = "skipclick") -> Any:
    """Full-size SkipClick of a released ``variant`` with random weights (a worker's engine)."""
    from ..engines.skipclick import SkipClickEngine

    return SkipClickEngine.random(variant, device)


def run(args: argparse.Namespace) -> int:
    """Time the runs and print (and optionally save) frames/s per worker count."""
    from .._sample_data import sample_video_path
    from ..checks import describe_error
    from ..engines.precompute import EngineSpec
    from ..frame_lists import parse_frames
    from ..io.video import VideoError, open_video

    video = str(Path(args.video or sample_video_path()).resolve())
    try:
        if args.random_weights:
            device = getattr(args, "device", None)
            device = None if device in (None, "auto") else device
            factory = f"{__name__}:random_skipclick"
            spec = EngineSpec.of("skipclick", factory=factory, device=device)
        else:
            spec = EngineSpec.of(args.engine, **options_from_args(args))
        frames = parse_frames(args.frames)
        with open_video(video) as clip:
            shape = list(clip.shape)
    except (ValueError, VideoError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {
        "video": str(video),
        "video_shape": shape,
        "engine": "skipclick (random weights)" if args.random_weights else args.engine,
        "frames": args.frames,
        "chunk": args.chunk,
        "batch": args.batch,
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "loadavg_start": os.getloadavg(),
        "runs": [],
    }
    for workers in args.workers:
        try:
            run = _time_run(video, spec, frames, workers, args.chunk, args.batch)
        except Exception as exc:  # the engine or the run failed in a worker: said in one line
            print(f"error: {workers} worker(s): {describe_error(exc)}", file=sys.stderr)
            return 1
        results["runs"].append(run)
        print(
            f"{workers} worker(s): {run['frames']} frames in {run['seconds']:.1f} s = "
            f"{run['frames_per_s']:.3f} frames/s (cluster start {run['start_s']:.1f} s, "
            f"engine build {run['build_s']:.1f} s)"
        )
    results["loadavg_end"] = os.getloadavg()
    print(f"engine key {results['runs'][0]['engine_key']}")
    print(f"load average {results['loadavg_start']} -> {results['loadavg_end']}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


def _time_run(video: str, spec: Any, frames: Any, workers: int, chunk: int, batch: int) -> dict:
    from distributed import Client

    from ..engines.precompute import prepare_worker
    from ..precompute_cli import precompute
    from ..precompute_cluster import local_cluster

    with tempfile.TemporaryDirectory(prefix="skipclick-bench-") as cache:
        began = time.perf_counter()
        with (
            local_cluster(workers, dashboard_address=None) as cluster,  # quiet as it closes
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            started = time.perf_counter()
            addresses = list(client.scheduler_info()["workers"])
            keys = client.gather(
                [
                    client.submit(prepare_worker, spec, cache, workers=[a], pure=False)
                    for a in addresses
                ]
            )
            built = time.perf_counter()
            report = precompute(client, [video], spec, cache, frames, chunk, batch, progress=False)
        if not report.ok:
            raise RuntimeError(f"benchmark run failed: {report.failures or report.stopped}")
    return {
        "workers": workers,
        "frames": report.encoded,
        "seconds": report.seconds,
        "frames_per_s": report.encoded / report.seconds,
        "start_s": started - began,
        "build_s": built - started,
        "engine_key": keys[0],
    }
