"""``skipclick bench-store``: durable commit of a 1080p frame, store size, export times.

The objects are the three giant-slalom masks of frame 0 (skis, poles, skier) from the test
data when available (else ellipses of the same sizes), moved a little from frame to frame.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MASKS = Path(__file__).resolve().parents[3] / "tests" / "data" / "giant_slalom"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "giant_slalom.mp4"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--commits", type=int, default=15, help="1080p commits to time")
    parser.add_argument(
        "--frames", type=int, default=127, help="annotated frames of the sample clip (max 127)"
    )
    parser.add_argument("--masks", type=Path, default=MASKS, help="folder with 00000_obj*.png")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


def object_masks(folder: Path, height: int = 480, width: int = 854):
    """(3, H, W) bool masks of skis, poles, skier at 854x480."""
    import numpy as np

    files = sorted(folder.glob("00000_obj*.png")) if folder.is_dir() else []
    if len(files) == 3:
        from PIL import Image

        return np.stack([np.array(Image.open(f)) == 1 for f in files])
    yy, xx = np.mgrid[:height, :width]
    shapes = [(300, 420, 3, 20), (260, 420, 30, 2), (250, 420, 35, 13)]  # cy, cx, ry, rx
    return np.stack(
        [((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1 for cy, cx, ry, rx in shapes]
    )


def frame_labels(masks, t: int):
    """Labels of frame ``t``: the objects (ids 1..3) shifted as if the skier moves."""
    import numpy as np

    labels = np.zeros(masks.shape[1:], np.uint32)
    for i, mask in enumerate(masks):
        labels[np.roll(mask, (t // 3, 2 * t), axis=(0, 1))] = i + 1
    return labels


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(work: Path, masks_dir: Path, n_commits: int, n_frames: int) -> dict:
    """Run the three measurements in ``work``; return the figures."""
    import statistics
    import time

    from ..io.export import FORMATS, export_store
    from ..io.store import AnnotationStore
    from ..io.video import open_video
    from ..types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

    masks = object_masks(masks_dir)
    big = masks.repeat(3, axis=1).repeat(3, axis=2)[:, :1080, 115 : 115 + 1920]  # 1080p
    video = VideoInfo("bench-1080p", n_commits, 1080, 1920, 30.0, "bench-1080p")
    times = []
    with AnnotationStore.open_or_create(work / "hd.zarr", video) as store:
        for t in range(n_commits):
            labels = frame_labels(big, t)
            start = time.perf_counter()
            store.commit_frame(
                t, labels, FrameRecord(FrameStatus.CLICKED, {1: [(540.0, 960.0, True, 0.0)]})
            )
            times.append(time.perf_counter() - start)

    objects = [
        ObjectInfo(1, "skis", "ski", (230, 25, 75)),
        ObjectInfo(2, "poles", "pole", (60, 180, 75)),
        ObjectInfo(3, "skier", "person", (0, 130, 200)),
    ]
    with open_video(SAMPLE) as video:  # the real clip, so that exports can write its frames
        sample = video.info
    n_frames = min(n_frames, sample.n_frames)
    path = work / "giant_slalom.zarr"
    with AnnotationStore.open_or_create(path, sample) as store:
        store.write_objects(objects, ["person", "ski", "pole"])
        for t in range(n_frames):
            clicks = {i: [(200.0, 400.0, True, 0.0), (210.0, 405.0, False, 1.0)] for i in (1, 2, 3)}
            store.commit_frame(t, frame_labels(masks, t), FrameRecord(FrameStatus.CLICKED, clicks))
    exports = {}
    for fmt in FORMATS:
        for images in (False, True):
            out = work / f"export-{fmt}-{images}"
            start = time.perf_counter()
            export_store(path, fmt, out, with_images=images)
            name = f"{fmt} with images" if images else f"{fmt} labels only"
            exports[name] = {"seconds": time.perf_counter() - start, "bytes": _dir_size(out)}
    size = _dir_size(path)
    return {
        "commit_1080p_ms": {
            "median": 1000 * statistics.median(times),
            "min": 1000 * min(times),
            "max": 1000 * max(times),
            "n": n_commits,
            "chunk_bytes": (work / "hd.zarr" / "labels" / "c.0.0.0").stat().st_size,
        },
        "sample_store": {
            "frames": n_frames,
            "bytes": size,
            "bytes_per_frame": size / n_frames,
            "labels_bytes": _dir_size(path / "labels"),
            "frame_records_bytes": _dir_size(path / "frames"),
        },
        "exports": exports,
        "object_pixels_480p": [int(m.sum()) for m in masks],
    }


def format_result(result: dict) -> str:
    """Markdown table of the figures."""
    c, s, e = result["commit_1080p_ms"], result["sample_store"], result["exports"]
    rows = [
        "| measurement | value |",
        "| --- | --- |",
        f"| commit one 1080p frame, median of {c['n']} (min-max) | {c['median']:.1f} ms "
        f"({c['min']:.1f}-{c['max']:.1f}) |",
        f"| 1080p labels chunk on disk | {c['chunk_bytes'] / 1024:.1f} KiB |",
        f"| store, {s['frames']} frames 854x480, 3 objects | {s['bytes'] / 1024:.0f} KiB "
        f"({s['bytes_per_frame'] / 1024:.2f} KiB/frame) |",
    ]
    for fmt, figures in e.items():
        rows.append(
            f"| export {fmt}, {s['frames']} frames | {figures['seconds']:.2f} s "
            f"({figures['bytes'] / 1024:.0f} KiB) |"
        )
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    """Measure in ``--dir`` or a temporary folder; print a table, optionally save JSON."""
    import tempfile

    from .reader import machine

    if args.dir is not None and not args.dir.is_dir():
        print(f"skipclick bench-store: --dir {args.dir} is no folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="skipclick-bench-store-", dir=args.dir) as tmp:
        result = measure(Path(tmp), args.masks, args.commits, args.frames)
    result["machine"] = machine()
    print(format_result(result))
    print(
        f"machine: {result['machine']['cpu']}, {result['machine']['cores']} cores", file=sys.stderr
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0
