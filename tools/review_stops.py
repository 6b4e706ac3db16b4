"""The frames **Review ▶** stops on after a propagation run of the giant-slalom clip.

Usage::

    python tools/review_stops.py [--data DIR] [--frames 40] [--store OUT]

Skis, poles and skier of ``DIR`` (``davis_giant_slalom``: frames and frame 0's masks) are set
from frame 0's masks as a reviewed frame of a fresh session with the ``embedded`` engine and
propagated together over the next ``--frames`` frames. Prints where each object stopped, how
many frames need review and the stops of ``session.review_stops`` with their text;
``--store`` keeps the session in a store there (open it in the widget to look at it).
docs/annotation.md, *After a stop in doubt*, holds its figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.review_stops import review_stops, stop_text
from napari_skipclick.types import FrameStatus

DATA = Path("/work/shared/data/davis_giant_slalom")
NAMES = ("skis", "poles", "skier")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--store", type=Path, help="keep the session in a new store there")
    args = parser.parse_args()
    frames = open_video(args.data / "frames")
    store = None
    if args.store is not None:
        store = AnnotationStore.open_or_create(args.store, frames.info, engine_key="embedded")
    session = AnnotationSession(frames, create_engine("embedded"), store=store)
    start = np.zeros(frames.shape[1:3], session.labels.dtype)
    ids = []
    for name in NAMES:
        ids.append(session.add_object(name=name).id)
        mask = next(args.data.glob(f"masks/00000_obj*_{name}.png"))
        start[np.asarray(Image.open(mask)) == 1] = ids[-1]
    session.labels.set_frame(0, start)
    session.set_status(0, FrameStatus.REVIEWED)
    for step in session.propagate(ids, 0, n_frames=args.frames):
        if step.stopped:
            print(f"{session.object(step.obj_id).name} stopped on frame {step.frame}")
    marked = [t for t, s in session.statuses().items() if s is FrameStatus.NEEDS_REVIEW]
    stops = review_stops(session)
    print(f"{len(marked)} frames need review, {len(stops)} stops of Review")
    for stop in stops:
        print(f"frame {stop.frame}: {stop_text(session, stop)}")
    session.close()


if __name__ == "__main__":
    main()
