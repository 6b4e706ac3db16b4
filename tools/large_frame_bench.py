"""Encode and per-click decode of the embedded engine on a large frame, for several ``max_side``.

Usage::

    python tools/large_frame_bench.py [--video V] [--size 2160x3840] [--max-side 1280,0]
                                      [--clicks 5] [--propagate 3] [--json OUT]

A frame of the sample video (or ``--video``) is resized to ``--size`` (4K by default) and
encoded once per ``max_side``; then, after one untimed decode, ``--clicks`` clicks on the
skier are decoded one after the other, each with the answer before as prior, as in the
widget. Then the skier is propagated over the next ``--propagate`` frames by an annotation
session whose features are encoded beforehand (as the widget's precompute does), each step
timed. torch, which the engine imports in the first encode of a large frame (once per
process), is imported before any timing. Prints the encode time, the decode and step medians
and the mask's size, and how far each mask is from the first setting's (IoU).
docs/engines.md, *Large frames*, holds its figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch  # noqa: F401  (the engine loads it once, in its first large encode: not timed here)

from napari_skipclick.engines import create_engine
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click

SAMPLE = Path(__file__).parents[1] / "src" / "napari_skipclick" / "sample_data" / "giant_slalom.mp4"
#: clicks on the skier of the sample video's frame 0, in fractions of the frame's height and width
SKIER = [(0.326, 0.396, True), (0.29, 0.395, True), (0.37, 0.39, True), (0.30, 0.45, False)]


def skier_clicks(shape: tuple[int, int], clicks: int) -> list[Click]:
    """``clicks`` clicks on the skier (``SKIER``, repeated as needed) in a frame of ``shape``."""
    height, width = shape
    chosen = [Click(y * (height - 1), x * (width - 1), p) for y, x, p in SKIER]
    return (chosen * (clicks // len(chosen) + 1))[:clicks]


def run(frame: np.ndarray, max_side: int, clicks: int) -> dict:
    """Time one encode and ``clicks`` decodes of ``frame`` with the embedded engine."""
    engine = create_engine("embedded", max_side=max_side)
    start = time.perf_counter()
    features = engine.encode(frame)
    encode_ms = 1000 * (time.perf_counter() - start)
    height, width = frame.shape[:2]
    chosen = skier_clicks((height, width), clicks)
    prior = np.zeros((height, width), np.float32)
    engine.decode(features, chosen[:1], prior)  # untimed: first-call imports and setup
    times = []
    for n in range(1, clicks + 1):
        start = time.perf_counter()
        prior = engine.decode(features, chosen[:n], prior)
        times.append(1000 * (time.perf_counter() - start))
    return {
        "max_side": max_side,
        "grid": list(features.arrays["labels"].shape),
        "encode_ms": encode_ms,
        "decode_ms_median": float(np.median(times)),
        "decode_ms": times,
        "mask": prior > 0.5,
    }


def propagation_ms(frames: np.ndarray, max_side: int, clicks: int) -> list[float]:
    """Milliseconds of each step that carries the skier, clicked on frame 0 of ``frames``, over
    the next frames (their features encoded before any timing)."""
    session = AnnotationSession(frames, create_engine("embedded", max_side=max_side))
    skier = session.add_object(name="skier").id
    for t in range(len(frames)):
        session.features(t)
    session.set_clicks(0, skier, skier_clicks(frames.shape[1:3], clicks))
    times, start = [], time.perf_counter()
    for _ in session.propagate([skier], 0, n_frames=len(frames) - 1):
        now = time.perf_counter()
        times.append(1000 * (now - start))
        start = now
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SAMPLE, help="video (frame 0 is used)")
    parser.add_argument("--size", default="2160x3840", help="frame size HxW to resize to")
    parser.add_argument("--max-side", default="1280,0", help="comma-separated max_side values")
    parser.add_argument("--clicks", type=int, default=5, help="clicks decoded one after another")
    parser.add_argument("--propagate", type=int, default=3, help="frames the skier is carried")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    from skimage.transform import resize

    height, width = (int(v) for v in args.size.lower().split("x"))
    video = open_video(args.video)
    frames = np.stack(
        [
            (resize(np.asarray(video[t]), (height, width), order=1) * 255).astype(np.uint8)
            for t in range(args.propagate + 1)
        ]
    )
    results = [run(frames[0], int(v), args.clicks) for v in args.max_side.split(",")]
    first = results[0]["mask"]
    for result in results:
        mask = result.pop("mask")
        union = (mask | first).sum()
        result["mask_pixels"] = int(mask.sum())
        result["iou_with_first"] = float((mask & first).sum() / union) if union else 1.0
        steps = propagation_ms(frames, result["max_side"], args.clicks) if args.propagate else []
        result["step_ms"] = steps
        result["step_ms_median"] = float(np.median(steps)) if steps else None
        grid = "x".join(str(n) for n in result["grid"])
        step = f"  step median {np.median(steps):6.0f} ms" if steps else ""
        print(
            f"max_side {result['max_side']:>5}  grid {grid}"
            f"  encode {result['encode_ms']:8.0f} ms"
            f"  decode median {result['decode_ms_median']:6.0f} ms{step}"
            f"  mask {result['mask_pixels']:,} px"
            f"  IoU with the first {result['iou_with_first']:.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"size": [height, width], "results": results}, indent=1))


if __name__ == "__main__":
    main()
