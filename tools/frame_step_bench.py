"""Stepping frames in the widget on a large video: the time of each step on the GUI thread.

Usage (a display is needed: ``xvfb-run -a -s "-screen 0 1600x1000x24"`` without one)::

    python tools/frame_step_bench.py [--size 2160x3840] [--frames 40] [--steps 32] [--labels]
                                     [--pause S] [--profile OUT.prof] [--json OUT]

A synthetic H.264 clip of ``--size`` (``skipclick bench-reader``'s texture under moving discs)
is opened in the annotator (the embedded engine; no features computed, so that no encode
competes with the steps), then the frame slider steps forward ``--steps`` times, one frame
each; a step is ``dims.set_current_step`` and the events it queues (the layers' slicing and
refresh, the widget's handlers, the canvas's draw; the frame itself is decoded by the
display's reader thread). Prints the median and 90th percentile, and the median cost of napari's
second update of the layers in a step (it updates them on two events of one step: the dims'
``point`` and ``current_step``; the second finds nothing to slice); ``--profile`` writes the
steps' cProfile. ``--labels`` annotates every frame first (two objects, saved to a store) and
opens the store again, so that each step shows labels read from the store (what the labels
layer's step costs then); ``--pause`` waits that many seconds between steps, handling events
(a user stepping at a given pace: the background reads ahead have that time). docs/benchmarks.md,
*Widget*, holds its figures.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2160x3840", help="frame size HxW")
    parser.add_argument("--frames", type=int, default=40, help="frames of the clip")
    parser.add_argument("--steps", type=int, default=32, help="steps timed (3 more untimed)")
    parser.add_argument("--profile", type=Path, help="write the steps' cProfile here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between steps")
    parser.add_argument(
        "--labels", action="store_true", help="labels saved on every frame, read from the store"
    )
    args = parser.parse_args(argv)
    from qtpy.QtWidgets import QApplication

    from napari_skipclick.app import open_annotator
    from napari_skipclick.bench.reader import make_clip
    from napari_skipclick.demo import wait_until

    height, width = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "clip.mp4"
        make_clip(video, args.frames, width, height, fps=25, gop=50, seed=0)
        store = str(Path(tmp) / "labels.zarr") if args.labels else None
        if store is not None:
            _label_every_frame(video, store)
        viewer, widget = open_annotator(str(video), store=store, show=False)
        controller = widget.controller
        controller.prefetch = 0
        wait_until(lambda: controller.idle)
        controller.loader.request = lambda *_args, **_kwargs: None  # no encodes
        app = QApplication.instance()

        again: list[float] = []

        def step(t: int) -> float:
            until = time.perf_counter() + args.pause
            while time.perf_counter() < until:  # untimed: the pace of the steps
                app.processEvents()
                time.sleep(0.005)
            start = time.perf_counter()
            viewer.dims.set_current_step(0, t)
            app.processEvents()
            done = time.perf_counter()
            viewer._update_layers()  # napari updates twice a step: what the second one costs
            again.append(1000 * (time.perf_counter() - done))
            return done - start

        last = min(args.steps + 3, args.frames - 1)
        for t in range(1, 4):
            step(t)
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        times = [1000 * step(t) for t in range(4, last + 1)]
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        controller.close_session()
        viewer.close()
    figures = {"size": [height, width], "labels": args.labels, "pause_s": args.pause}
    figures["step_ms"], figures["second_update_ms"] = times, again[-len(times) :]
    what = f"{args.size} with labels" if args.labels else args.size
    print(
        f"{what}: {len(times)} steps, median {np.median(times):.0f} ms, "
        f"p90 {np.percentile(times, 90):.0f} ms; napari's second update of a step, median "
        f"{np.median(figures['second_update_ms']):.1f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def _label_every_frame(video: Path, store: str) -> None:
    """Save two objects on every frame of ``video`` to ``store`` (a disc that moves, a bar)."""
    from napari_skipclick.app import open_annotator

    viewer, widget = open_annotator(str(video), store=store, show=False)
    controller = widget.controller
    labels = controller.session.labels
    disc, bar = (controller.add_object(name=name).id for name in ("disc", "bar"))
    n_frames, height, width = labels.shape
    rows, cols = np.ogrid[:height, :width]
    for t in range(n_frames):
        frame = np.zeros((height, width), np.uint32)
        y, x, r = height / 2, width * (0.2 + 0.6 * t / n_frames), height / 5
        frame[(rows - y) ** 2 + (cols - x) ** 2 < r * r] = disc
        frame[height // 8 : height // 8 + height // 20, :] = bar
        labels.set_frame(t, frame)
    if not controller.flush():
        raise RuntimeError("the labels could not be saved")
    controller.close_session()
    viewer.close()


if __name__ == "__main__":
    main()
