"""One propagation step from the ground truth: the mean IoU per clip, for propagation settings.

Usage::

    python tools/one_step.py --data DIR [--clips a,b] [--every 5] [SETTING=VALUE ...]

For every ``--every``-th frame of each clip (``eval-video``'s data layout, object 1), the
ground-truth mask is set as a reviewed frame of a fresh session with the ``embedded`` engine and
propagated one frame; the IoU with the next frame's ground truth is averaged. Unlike the full
protocol of ``skipclick eval-video``, where each frame starts from the last, one frame's luck
does not carry into the next, so a change to one step shows as it is. Settings are
``PropagationSettings`` fields (``engine_weight=0.4``) or, prefixed ``motion.``, its
``MotionSettings`` fields (``motion.radius=9``); several give one run each with the defaults
first.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.eval.video_data import clip_names, load_clip
from napari_skipclick.eval.video_protocol import frame_iou, set_start
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.motion import MotionSettings


def settings_of(change: str) -> PropagationSettings:
    """``PropagationSettings`` with one ``NAME=VALUE`` (``motion.NAME=VALUE``) changed."""
    if not change:
        return PropagationSettings()
    name, _, text = change.partition("=")
    motion = name.startswith("motion.")
    target = MotionSettings() if motion else PropagationSettings()
    field = name.removeprefix("motion.")
    if not text or field not in {f.name for f in dataclasses.fields(target)}:
        raise ValueError(f"{change!r} is no {type(target).__name__} field = value")
    kind = type(getattr(target, field))
    value = text if kind is str else kind(text)
    if motion:
        return PropagationSettings(motion=dataclasses.replace(target, **{field: value}))
    return dataclasses.replace(target, **{field: value})


def one_step_ious(clip, every: int, settings: PropagationSettings, cache: FeatureCache):
    """IoU after one step from the ground truth of frames 0, every, 2·every, ..."""
    engine = create_engine("embedded")
    truth = clip.ground_truth(1)
    ious = []
    for start in range(0, len(truth) - 1, every):
        session = AnnotationSession(clip.frames, engine, cache=cache)
        obj = session.add_object().id
        set_start(session, obj, truth[start] == 1, start)
        for _ in session.propagate([obj], start, n_frames=1, settings=settings):
            pass
        ious.append(frame_iou(truth[start + 1], session.labels.read(start + 1) == obj))
    return ious


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder of clips (eval-video layout)")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--every", type=int, default=5, help="start from every N-th frame")
    parser.add_argument("changes", nargs="*", help="SETTING=VALUE, one run each")
    args = parser.parse_args()
    try:
        runs = {change: settings_of(change) for change in ["", *args.changes]}
    except ValueError as error:
        parser.error(str(error))
    selected = args.clips.split(",") if args.clips else None
    for name in clip_names(args.data, selected):
        clip = load_clip(f"{args.data}/{name}")
        cache = FeatureCache(max_mib=8192)  # the clip's features, shared by the runs
        for change, settings in runs.items():
            ious = one_step_ious(clip, args.every, settings, cache)
            print(f"{name:12s} {change or 'defaults':28s} {np.mean(ious):.4f}", flush=True)


if __name__ == "__main__":
    main()
