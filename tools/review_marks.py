"""How well the *needs review* marks of pure propagation point at the frames that failed.

Usage::

    python tools/review_marks.py --data DIR [--clips a,b] [--frames N] [--together]
        [--accept] [--line-scores] [--json OUT] [--save DIR]
    python tools/review_marks.py --images FOLDER --labels LABELS --names skis,poles,skier
        [--frames N] [--json OUT]

For each clip of ``DIR`` (``skipclick eval-video``'s layout) the ground truth of frame 0 is
set as the reviewed start of a fresh session with the ``embedded`` engine and propagated
without corrections through the first ``--frames`` frames, each object alone as
``eval-video`` carries it, or all of the clip's objects together as the widget does
(``--together``). Every step prints its frame, object, IoU with the truth, whether the frame
was marked *needs review* for the object and the kind of its reason (``review_stops.KINDS``),
with the pixels a line object's budget held back (``Carried.held_back``) and its area.

A step **failed** when its IoU is below 0.5 or fell by 0.15 or more from the frame before
(frame 0: the truth, IoU 1): a mask that lost the object, or one that just lost much of it.
Precision is the share of marked steps that failed, recall the share of failed steps marked,
per clip and object; per kind of reason, its marks and how many of them are on failed steps.
``--accept`` then accepts the frames marked, one after the other in frame order as N and Enter
do (``set_status`` *reviewed*), and counts the accepts it took: a frame an earlier accept
settled (``session.accepted``) takes none. ``--save DIR`` writes each frame's labels there
(with ``--together``: the session's ids, in the order of the objects).
``--line-scores`` prints, for each step whose object of lines the camera's map carried
(``carry.MAPPED``), the scores ``line_support.line_support`` gives its carried mask (on the
ridge: over the best one-pixel move; strength: over the frame before; the share covered),
whether the frame showed it on its line (``Carried.on_line``), the IoU, whether the step
failed and whether it is marked; then how many good and failed such steps are on their line.

With ``--images`` and ``--labels`` (a folder of frames and frame 0's label image, objects
1..K named by ``--names``) there is no truth beyond frame 0: only the marks are counted.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.eval.video_data import VideoClip, clip_names, load_clip
from napari_skipclick.eval.video_protocol import frame_iou
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession, propagation
from napari_skipclick.session.line_support import line_support
from napari_skipclick.session.review_stops import reason_kind
from napari_skipclick.shapes import skeleton_length
from napari_skipclick.types import FrameStatus

#: a step failed below this IoU ...
LOST_IOU = 0.5
#: ... or when its IoU fell by this much from the frame before
DROP = 0.15


def kind(reason: str | None) -> str | None:
    """The kind of a review reason (``review_stops.reason_kind``; None: the frame passed)."""
    if reason is None:
        return None
    return reason_kind(reason) or "other"


#: the line scores of each carried mask the map placed, by the id of its ``prior``
_SCORED: dict[int, tuple[float, float, float] | None] = {}
#: ... and by (frame, id) once written: (ridge, strength, covered) or None, and ``on_line``
LINES: dict[tuple[int, int], tuple[tuple[float, float, float] | None, bool]] = {}


#: the pixels each step's line budget held back (``Carried.held_back``), by (frame, id)
HELD: dict[tuple[int, int], int] = {}


def _watch_writes() -> None:
    """Record into ``HELD`` the pixels each written step's line budget held back, and into
    ``LINES`` its line scores where the map carried it (once)."""
    write = propagation._write
    if getattr(write, "watched", False):
        return

    def watched(session, obj_id, t, carrying, *args, **kwargs):
        HELD[(t, obj_id)] = int(carrying.carried.held_back)
        if (prior := id(carrying.carried.prior)) in _SCORED:
            LINES[(t, obj_id)] = _SCORED.pop(prior), carrying.carried.on_line
        return write(session, obj_id, t, carrying, *args, **kwargs)

    watched.watched = True
    propagation._write = watched


def _watch_lines() -> None:
    """Record into ``_SCORED`` the line scores of each carry the map placed (once)."""
    carry = propagation.carry_object
    if getattr(carry, "watched", False):
        return

    def watched(previous_image, image, previous, moved, features, engine, settings, *rest):
        carried = carry(previous_image, image, previous, moved, features, engine, settings, *rest)
        if moved.mapped:
            mask = carried.probabilities > 0.5  # as ``carry_object`` asks ``on_its_line``
            scores = line_support(previous_image, image, previous, mask, settings.thin)
            _SCORED[id(carried.prior)] = scores
        return carried

    watched.watched = True
    propagation.carry_object = watched


#: per clip, the frames marked and the accepts they took (``--accept``: ``accept_marked``)
ACCEPTS: dict[str, list[int]] = {}


def accept_marked(session: AnnotationSession) -> tuple[int, int]:
    """Accept each frame marked *needs review*, in frame order, that still is when its turn
    comes; returns the frames marked and the accepts taken."""
    marked = [t for t, s in session.statuses().items() if s == FrameStatus.NEEDS_REVIEW]
    accepts = 0
    for t in marked:
        if session.status(t) == FrameStatus.NEEDS_REVIEW:
            session.set_status(t, FrameStatus.REVIEWED)
            accepts += 1
    return len(marked), accepts


def run_clip(
    clip: VideoClip, together: bool, truth: bool, save: str | None = None, accept: bool = False
) -> list[dict]:
    """The steps of pure propagation of ``clip``'s objects from frame 0's truth; with
    ``save``, each frame's labels go there as PNG (``CLIP_FRAME.png``, the session's ids);
    with ``accept``, the marked frames are accepted after (``accept_marked``, ``ACCEPTS``)."""
    engine, cache = create_engine("embedded"), FeatureCache(max_mib=4096)
    groups = [list(clip.objects)] if together else [[value] for value in clip.objects]
    _watch_writes()
    _watch_lines()
    rows = []
    for values in groups:
        HELD.clear()
        LINES.clear()
        session = AnnotationSession(clip.frames, engine, cache=cache)
        ids = {session.add_object().id: value for value in values}
        start = np.zeros(clip.masks.shape[1:], session.labels.dtype)
        for obj, value in ids.items():
            start[clip.masks[0] == value] = obj
        session.labels.set_frame(0, start)
        session.set_status(0, FrameStatus.REVIEWED)
        before = dict.fromkeys(ids, 1.0)
        for step in session.propagate(list(ids), 0):
            if not step.written:
                continue
            value = ids[step.obj_id]
            score = None
            mask = session.labels.read(step.frame) == step.obj_id
            if truth:
                score = frame_iou(clip.ground_truth(value)[step.frame], mask)
            failed = None
            if score is not None:
                failed = score < LOST_IOU or before[step.obj_id] - score >= DROP
                before[step.obj_id] = score
            line, on_line = LINES.get((step.frame, step.obj_id), (None, None))
            rows.append(
                {
                    "clip": clip.name,
                    "object": clip.objects[value],
                    "frame": step.frame,
                    "iou": None if score is None else round(score, 4),
                    "failed": failed,
                    "marked": not step.ok,
                    "kind": kind(step.reason) if not step.ok else None,
                    "reason": step.reason,
                    "area": step.area,
                    "held_back": HELD.get((step.frame, step.obj_id), 0),
                    "length": skeleton_length(mask),
                    "stopped": step.stopped,
                    "mapped": on_line is not None,
                    "line": None if line is None else [round(v, 4) for v in line],
                    "on_line": on_line,
                }
            )
        if accept:
            counts = ACCEPTS.setdefault(clip.name, [0, 0])
            counts[:] = np.add(counts, accept_marked(session)).tolist()
        if save is not None:
            Path(save).mkdir(parents=True, exist_ok=True)
            for t in range(len(clip.frames)):
                labels = session.labels.read(t).astype(np.uint8)
                Image.fromarray(labels).save(Path(save) / f"{clip.name}_{t:05d}.png")
    return rows


def scores(rows: list[dict]) -> dict:
    """Marks, failures, precision and recall of ``rows``."""
    marked = [r for r in rows if r["marked"]]
    failed = [r for r in rows if r["failed"]]
    hits = [r for r in marked if r["failed"]]
    return {
        "steps": len(rows),
        "marked": len(marked),
        "failed": len(failed),
        "hits": len(hits),
        "precision": round(len(hits) / len(marked), 3) if marked else None,
        "recall": round(len(hits) / len(failed), 3) if failed else None,
    }


def report(rows: list[dict], truth: bool) -> dict:
    """Print each step and the scores; returns the scores."""
    for r in rows:
        iou = "  -  " if r["iou"] is None else f"{r['iou']:.3f}"
        flag = "FAIL" if r["failed"] else "    "
        mark = f"{r['kind']}: {r['reason']}" if r["marked"] else ""
        held = f" held {r['held_back']}" if r["held_back"] else ""
        print(
            f"{r['clip']:12s} {r['object']:8s} {r['frame']:3d} {iou} {flag} "
            f"area {r['area']:6d}{held}  {mark}"
        )
    summary: dict = {"by_object": {}, "by_kind": {}}
    by_object = defaultdict(list)
    for r in rows:
        by_object[f"{r['clip']}/{r['object']}"].append(r)
    for name, group in by_object.items():
        summary["by_object"][name] = scores(group)
    summary["all"] = scores(rows)
    kinds = Counter(r["kind"] for r in rows if r["marked"])
    for name, count in kinds.most_common():
        group = [r for r in rows if r["kind"] == name]
        summary["by_kind"][name] = {
            "marks": count,
            "on_failed": sum(bool(r["failed"]) for r in group),
        }
    print()
    for name, s in [*summary["by_object"].items(), ("all", summary["all"])]:
        line = f"{name:24s} steps {s['steps']:3d}  marked {s['marked']:3d}"
        if truth:
            line += (
                f"  failed {s['failed']:3d}  marked&failed {s['hits']:3d}  "
                f"precision {s['precision']}  recall {s['recall']}"
            )
        print(line)
    for name, s in summary["by_kind"].items():
        extra = f"  on failed steps {s['on_failed']}" if truth else ""
        print(f"kind {name:12s} marks {s['marks']:3d}{extra}")
    return summary


def line_report(rows: list[dict]) -> dict:
    """Print each step the map carried with its line scores; returns how many good and failed
    such steps there are and how many of each the frame showed on their line."""
    mapped = [r for r in rows if r["mapped"]]
    for r in mapped:
        iou = "  -  " if r["iou"] is None else f"{r['iou']:.3f}"
        line = "ridge   -   strength   -   covered   -  "
        if r["line"] is not None:
            line = "ridge {:.3f} strength {:.3f} covered {:.3f}".format(*r["line"])
        print(
            f"line {r['clip']:12s} {r['object']:8s} {r['frame']:3d} {line}  iou {iou} "
            f"{'FAIL' if r['failed'] else 'good'}  {'on line ' if r['on_line'] else 'off line'}"
            f"  {'marked' if r['marked'] else ''}"
        )
    counts = {}
    for name, failed in (("good", False), ("failed", True)):
        group = [r for r in mapped if bool(r["failed"]) == failed]
        counts[name] = {"steps": len(group), "on_line": sum(r["on_line"] for r in group)}
    print(
        f"map-carried steps {len(mapped)}: good {counts['good']['steps']} "
        f"({counts['good']['on_line']} on their line), failed {counts['failed']['steps']} "
        f"({counts['failed']['on_line']} on their line)"
    )
    return counts


def _unlabelled_clip(images: str, labels: str, names: list[str], n_frames: int) -> VideoClip:
    """A clip of the first ``n_frames`` frames of ``images`` with truth on frame 0 only
    (void elsewhere)."""
    frames = open_video(images)
    stack = np.stack([np.asarray(frames[t]) for t in range(min(n_frames, len(frames)))])
    first = np.asarray(Image.open(labels))
    masks = np.full(stack.shape[:3], 255, np.uint8)
    masks[0] = first
    objects = {value: name for value, name in enumerate(names, start=1)}
    return VideoClip(Path(images).parent.name, stack, masks, objects)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder of clips (eval-video layout)")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--images", help="a folder of frames (with --labels)")
    parser.add_argument("--labels", help="frame 0's label image (with --images)")
    parser.add_argument("--names", default="", help="the objects 1..K of --labels")
    parser.add_argument("--frames", type=int, default=30, help="frames per clip (0 the start)")
    parser.add_argument("--together", action="store_true", help="carry the objects together")
    parser.add_argument("--accept", action="store_true", help="accept the marked frames after")
    parser.add_argument("--line-scores", action="store_true", help="the map's lines' scores")
    parser.add_argument("--json", help="write the steps and scores here")
    parser.add_argument("--save", help="write each frame's labels here (carried together)")
    args = parser.parse_args()
    rows = []
    truth = args.images is None
    if truth:
        selected = args.clips.split(",") if args.clips else None
        for name in clip_names(args.data, selected):
            clip = load_clip(f"{args.data}/{name}", args.frames)
            rows += run_clip(clip, args.together, truth, args.save, args.accept)
    else:
        names = args.names.split(",")
        clip = _unlabelled_clip(args.images, args.labels, names, args.frames)
        rows += run_clip(clip, True, truth, args.save, args.accept)
    summary = report(rows, truth)
    for name, (marked, accepts) in ACCEPTS.items():
        print(f"accept {name:12s} frames marked {marked:3d}  accepts {accepts:3d}")
    summary["accepts"] = ACCEPTS
    if args.line_scores:
        print()
        summary["lines"] = line_report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"steps": rows, "scores": summary}, indent=1))


if __name__ == "__main__":
    main()
