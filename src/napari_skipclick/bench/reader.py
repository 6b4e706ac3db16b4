"""``skipclick bench-reader``: time to first frame, random and sequential frame times, peak RSS.

Generates a synthetic 1080p H.264 clip (panning texture and moving shapes) in a temporary folder,
or uses ``--video``, and measures the lazy reader in a fresh child process so that the peak RSS
is the reader's own.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--frames", type=int, default=200, help="random accesses to time")
    parser.add_argument("--sequential", type=int, default=300, help="frames read in order")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of generated clip")
    parser.add_argument("--fps", type=int, default=30, help="frame rate of generated clip")
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT of generated clip")
    parser.add_argument("--gop", type=int, default=60, help="keyframe interval of generated clip")
    parser.add_argument("--video", type=Path, help="benchmark this video instead of generating")
    parser.add_argument("--keep-video", type=Path, help="write the generated clip here and keep it")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the content and access order")


def run(args: argparse.Namespace) -> int:
    """Generate (or take) the clip, measure it in a child process, print and save the figures."""
    import multiprocessing
    import tempfile
    import time

    with tempfile.TemporaryDirectory(prefix="skipclick-bench-") as tmp:
        video = args.video
        generated = None
        if video is None:
            width, height = (int(v) for v in args.size.lower().split("x"))
            video = args.keep_video or Path(tmp) / f"synthetic_{width}x{height}.mp4"
            n_frames = round(args.seconds * args.fps)
            print(f"encoding {n_frames} frames of {width}x{height} H.264 ...", flush=True)
            start = time.perf_counter()
            make_clip(video, n_frames, width, height, fps=args.fps, gop=args.gop, seed=args.seed)
            generated = {"encode_s": time.perf_counter() - start, "gop": args.gop}
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            result = pool.apply(measure, (str(video), args.frames, args.sequential, args.seed))
    result["generated"] = generated
    result["machine"] = machine()
    print(format_result(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0


def make_clip(
    path: Path, n_frames: int, width: int, height: int, *, fps: int, gop: int, seed: int
) -> None:
    """Write a synthetic H.264 clip: a grainy textured background panning under moving discs."""
    from fractions import Fraction

    import av
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 240, (height // 4 + 2, width // 4 + 2, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)[:height, :width]
    texture = np.concatenate([texture, texture[:, ::-1]], axis=1)  # seamless when panning
    grain = rng.integers(0, 16, (4, height, width, 3), dtype=np.uint8)  # sensor noise
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18"}
        stream.codec_context.gop_size = gop
        for t in range(n_frames):
            shift = (t * 6) % width
            frame = texture[:, shift : shift + width] + grain[t % 4]
            for k in range(3):
                cy = int(height / 2 + height / 3 * np.sin(t / (20 + 7 * k) + k))
                cx = int((t * (8 + 5 * k)) % width)
                y0, y1 = max(cy - 60, 0), min(cy + 60, height)
                x0, x1 = max(cx - 60, 0), min(cx + 60, width)
                disc = (yy[y0:y1, x0:x1] - cy) ** 2 + (xx[y0:y1, x0:x1] - cx) ** 2 < 3600
                frame[y0:y1, x0:x1][disc] = (255 * (k == 0), 255 * (k == 1), 255 * (k == 2))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))


def measure(path: str, n_random: int, n_sequential: int, seed: int) -> dict:
    """Time the reader on ``path`` (run in a fresh process; peak RSS is this process's)."""
    import resource
    import time

    import numpy as np

    from napari_skipclick.io.video import open_video

    tic = time.perf_counter()
    import av  # noqa: F401  (imported once per process by the reader; timed apart)

    import_ms = 1e3 * (time.perf_counter() - tic)
    rss_before = _rss_mib()
    start = time.perf_counter()
    video = open_video(path)
    opened = time.perf_counter()
    video[0]
    first = time.perf_counter()
    info = video.info
    video.close()
    fresh = open_video(path, cache_bytes=0)
    rng = np.random.default_rng(seed)
    random_ms, random_cpu_ms = [], []
    for t in rng.integers(0, len(fresh), n_random):
        tic, cpu = time.perf_counter(), time.process_time()
        fresh[int(t)]
        random_ms.append(1e3 * (time.perf_counter() - tic))
        random_cpu_ms.append(1e3 * (time.process_time() - cpu))
    fresh.close()
    sequential = open_video(path)  # default frame cache, as napari uses it
    n_seq = min(n_sequential, len(sequential))
    seq_ms = []
    for t in range(n_seq):
        tic = time.perf_counter()
        sequential[t]
        seq_ms.append(1e3 * (time.perf_counter() - tic))
    sequential.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "video": {
            "path": path,
            "bytes": Path(path).stat().st_size,
            "n_frames": info.n_frames,
            "width": info.width,
            "height": info.height,
            "fps": info.fps,
        },
        "import_av_ms": import_ms,
        "open_ms": 1e3 * (opened - start),
        "first_frame_ms": 1e3 * (first - start),
        "random_ms": _summary(random_ms),
        "random_cpu_ms": _summary(random_cpu_ms),
        "random_seeks": fresh.n_seeks,
        "sequential_ms": _summary(seq_ms[1:]),
        "sequential_frames": n_seq,
        "sequential_seeks": sequential.n_seeks,
        "rss_before_open_mib": rss_before,
        "peak_rss_mib": peak_mib,
    }


def _summary(values_ms: list[float]) -> dict:
    import numpy as np

    values = np.asarray(values_ms) if values_ms else np.zeros(1)
    return {
        "n": len(values_ms),
        "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)),
        "mean": float(values.mean()),
        "max": float(values.max()),
    }


def _rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine() -> dict:
    """CPU, core count, Python, PyAV and FFmpeg versions."""
    import os
    import platform

    import av

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "av": av.__version__,
        "ffmpeg": av.ffmpeg_version_info,
    }


def format_result(result: dict) -> str:
    """Human-readable summary of ``measure``'s result."""
    video, rnd, seq = result["video"], result["random_ms"], result["sequential_ms"]
    lines = [
        f"video: {video['width']}x{video['height']}, {video['n_frames']} frames, "
        f"{video['fps']:g} fps, {video['bytes'] / 1e6:.1f} MB",
        f"open (index scan + frame 0): {result['open_ms']:.0f} ms; "
        f"time to first frame: {result['first_frame_ms']:.0f} ms "
        f"(+ {result['import_av_ms']:.0f} ms to import PyAV once per process)",
        f"random access ({rnd['n']} frames): median {rnd['median']:.1f} ms, "
        f"p90 {rnd['p90']:.1f} ms, max {rnd['max']:.1f} ms "
        f"(CPU time, all decoder threads: median {result['random_cpu_ms']['median']:.1f} ms)",
        f"sequential ({seq['n']} frames): median {seq['median']:.1f} ms/frame, "
        f"mean {seq['mean']:.1f} ms/frame, seeks {result['sequential_seeks']}",
        f"RSS before open {result['rss_before_open_mib']:.0f} MiB, peak "
        f"{result['peak_rss_mib']:.0f} MiB (one reader open at a time, default frame cache)",
        f"machine: {result['machine']['cpu']}, {result['machine']['cores']} cores",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    configure(parser)
    sys.exit(run(parser.parse_args()))
