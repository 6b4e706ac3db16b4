"""Pure propagation of every object of a clip carried together, as the widget carries them.

Usage::

    python tools/carried_together.py --data DIR [--clips a,b] [--alone]

For each clip of ``DIR`` (``skipclick eval-video``'s layout, ``objects.csv`` listing several
objects: ``tools/camera_clip.py`` writes such clips), the ground truth of every object on
frame 0 is set as the reviewed frame of a fresh session with the ``embedded`` engine, and all
the objects are propagated together to the last frame, the widget's default (docs/usage.md).
Each object's mean IoU over frames 1.. and its IoU on the last frame are printed, with its
mask's area over its truth's (mean over the frames, and on the last frame: a mask that swells
scores on a 1-pixel pole about as well as one a pixel off), then the mean per object name
over the clips. ``eval-video`` carries each object alone; ``--alone``
does that here too, for the comparison.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.eval.video_data import VideoClip, clip_names, load_clip
from napari_skipclick.eval.video_protocol import frame_iou
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import FrameStatus


def carried_ious(clip: VideoClip, together: bool) -> dict[int, list[tuple[float, float]]]:
    """Per object value, its IoU on frames 1.. of pure propagation from frame 0's truth, each
    with its mask's area over the truth's."""
    engine, cache = create_engine("embedded"), FeatureCache(max_mib=4096)
    groups = [list(clip.objects)] if together else [[value] for value in clip.objects]
    ious = {}
    for values in groups:
        session = AnnotationSession(clip.frames, engine, cache=cache)
        ids = {value: session.add_object().id for value in values}
        start = np.zeros(clip.masks.shape[1:], session.labels.dtype)
        for value, obj in ids.items():
            start[clip.masks[0] == value] = obj
        session.labels.set_frame(0, start)
        session.set_status(0, FrameStatus.REVIEWED)
        list(session.propagate(list(ids.values()), 0))
        for value, obj in ids.items():
            truth = clip.ground_truth(value)
            masks = [session.labels.read(t) == obj for t in range(1, len(clip.frames))]
            ious[value] = [
                (frame_iou(truth[t], mask), mask.sum() / max((truth[t] == 1).sum(), 1))
                for t, mask in enumerate(masks, start=1)
            ]
    return ious


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder of clips (eval-video layout)")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--alone", action="store_true", help="carry each object alone")
    args = parser.parse_args()
    selected = args.clips.split(",") if args.clips else None
    by_name = defaultdict(list)
    for name in clip_names(args.data, selected):
        clip = load_clip(f"{args.data}/{name}")
        for value, frames in carried_ious(clip, not args.alone).items():
            label = clip.objects[value]
            ious, areas = np.array(frames).T
            by_name[label].append(float(np.mean(ious)))
            print(
                f"{name:16s} {label:12s} mean {np.mean(ious):.3f}  last {ious[-1]:.3f}  "
                f"area/truth mean {np.mean(areas):.2f}  last {areas[-1]:.2f}"
            )
    for label, means in by_name.items():
        print(f"{'all':16s} {label:12s} mean {np.mean(means):.3f}  ({len(means)} clips)")


if __name__ == "__main__":
    main()
