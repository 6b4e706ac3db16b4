"""Log every step of ``eval-video``'s pure and restart runs on one clip, for ``replay.py``.

Usage::

    OMP_NUM_THREADS=1 python tools/log_steps.py DATA/davis2016_video/CLIP OUT.json
        [--engine embedded] [--restart-every 10]

Each object of the clip is propagated from its true mask on frame 0 to the end (the pure run)
and from every ``--restart-every``-th frame over ``--restart-every`` frames (the restarts), as
``skipclick eval-video --first-frame gt`` does. A row per frame of each run: its J against the
truth, whether the truth is empty there, the step's check (``ok``, ``stopped``, ``reason``) and
the signs a stop rule could read (``quality.assess``): whether the track is in doubt, whether
the engine's mask was refused, the area against the start frame's (``grown``), the colour match,
the area, the start frame's and the one expected (``ShapeHistory.expected``, before the step),
whether it coasted or still seemed hidden.
Frames a run never reached (it stopped) are logged as ``not reached``, scored as an empty mask.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from napari_skipclick.engines import create_engine
from napari_skipclick.eval.video_data import load_clip
from napari_skipclick.eval.video_protocol import frame_iou, set_start
from napari_skipclick.session import AnnotationSession, PropagationSettings, propagation
from napari_skipclick.session.carry import Carried
from napari_skipclick.session.quality import ShapeHistory

SEEN: dict[str, Any] = {}
_ASSESS = propagation.assess


def _logged(
    carried: Carried,
    previous_area: int,
    history: ShapeHistory,
    settings: PropagationSettings,
    hidden: bool = False,
) -> tuple:
    """``quality.assess``, keeping the signs of the step in ``SEEN``."""
    out = _ASSESS(carried, previous_area, history, settings, hidden)
    start = history.areas[0]
    SEEN.update(
        doubtful=bool(out[5]),
        refused=not (carried.from_engine or carried.camera),
        grown=out[1] / start if start else 0.0,
        colour=carried.colour_match,
        area=out[1],
        start_area=start,
        expected=history.expected,
        coasting=bool(carried.coasting or hidden),
    )
    return out


def log_clip(clip_dir: str, engine_name: str = "embedded", every: int = 10) -> list[dict]:
    """The rows of every step of the pure and restart runs on the clip in ``clip_dir``."""
    clip, engine, rows = load_clip(clip_dir), create_engine(engine_name), []
    for value in clip.objects:
        gt = clip.ground_truth(value)
        runs = [(0, None)] + [
            (s, min(every, len(gt) - 1 - s)) for s in range(0, len(gt) - 1, every)
        ]
        for start, n in runs:
            session = AnnotationSession(clip.frames, engine)
            obj = session.add_object().id
            set_start(session, obj, gt[start] == 1, start)
            reached = start
            for step in session.propagate([obj], start, n_frames=n):
                truth = gt[step.frame] == 1
                j = frame_iou(truth, session.labels.read(step.frame) == obj)
                row = dict(run=(start, n), frame=step.frame, j=j, empty=not truth.any())
                row.update(ok=step.ok, stopped=step.stopped, reason=step.reason, **SEEN)
                rows.append(row)
                SEEN.clear()
                reached = step.frame
            for t in range(reached + 1, start + (len(gt) - 1 if n is None else n) + 1):
                empty = not (gt[t] == 1).any()
                rows.append(
                    dict(run=(start, n), frame=t, j=float(empty), empty=empty, ok=True)
                    | dict(stopped=True, reason="not reached")
                )
    return rows


def main() -> None:
    """Log one clip's steps to a JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", help="a clip folder in eval-video's layout")
    parser.add_argument("out", help="the JSON file to write")
    parser.add_argument("--engine", default="embedded")
    parser.add_argument("--restart-every", type=int, default=10)
    args = parser.parse_args()
    propagation.assess = _logged
    rows = log_clip(args.clip, args.engine, args.restart_every)
    with open(args.out, "w") as out:
        json.dump(rows, out)


if __name__ == "__main__":
    main()
