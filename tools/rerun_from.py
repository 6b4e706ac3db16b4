"""Propagate a clip, correct one frame in the middle of the run, and propagate again from it.

Usage::

    python tools/rerun_from.py --data DIR [--clips a,b] [--frame 8] [--max-corrections 5]
        [--reopen]

The review workflow (docs/annotation.md, *Propagation*): for each object of each clip of
``DIR`` (``skipclick eval-video``'s layout), frame 0's truth is set on a fresh session with
the ``embedded`` engine and propagated to the last frame in one run; the clicker then corrects
frame ``--frame`` as ``eval-video`` does (clicks until IoU ≥ 0.85, at most
``--max-corrections``), and the object is propagated again from that frame. With
``--reopen`` the first run is saved to a store (in a temporary folder) and the correction and
the second run are made in a session opened from it, as after closing and reopening a
project. Printed per object: the clicks on that frame, its IoU after them, and the mean IoU of
the frames after it from the first run and from the second.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.eval.video_data import VideoClip, clip_names, load_clip
from napari_skipclick.eval.video_protocol import FRAME_IOU, click_until, frame_iou, set_start
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import VideoInfo


def rerun(
    clip: VideoClip, value: int, frame: int, budget: int, reopen: bool = False
) -> tuple[int, float, float, float]:
    """Object ``value`` of ``clip`` run twice: (clicks on ``frame``, its IoU after them, the
    mean IoU of the later frames after the first run, after the second); with ``reopen`` the
    second in a session opened from the store the first was saved to."""
    with tempfile.TemporaryDirectory() as folder:
        return _rerun(clip, value, frame, budget, Path(folder) / "store" if reopen else None)


def _rerun(
    clip: VideoClip, value: int, frame: int, budget: int, store: Path | None
) -> tuple[int, float, float, float]:
    truth = clip.ground_truth(value)
    engine, cache = create_engine("embedded"), FeatureCache()
    frames, (n, height, width) = clip.frames, truth.shape
    video = VideoInfo(str(store), n, height, width, 25.0, "rerun")
    opened = None if store is None else AnnotationStore.open_or_create(store, video)
    session = AnnotationSession(frames, engine, cache=cache, store=opened)
    obj = session.add_object().id
    set_start(session, obj, truth[0] == 1)
    later = range(frame + 1, len(truth))

    def mean_iou() -> float:
        return float(np.mean([frame_iou(truth[t], session.labels.read(t) == obj) for t in later]))

    list(session.propagate([obj], 0))
    first = mean_iou()
    if store is not None:
        session.close()
        opened = AnnotationStore.open(store, readonly=False)
        session = AnnotationSession(frames, engine, cache=cache, store=opened)
    clicks, score = click_until(session, frame, obj, truth[frame], FRAME_IOU, budget)
    list(session.propagate([obj], frame))
    second = mean_iou()
    if store is not None:
        session.close()
    return clicks, score, first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder of clips (eval-video layout)")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--frame", type=int, default=8, help="the frame corrected (default 8)")
    parser.add_argument("--max-corrections", type=int, default=5, help="clicks on it at most")
    parser.add_argument(
        "--reopen", action="store_true", help="correct and run again after reopening the store"
    )
    args = parser.parse_args()
    selected = args.clips.split(",") if args.clips else None
    for name in clip_names(args.data, selected):
        clip = load_clip(f"{args.data}/{name}")
        for value, label in clip.objects.items():
            clicks, score, first, second = rerun(
                clip, value, args.frame, args.max_corrections, args.reopen
            )
            print(
                f"{name:16s} {label:12s} clicks {clicks}  IoU {score:.3f}  "
                f"later frames: first run {first:.3f}  again from frame {args.frame} {second:.3f}"
            )


if __name__ == "__main__":
    main()
