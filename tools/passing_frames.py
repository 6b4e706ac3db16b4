"""A propagation run over frames where its object is marked absent: what it encodes, how long.

Usage::

    python tools/passing_frames.py [--engine skipclick-random] [--frames 8] [--absent 3-6]
                                   [--repeats 3] [--json OUT]

The skier of the sample clip is clicked on frame 0 and marked absent (*Not here*) on the
``--absent`` frames (``a-b``); a fresh session (frame 0's features alone encoded) propagates
it over the next ``--frames`` frames, ``--repeats`` times. Prints the frames encoded during a
run and the run's median wall time. ``--engine`` is a registry engine (``embedded``) or
``skipclick-random``: the released SkipClick architecture with random weights, as fast as
the released weights. docs/benchmarks.md, *Session*, holds its figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from napari_skipclick.engines import Engine, create_engine
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click

SAMPLE = Path(__file__).parents[1] / "src" / "napari_skipclick" / "sample_data" / "giant_slalom.mp4"
#: clicks on the skier of the sample clip's frame 0 (854x480)
SKIER = [Click(144, 335, True), Click(188, 358, True)]


def make_engine(name: str) -> Engine:
    """A registry engine, or the SkipClick architecture with random weights on the CPU."""
    if name == "skipclick-random":
        from napari_skipclick.engines.skipclick import SkipClickEngine

        return SkipClickEngine.random("skipclick", "cpu")
    return create_engine(name)


def one_run(frames: np.ndarray, engine: Engine, absent: range) -> tuple[float, list[int]]:
    """Seconds of one propagation run over ``frames`` from frame 0, the skier marked absent on
    the frames ``absent``; and the frames encoded during it."""
    session = AnnotationSession(frames, engine)
    skier = session.add_object(name="skier").id
    session.set_clicks(0, skier, SKIER)
    for t in absent:
        session.mark_absent(t, skier)
    encoded: list[int] = []
    encode = engine.encode

    def recording(image: np.ndarray):
        encoded.extend(t for t in range(len(frames)) if np.array_equal(frames[t], image))
        return encode(image)

    engine.encode = recording
    try:
        start = time.perf_counter()
        for _ in session.propagate([skier], 0, n_frames=len(frames) - 1):
            pass
        return time.perf_counter() - start, sorted(encoded)
    finally:
        engine.encode = encode


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="skipclick-random", help="engine (see above)")
    parser.add_argument("--frames", type=int, default=8, help="frames propagated onto")
    parser.add_argument("--absent", default="3-6", help="frames a-b the skier is marked absent")
    parser.add_argument("--repeats", type=int, default=3, help="runs, each in a fresh session")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    first, last = (int(v) for v in args.absent.split("-"))
    video = open_video(SAMPLE)
    frames = np.stack([np.asarray(video[t]) for t in range(args.frames + 1)])
    engine = make_engine(args.engine)
    runs = [one_run(frames, engine, range(first, last + 1)) for _ in range(args.repeats)]
    seconds = [s for s, _ in runs]
    figures = {"engine": args.engine, "run_s": seconds, "encoded": runs[0][1]}
    print(
        f"{args.engine}: {args.frames} frames, absent on {args.absent}: "
        f"run median {np.median(seconds):.2f} s, encoded frames {runs[0][1]}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
