"""``skipclick eval``: NoC evaluation of an engine on a manifest.csv data set."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..engines.registry import (
    add_engine_arguments,
    create_engine,
    engine_entry,
    options_from_args,
)

#: options ``skipclick eval`` gives the engines that take them: the paper's NoC predictor
EVAL_DEFAULTS = {"protocol": "noc"}


def prepare_json(path: Path, data: Path) -> None:
    """Check before the run (not after it, when the results would be lost) that the ``--json``
    file can be written: no folder, no file of the data set (an existing file in its folder
    ``data`` other than an earlier result, a ``.json``: the CSV files, images, masks), its
    folder made and writable. ``OSError`` saying why not; an earlier result is replaced."""
    if path.is_dir():
        raise IsADirectoryError(f"--json {path} is a folder; give a file name")
    own = path.exists() and path.suffix.lower() != ".json"
    if own and path.resolve().is_relative_to(data.resolve()):
        raise FileExistsError(
            f"--json {path} is a file of the data set in {data}; write the results elsewhere"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.open("ab").close()  # writable; left as it is until the results replace it
        else:
            tempfile.TemporaryFile(dir=path.parent).close()
    except OSError as exc:
        raise OSError(f"cannot write --json {path}: {exc.strerror or exc}") from None


def write_json(path: Path, summary: dict) -> bool:
    """Write ``summary`` to ``path``; False, having said why in one line, when it cannot."""
    try:
        path.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        print(
            f"error: cannot write --json {path}: {exc.strerror or exc}; the table above holds "
            "the results",
            file=sys.stderr,
        )
        return False
    return True


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``skipclick eval``."""
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
        "--first-clicks",
        type=int,
        default=0,
        metavar="N",
        help="also click each object once alone at N points spread along it (one click "
        "anywhere: mean IoU, floods; default 0: off)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first unusable sample instead of skipping",
    )
    add_engine_arguments(parser, option_defaults=EVAL_DEFAULTS)
    # the earlier name of --input-size, kept so that recorded commands still run
    parser.add_argument("--target-size", dest="input_size", type=int, help=argparse.SUPPRESS)


def build_engine(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The engine ``args`` ask for and the options given to it (``EVAL_DEFAULTS`` included).

    Raises ``ValueError`` for an option the engine does not take or a bad value.
    """
    entry = engine_entry(args.engine)
    options = options_from_args(args)
    for name, value in EVAL_DEFAULTS.items():
        if any(option.name == name for option in entry.options):
            options.setdefault(name, value)
    return create_engine(args.engine, **options), options


def _percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values``, None when empty."""
    import numpy as np

    return round(float(np.percentile(values, q)), 3) if values else None


def summarize_run(results: list, skipped: list[dict], max_clicks: int) -> dict:
    """Set-level numbers: NoC@t, failures, mIoU@1/5, the clicks that lowered the IoU, latency
    percentiles and per-sample records."""
    from .metrics import WORSE_DROP, mean_iou_at, summarize, worse_clicks

    curves = [r.ious for r in results]
    decode_ms = [ms for r in results for ms in r.decode_ms]
    summary = summarize(curves, max_clicks)
    worse, later = worse_clicks(curves)
    summary.update(
        miou1=mean_iou_at(curves, 1),
        # None below --max-clicks 5: the last IoU of curves cut short is no IoU after 5 clicks
        miou5=mean_iou_at(curves, 5) if max_clicks >= 5 else None,
        worse_drop=WORSE_DROP,
        worse_clicks=worse,
        later_clicks=later,
        n_skipped=len(skipped),
        n_decodes=len(decode_ms),
        latency_ms_p50=_percentile(decode_ms, 50),
        latency_ms_p95=_percentile(decode_ms, 95),
        encode_ms_p50=_percentile([r.encode_ms for r in results], 50),
    )
    summary["skipped"] = skipped
    summary["samples"] = [r.to_dict() for r in results]
    return summary


def _text(value: Any) -> Any:
    """``value`` as JSON can hold it (paths as text)."""
    return str(value) if isinstance(value, Path) else value


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
        f"mIoU@1 {summary['miou1']:.4f}  mIoU@5 {_fmt(summary['miou5'], '.4f')}  "
        f"clicks that lowered IoU by more than {summary['worse_drop']:g}: "
        f"{summary['worse_clicks']} of {summary['later_clicks']}",
        f"decode ms p50 {_fmt(summary['latency_ms_p50'], '.1f')}  "
        f"p95 {_fmt(summary['latency_ms_p95'], '.1f')}  ({summary['n_decodes']} clicks)  "
        f"encode ms p50 {_fmt(summary['encode_ms_p50'], '.1f')}",
    ]
    first = summary.get("first_clicks")
    if first and first["clicks"]:
        lines.append(
            f"one click anywhere ({first['clicks']} single first clicks along the objects): "
            f"mIoU {first['miou']:.4f}  IoU >= 0.5 {100 * first['half']:.1f} %  "
            f"floods {first['floods']}"
        )
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


def _evaluate_all(engine, refs: list, args: argparse.Namespace) -> tuple[list, list, list, bool]:
    """Run every usable sample; return results, skipped samples, the single first clicks
    (``--first-clicks``) and whether Ctrl-C stopped it.

    Raises ``SampleError`` under ``--strict`` and ``RuntimeError`` naming the sample when the
    engine fails.
    """
    from ..io.progress import new_bar
    from .datasets import iter_samples
    from .first_clicks import evaluate_first_clicks
    from .noc import evaluate_object, warm_up

    results, skipped, firsts = [], [], []
    progress = new_bar(f"eval {args.engine}", "obj", total=len(refs))
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
                        engine,
                        sample.name,
                        sample.image,
                        sample.mask,
                        args.max_clicks,
                        keep_features=args.first_clicks > 0,
                    )
                    if args.first_clicks > 0:
                        firsts.append(
                            evaluate_first_clicks(
                                engine,
                                sample.name,
                                sample.image,
                                sample.mask,
                                args.first_clicks,
                                result.features,
                            )
                        )
                        result.features = None  # one image's features held at a time
                except (RuntimeError, ValueError) as exc:
                    raise RuntimeError(f"engine failed on sample {ref.name}: {exc}") from exc
                results.append(result)
                mean90 = sum(r.noc(90) for r in results) / len(results)
                progress.set_postfix(noc90=f"{mean90:.2f}")
            progress.update()
    except KeyboardInterrupt:
        return results, skipped, firsts, True
    finally:
        progress.close()
    return results, skipped, firsts, False


def run(args: argparse.Namespace) -> int:
    """Evaluate ``args.engine`` on ``args.data``; print a table, optionally write JSON."""
    from .. import __version__
    from .datasets import DatasetError, SampleError, read_manifest

    if args.max_clicks < 1:
        print("error: --max-clicks must be at least 1", file=sys.stderr)
        return 2
    if args.first_clicks < 0:
        print("error: --first-clicks must be 0 or more", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        refs = read_manifest(args.data)
        if args.json is not None:
            prepare_json(args.json, args.data)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit is not None:
        refs = refs[: args.limit]
    try:
        engine, options = build_engine(args)
    except (ValueError, OSError, RuntimeError) as exc:  # RuntimeError: weights not available
        print(f"error: cannot create engine {args.engine!r}: {exc}", file=sys.stderr)
        return 2

    try:
        results, skipped, firsts, interrupted = _evaluate_all(engine, refs, args)
    except SampleError as exc:
        print(f"error: {exc} (--strict)", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not results and interrupted:
        print("interrupted before the first object was done: no results", file=sys.stderr)
        return 130
    if not results:
        print("error: no usable sample in the data set", file=sys.stderr)
        return 1

    resolved = engine_entry(args.engine).resolve(options)
    summary = {
        "engine": args.engine,
        "engine_key": engine.key,
        "checkpoint": _text(resolved.get("checkpoint")),
        "target_size": resolved.get("input_size"),
        "options": {name: _text(value) for name, value in options.items()},
        "data": str(args.data),
        "max_clicks": args.max_clicks,
        "interrupted": interrupted,
        "version": __version__,
        "machine": _machine(),
    }
    summary.update(summarize_run(results, skipped, args.max_clicks))
    if args.first_clicks > 0:
        from .first_clicks import summarize_first_clicks

        summary["first_clicks"] = summarize_first_clicks(firsts)
    if interrupted:
        print(f"interrupted: results of the first {len(results)} objects", file=sys.stderr)
    print(format_table(summary))
    if args.json is not None and not write_json(args.json, summary):
        return 1
    return 130 if interrupted else 0
