"""Stepping frames in the widget on a large video: the time of each step on the GUI thread.

Usage (a display is needed: ``xvfb-run -a -s "-screen 0 1600x1000x24"`` without one)::

    python tools/frame_step_bench.py [--size 2160x3840] [--frames 40] [--steps 32]
                                     [--profile OUT.prof] [--json OUT]

A synthetic H.264 clip of ``--size`` (``skipclick bench-reader``'s texture under moving discs)
is opened in the annotator (the embedded engine; no features computed, so that no encode
competes with the steps), then the frame slider steps forward ``--steps`` times, one frame
each; a step is ``dims.set_current_step`` and the events it queues (the layers' slicing and
refresh, the widget's handlers, the canvas's draw; the frame itself is decoded by the
display's reader thread). Prints the median and 90th percentile; ``--profile`` writes the
steps' cProfile. docs/benchmarks.md, *Widget*, holds its figures.
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
    args = parser.parse_args(argv)
    from qtpy.QtWidgets import QApplication

    from napari_skipclick.app import open_annotator
    from napari_skipclick.bench.reader import make_clip
    from napari_skipclick.demo import wait_until

    height, width = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "clip.mp4"
        make_clip(video, args.frames, width, height, fps=25, gop=50, seed=0)
        viewer, widget = open_annotator(str(video), show=False)
        controller = widget.controller
        controller.prefetch = 0
        wait_until(lambda: controller.idle)
        controller.loader.request = lambda *_args, **_kwargs: None  # no encodes
        app = QApplication.instance()

        def step(t: int) -> float:
            start = time.perf_counter()
            viewer.dims.set_current_step(0, t)
            app.processEvents()
            return time.perf_counter() - start

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
    figures = {"size": [height, width], "step_ms": times}
    print(
        f"{args.size}: {len(times)} steps, median {np.median(times):.0f} ms, "
        f"p90 {np.percentile(times, 90):.0f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
