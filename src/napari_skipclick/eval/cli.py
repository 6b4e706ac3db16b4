"""``skipclick eval``: NoC evaluation of an engine on a manifest.csv data set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ENGINE_HELP = "engine to evaluate: random-walker, embedded or skipclick"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``skipclick eval``."""
    parser.add_argument("--engine", required=True, metavar="NAME", help=ENGINE_HELP)
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="model checkpoint (engines that load weights)",
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder with manifest.csv (name,image,mask,...)",
    )
    parser.add_argument(
        "--max-clicks", type=int, default=20, metavar="N", help="click cap per object (default 20)"
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="evaluate only the first N manifest rows"
    )
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="write the summary and per-sample results here"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="engine setting, repeatable (e.g. max_side=320 for random-walker)",
    )
    parser.add_argument(
        "--target-size",
        type=int,
        default=448,
        metavar="N",
        help="skipclick: side of the NoC model input (448 GrabCut/COCO, 672 DAVIS; default 448)",
    )
    parser.add_argument(
        "--device", metavar="DEV", help="skipclick: torch device (default: best available)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first unusable sample instead of skipping",
    )


def _option_value(text: str) -> int | float | bool | str | None:
    """``true``/``false``/``none``, an int, a float, or else the text itself."""
    words = {"true": True, "false": False, "none": None}
    if text.lower() in words:
        return words[text.lower()]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse_options(items: list[str]) -> dict[str, int | float | bool | str | None]:
    """Turn ``KEY=VALUE`` strings into keyword options for the engine."""
    options = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option expects KEY=VALUE, got {item!r}")
        options[key.strip()] = _option_value(text)
    return options


def _percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values``, None when empty."""
    import numpy as np

    return round(float(np.percentile(values, q)), 3) if values else None


def summarize_run(results: list, skipped: list[dict], max_clicks: int) -> dict:
    """Set-level numbers: NoC@t, failures, mIoU@1/5, latency percentiles and per-sample records."""
    from .metrics import mean_iou_at, summarize

    curves = [r.ious for r in results]
    decode_ms = [ms for r in results for ms in r.decode_ms]
    summary = summarize(curves, max_clicks)
    summary.update(
        miou1=mean_iou_at(curves, 1),
        miou5=mean_iou_at(curves, 5),
        n_skipped=len(skipped),
        n_decodes=len(decode_ms),
        latency_ms_p50=_percentile(decode_ms, 50),
        latency_ms_p95=_percentile(decode_ms, 95),
        encode_ms_p50=_percentile([r.encode_ms for r in results], 50),
    )
    summary["skipped"] = skipped
    summary["samples"] = [r.to_dict() for r in results]
    return summary


def _fmt(value, spec: str) -> str:
    """Format a number, or '-' for a missing one."""
    return "-" if value is None else format(value, spec)


def format_table(summary: dict) -> str:
    """The human-readable result table printed on stdout."""
    lines = [
        f"engine {summary['engine']}  data {summary['data']}  objects {summary['n']}  "
        f"skipped {summary['n_skipped']}  max clicks {summary['max_clicks']}",
        "",
        f"{'':10}{'@80':>8}{'@85':>8}{'@90':>8}{'@95':>8}",
        "NoC       " + "".join(f"{summary[f'noc{p}']:8.2f}" for p in (80, 85, 90, 95)),
        f">={summary['max_clicks']:<8d}"
        + "".join(f"{summary[f'fails{p}']:8d}" for p in (80, 85, 90, 95)),
        "",
        f"mIoU@1 {summary['miou1']:.4f}  mIoU@5 {summary['miou5']:.4f}",
        f"decode ms p50 {_fmt(summary['latency_ms_p50'], '.1f')}  "
        f"p95 {_fmt(summary['latency_ms_p95'], '.1f')}  ({summary['n_decodes']} clicks)  "
        f"encode ms p50 {_fmt(summary['encode_ms_p50'], '.1f')}",
    ]
    return "\n".join(lines)


def _machine() -> dict:
    """Where the numbers were measured."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            names = [
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "processor": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }


def _evaluate_all(engine, refs: list, args: argparse.Namespace) -> tuple[list, list, bool]:
    """Run every usable sample; return results, skipped samples and whether Ctrl-C stopped it.

    Raises ``SampleError`` under ``--strict`` and ``RuntimeError`` naming the sample when the
    engine fails.
    """
    from tqdm import tqdm

    from .datasets import iter_samples
    from .noc import evaluate_object, warm_up

    results, skipped = [], []
    progress = tqdm(total=len(refs), file=sys.stderr, unit="obj", desc=f"eval {args.engine}")
    try:
        for ref, sample, message in iter_samples(refs, strict=args.strict):
            if sample is None:
                skipped.append({"name": ref.name, "reason": message})
                progress.write(f"warning: skipped {message}", file=sys.stderr)
            else:
                try:
                    if not results:
                        warm_up(engine, sample.image)
                    result = evaluate_object(
                        engine, sample.name, sample.image, sample.mask, args.max_clicks
                    )
                except (RuntimeError, ValueError) as exc:
                    raise RuntimeError(f"engine failed on sample {ref.name}: {exc}") from exc
                results.append(result)
                mean90 = sum(r.noc(90) for r in results) / len(results)
                progress.set_postfix(noc90=f"{mean90:.2f}")
            progress.update()
    except KeyboardInterrupt:
        return results, skipped, True
    finally:
        progress.close()
    return results, skipped, False


def run(args: argparse.Namespace) -> int:
    """Evaluate ``args.engine`` on ``args.data``; print a table, optionally write JSON."""
    from .. import __version__
    from .datasets import DatasetError, SampleError, read_manifest
    from .engine_factory import build_engine

    if args.max_clicks < 1:
        print("error: --max-clicks must be at least 1", file=sys.stderr)
        return 2
    try:
        refs = read_manifest(args.data)
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit is not None:
        refs = refs[: max(args.limit, 0)]
    try:
        options = parse_options(args.option)
        engine = build_engine(
            args.engine, args.checkpoint, args.target_size, args.device, **options
        )
    except (ValueError, OSError, TypeError) as exc:
        print(f"error: cannot create engine {args.engine!r}: {exc}", file=sys.stderr)
        return 2

    try:
        results, skipped, interrupted = _evaluate_all(engine, refs, args)
    except SampleError as exc:
        print(f"error: {exc} (--strict)", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not results:
        print("error: no usable sample in the data set", file=sys.stderr)
        return 130 if interrupted else 1

    summary = {
        "engine": args.engine,
        "engine_key": engine.key,
        "checkpoint": str(args.checkpoint) if args.checkpoint else None,
        "target_size": args.target_size if args.engine == "skipclick" else None,
        "options": options,
        "data": str(args.data),
        "max_clicks": args.max_clicks,
        "interrupted": interrupted,
        "version": __version__,
        "machine": _machine(),
    }
    summary.update(summarize_run(results, skipped, args.max_clicks))
    if interrupted:
        print(f"interrupted: results of the first {len(results)} objects", file=sys.stderr)
    print(format_table(summary))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 130 if interrupted else 0
