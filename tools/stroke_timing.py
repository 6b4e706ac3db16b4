"""How long painting by hand takes: each dab of a long brush stroke, its end, and its undo.

Usage::

    python tools/stroke_timing.py [--size 2160x3840] [--dabs 300] [--step 6,11] [--frames 1]
                                  [--unfolded]

A session saving to a store (in a temporary folder, as the widget's) of black frames of
``--size``; one stroke of ``--dabs`` dabs (``bench.session.timed_stroke``: each a disk 11 px
across written as napari's Labels layer writes it), from an eighth of the frame's height and
width, each ``--step`` rows and columns from the one before, through ``--frames`` frames at
once (napari's *n edit dim* 3 when more than one). Printed: the median, p95 and the mean of
the last ten dabs' ms, then the ms of ``end_stroke``, the MB its undo record keeps, and the ms
of undoing the stroke (with ``--unfolded``, undone without ``end_stroke``: a patch a dab).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from napari_skipclick.bench.session import timed_stroke
from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import VideoInfo


def _pair(text: str, sep: str) -> tuple[int, int]:
    first, second = text.split(sep)
    return int(first), int(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2160x3840", help="frame height x width")
    parser.add_argument("--dabs", type=int, default=300)
    parser.add_argument("--step", default="6,11", help="rows,columns between dabs")
    parser.add_argument("--frames", type=int, default=1, help="frames each dab paints")
    parser.add_argument(
        "--unfolded", action="store_true", help="undo without ending the stroke first"
    )
    args = parser.parse_args()
    (h, w), (dy, dx), n = _pair(args.size, "x"), _pair(args.step, ","), args.frames
    frames = np.zeros((max(n, 2), h, w, 3), np.uint8)
    video = VideoInfo("black.mp4", len(frames), h, w, 25.0, "black")
    with tempfile.TemporaryDirectory() as tmp:
        store = AnnotationStore.open_or_create(Path(tmp) / "s.zarr", video)
        session = AnnotationSession(frames, create_engine("embedded"), store=store)
        obj = session.add_object().id
        stroke, times = timed_stroke(session, obj, args.dabs, (h // 8, w // 8), (dy, dx), n)
        start = time.perf_counter()
        if not args.unfolded:
            session.end_stroke(stroke)
        ended = time.perf_counter()
        kept = sum(edit.nbytes for edit in session.history.next_edits()) / 1e6
        session.undo()
        undone = time.perf_counter()
        store.close()
    ms = np.array(times) * 1e3
    print(
        f"{h}x{w}, {args.dabs} dabs through {n} frame(s): dab median {np.median(ms):.2f} ms, "
        f"p95 {np.percentile(ms, 95):.2f} ms, last ten {ms[-10:].mean():.2f} ms; "
        f"end {1e3 * (ended - start):.1f} ms, undo record {kept:.2f} MB; "
        f"undo {1e3 * (undone - ended):.1f} ms"
    )


if __name__ == "__main__":
    main()
