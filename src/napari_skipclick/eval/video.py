"""``skipclick eval-video``: clicks per frame and propagation IoU of an engine on video clips."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..engines.registry import add_engine_arguments, options_from_args
from .cli import _machine, _percentile, prepare_json, write_json


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``skipclick eval-video``."""
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder with one folder per clip (frames.csv, frames/, masks/)",
    )
    parser.add_argument("--clips", metavar="A,B", help="evaluate only these clips")
    parser.add_argument(
        "--frames", type=int, metavar="N", help="only the first N frames (default: all)"
    )
    parser.add_argument(
        "--first-frame",
        choices=("clicks", "gt"),
        default="clicks",
        help="start from simulated clicks (IoU 0.90, at most 20) or the ground truth "
        "(default clicks)",
    )
    parser.add_argument(
        "--max-corrections",
        type=int,
        default=5,
        metavar="N",
        help="corrective clicks per frame at most (default 5)",
    )
    parser.add_argument(
        "--propagate-from",
        choices=("corrected", "truth"),
        default="corrected",
        help="propagate each frame from the corrected mask of the frame before (as an "
        "annotator does) or from its ground truth, so that a frame's corrections measure that "
        "frame alone, with no error carried over from earlier corrections (default corrected)",
    )
    parser.add_argument(
        "--restart-every",
        type=int,
        metavar="N",
        help="also propagate the ground truth of every Nth frame for N frames without "
        "corrections (J_restart: short runs, less at the mercy of one lost frame)",
    )
    parser.add_argument(
        "--keyframes-every",
        type=int,
        metavar="N",
        help="also set the ground truth on every Nth frame and the last as keyframes and fill "
        "the frames between from both ends (J_fill; J_forward: the same frames propagated "
        "from the earlier keyframe alone)",
    )
    add_engine_arguments(parser)  # the engine as the widget runs it (no NoC protocol default)
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all results here")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _gain_per_click(before: list[float], after: list[float], clicks: list[int]) -> float | None:
    """IoU that the corrective clicks added, per click (None without corrective clicks)."""
    used = sum(clicks)
    if not used:
        return None
    return round(sum(b - a for a, b in zip(before, after, strict=True)) / used, 4)


def object_record(run) -> dict:
    """JSON record of one object's ``ObjectRun``."""
    from .video_protocol import FRAME_IOU, review_scores

    n = len(run.j_prop)
    recall, precision = review_scores(run)
    return {
        "clip": run.clip,
        "object": run.value,
        "name": run.name,
        "frames": n + 1,
        "first_frame": run.first_frame,  # the frame column's number of the clip's first frame
        "first_clicks": run.first_clicks,
        "first_iou": round(run.first_iou, 4),
        "corrective_clicks": sum(run.corrections),
        "cpf": round(sum(run.corrections) / n, 4) if n else None,
        "clicks_per_frame": round((run.first_clicks + sum(run.corrections)) / (n + 1), 4),
        "j_prop_mean": _mean(run.j_prop),
        "j_prop_last": round(run.j_prop[-1], 4) if n else None,
        "j_pure_mean": _mean(run.j_pure),
        "j_pure_last": round(run.j_pure[-1], 4) if n else None,
        "j_restart_mean": _mean(run.j_restart),
        "j_fill_mean": _mean(run.j_fill),
        "j_forward_mean": _mean(run.j_forward),
        "frames_below": sum(v < FRAME_IOU for v in run.j_corrected),
        "j_per_click": _gain_per_click(run.j_prop, run.j_corrected, run.corrections),
        "review_frames_pure": [run.first_frame + t for t in run.review_pure],
        "pure_frames_reached": run.pure_reached,
        "review_recall": None if recall is None else round(recall, 4),
        "review_precision": None if precision is None else round(precision, 4),
        "step_ms_p50": _percentile(run.step_ms, 50),
        "step_ms_p95": _percentile(run.step_ms, 95),
        "per_frame": {
            "j_prop": [round(v, 4) for v in run.j_prop],
            "corrections": run.corrections,
            "j_corrected": [round(v, 4) for v in run.j_corrected],
            "j_pure": [round(v, 4) for v in run.j_pure],
            "j_restart": [round(v, 4) for v in run.j_restart],
            "j_fill": [round(v, 4) for v in run.j_fill],
            "j_forward": [round(v, 4) for v in run.j_forward],
        },
    }


def aggregate(records: list[dict]) -> dict:
    """Totals over objects: clicks summed over frames, IoUs averaged over objects."""
    frames = sum(r["frames"] for r in records)
    propagated = frames - len(records)
    corrective = sum(r["corrective_clicks"] for r in records)
    first = sum(r["first_clicks"] for r in records)
    out = {
        "objects": len(records),
        "frames": frames,
        "first_clicks": first,
        "corrective_clicks": corrective,
        "cpf": round(corrective / propagated, 4) if propagated else None,
        "clicks_per_frame": round((first + corrective) / frames, 4) if frames else None,
        "frames_below": sum(r["frames_below"] for r in records),
        "j_per_click": None,
    }
    if corrective:
        gained = sum(
            r["j_per_click"] * r["corrective_clicks"] for r in records if r["corrective_clicks"]
        )
        out["j_per_click"] = round(gained / corrective, 4)
    for key in (
        "j_prop_mean",
        "j_prop_last",
        "j_pure_mean",
        "j_pure_last",
        "j_restart_mean",
        "j_fill_mean",
        "j_forward_mean",
    ):
        out[key] = _mean([r[key] for r in records if r[key] is not None])
    return out


def object_label(record: dict) -> str:
    """An object of the table: its value in the masks and its name (``2 poles``), cut to 13."""
    return f"{record['object']} {record['name']}"[:13]


def format_table(summary: dict) -> str:
    """Per-clip and overall rows printed on stdout."""
    head = (
        f"{'clip':<16}{'object':<14}{'frames':>7}{'clicks0':>8}{'CPF':>7}{'clk/fr':>7}"
        f"{'Jprop':>7}{'last':>7}{'Jpure':>7}{'last':>7}{'Jrst':>7}{'J/clk':>7}{'<.85':>6}"
    )
    lines = [
        f"engine {summary['engine']}  data {summary['data']}  first frame "
        f"{summary['first_frame']}  max corrections {summary['max_corrections']}  propagated "
        f"from the {summary['propagate_from']} mask of the frame before",
        "",
        head,
    ]

    def row(label: str, obj: str, r: dict) -> str:
        cells = [r["cpf"], r["clicks_per_frame"], r["j_prop_mean"], r["j_prop_last"]]
        cells += [r["j_pure_mean"], r["j_pure_last"], r["j_restart_mean"], r["j_per_click"]]
        numbers = "".join("      -" if v is None else f"{v:7.3f}" for v in cells)
        return (
            f"{label:<16}{obj:<14}{r['frames']:>7}{r['first_clicks']:>8}{numbers}"
            f"{r['frames_below']:>6}"
        )

    for r in summary["objects"]:
        lines.append(row(r["clip"], object_label(r), r))
    lines.append(row("all", "", summary["overall"]))
    lat = summary["latency_ms"]

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines += [
        "",
        "latency ms p50/p95: "
        + "  ".join(f"{k} {lat[k]['p50']}/{lat[k]['p95']}" for k in ("decode", "step", "encode")),
        "review marks of the pure run (recall/precision on frames below J 0.5): "
        + "  ".join(
            f"{r['clip']}:{object_label(r)} "
            f"{share(r['review_recall'])}/{share(r['review_precision'])}"
            for r in summary["objects"]
        ),
    ]
    if summary.get("keyframes_every") is not None:

        def pair(r: dict) -> str:
            return "/".join(
                "-" if r[k] is None else f"{r[k]:.3f}" for k in ("j_fill_mean", "j_forward_mean")
            )

        lines.append(
            f"between keyframes every {summary['keyframes_every']} frames, J_fill (from both) / "
            f"J_forward (the earlier alone): all {pair(summary['overall'])}  "
            + "  ".join(f"{r['clip']}:{object_label(r)} {pair(r)}" for r in summary["objects"])
        )
    return "\n".join(lines)


def _runs(engine, clips: list, args: argparse.Namespace) -> tuple[list, bool]:
    from ..engines.cache import FeatureCache
    from ..io.progress import new_bar
    from .video_protocol import keyframes, run_object

    passes = 2 if args.restart_every is None else 3
    total = sum(passes * (len(c.frames) - 1) + 1 for c in clips for _ in c.objects)
    if args.keyframes_every is not None:  # each frame between keyframes twice
        total += sum(
            2 * (len(c.frames) - len(keyframes(len(c.frames), args.keyframes_every)))
            for c in clips
            for _ in c.objects
        )
    progress = new_bar(f"eval-video {args.engine}", "frame", total=total)
    runs = []
    try:
        for clip in clips:
            cache = FeatureCache(max_mib=8192)  # a clip's features, shared by both passes
            for value in clip.objects:
                progress.set_postfix(clip=clip.name, obj=value)
                runs.append(
                    run_object(
                        clip,
                        value,
                        engine,
                        cache,
                        args.first_frame,
                        args.max_corrections,
                        progress.update,
                        args.restart_every,
                        args.keyframes_every,
                        args.propagate_from == "truth",
                    )
                )
    except KeyboardInterrupt:
        return runs, True
    finally:
        progress.close()
    return runs, False


def run(args: argparse.Namespace) -> int:
    """Evaluate ``args.engine`` on the clips of ``args.data``; print tables, optionally JSON."""
    from .. import __version__
    from ..engines import create_engine
    from .video_data import VideoDataError, clip_names, load_clip
    from .video_protocol import TimedEngine

    for flag, value, least in (
        ("--max-corrections", args.max_corrections, 0),
        ("--frames", args.frames, 2),  # a clip is frames to propagate through
        ("--restart-every", args.restart_every, 1),
        ("--keyframes-every", args.keyframes_every, 1),
    ):
        if value is not None and value < least:  # each says only what is wrong
            print(f"error: {flag} must be >= {least}", file=sys.stderr)
            return 2
    selected = [c.strip() for c in args.clips.split(",") if c.strip()] if args.clips else None
    try:
        clips = [load_clip(args.data / n, args.frames) for n in clip_names(args.data, selected)]
        if args.json is not None:
            prepare_json(args.json, args.data)
    except (VideoDataError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        options = options_from_args(args)
        engine = TimedEngine(create_engine(args.engine, **options))
    except (ValueError, OSError, TypeError) as exc:
        print(f"error: cannot create engine {args.engine!r}: {exc}", file=sys.stderr)
        return 2
    runs, interrupted = _runs(engine, clips, args)
    if not runs:
        print("error: interrupted before the first object finished", file=sys.stderr)
        return 130
    records = [object_record(r) for r in runs]
    step_ms = [ms for r in runs for ms in r.step_ms]
    latency = {
        name: {"p50": _percentile(values, 50), "p95": _percentile(values, 95), "n": len(values)}
        for name, values in (
            ("decode", engine.decode_ms),
            ("step", step_ms),
            ("encode", engine.encode_ms),
        )
    }
    summary = {
        "engine": args.engine,
        "engine_key": engine.key,
        "options": options,
        "data": str(args.data),
        "clips": [c.name for c in clips],
        "first_frame": args.first_frame,
        "max_corrections": args.max_corrections,
        "propagate_from": args.propagate_from,
        "restart_every": args.restart_every,
        "keyframes_every": args.keyframes_every,
        "frames_limit": args.frames,
        "interrupted": interrupted,
        "version": __version__,
        "machine": _machine(),
        "overall": aggregate(records),
        "per_clip": {
            name: aggregate([r for r in records if r["clip"] == name])
            for name in dict.fromkeys(r["clip"] for r in records)
        },
        "latency_ms": latency,
        "objects": records,
    }
    print(format_table(summary))
    written = args.json is None or write_json(args.json, summary)
    if interrupted:  # as skipclick eval says it
        print(f"interrupted: results of the first {len(runs)} objects", file=sys.stderr)
    if not written:
        return 1
    return 130 if interrupted else 0
