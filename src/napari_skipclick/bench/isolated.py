"""SkipClick's own click step vs the official ``apply_click``, each timed alone in its own process.

Two models in one process share the allocator, caches and page-fault history, and a child
process per path keeps one path's transient memory from taxing the other. Every child builds
the same weights (the same checkpoint or the same seeded random init), encodes the same image
(once untimed, then ``--repeats`` times) and replays the same click sequence: ``--warmup``
untimed clicks, then ``--repeats`` x ``--clicks`` timed ones, each sequence starting from an
empty previous mask. Children run one
after another, alternating ours/official for ``--rounds`` rounds so that slow drifts of the
machine load hit both. The logits of the first timed sequence come back for the equality check.
With ``--precision fast`` a third child times the fast decoder on the same state and clicks, and
its probabilities are compared with the exact ones (``bench/fidelity.py``).
Each click is timed in wall-clock seconds and in the child's CPU seconds (all its threads): on a
shared machine the CPU time of a one-thread run (``--threads 1``) depends far less on the other
jobs than the wall-clock time, whose ratios the ``*_cpu`` rows complement.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATHS = ("ours", "fast", "official")


def paths(args: argparse.Namespace) -> tuple[str, ...]:
    """The child paths of a run: ours (exact) and official, plus fast for ``--precision fast``."""
    return PATHS if args.precision == "fast" else ("ours", "official")


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _timed(fn, *args):
    """``fn(*args)``, its wall-clock seconds, minor page faults and process CPU seconds."""
    faults, cpu, start = _minor_faults(), time.process_time(), time.perf_counter()
    out = fn(*args)
    wall = time.perf_counter() - start
    return out, wall, _minor_faults() - faults, time.process_time() - cpu


def _click_steps(engine, which: str, args: argparse.Namespace):
    """(encode, prepare or None, click) of one path; the other model is not kept alive."""
    model = engine.model
    if which in ("ours", "fast"):
        decoder = engine.decoder if which == "fast" else model
        state = {}

        def encode(tensor):
            state["maps"] = model.extract(tensor)

        def prepare(tensor):
            state["s"] = model.prepare(state["maps"], tuple(tensor.shape[-2:]))

        return encode, prepare, lambda prev, points: decoder.decode(state["s"], points, prev)
    from .official import build_official, official_click

    if not (args.official_src and args.dinov2_src):
        raise SystemExit("the official path needs --official-src and --dinov2-src checkouts")
    official = build_official(args.official_src, args.dinov2_src, model.config)
    official.load_state_dict(model.state_dict(), strict=True)
    official.to(engine.device)
    engine.model = engine.decoder = None  # only the official model stays alive here
    return official.set_image, None, lambda prev, points: official_click(official, prev, points)


def measure_path(engine, which: str, image, clicks, args: argparse.Namespace) -> dict:
    """Seconds (and minor page faults per click) of encode, prepare and click; first logits."""
    import torch

    from ..model.processing import image_tensor, points_tensor, resize_ac, scale_clicks

    size = engine.internal_size
    tensor = resize_ac(image_tensor(image, engine.device), size)
    points = [
        points_tensor(
            [scale_clicks([tuple(c) for c in clicks[:k]], image.shape[:2], size)], engine.device
        )
        for k in range(1, len(clicks) + 1)
    ]
    encode, prepare, click = _click_steps(engine, which, args)
    out = {"encode_s": [], "prepare_s": [], "click_s": [], "click_cpu_s": [], "click_faults": []}
    out["logits"] = []
    with torch.inference_mode():
        for repeat in range(args.repeats + 1):  # the first one is a warm-up
            seconds = _timed(encode, tensor)[1]
            if repeat:
                out["encode_s"].append(seconds)
            if prepare is not None:
                seconds = _timed(prepare, tensor)[1]
                if repeat:
                    out["prepare_s"].append(seconds)
        prev = torch.zeros(1, 1, *size, device=engine.device)
        for k in range(args.warmup):
            prev = torch.sigmoid(click(prev, points[k % len(points)]))
        for repeat in range(args.repeats):
            prev = torch.zeros(1, 1, *size, device=engine.device)
            for step in points:
                logits, seconds, faults, cpu = _timed(click, prev, step)
                out["click_s"].append(seconds)
                out["click_cpu_s"].append(cpu)
                out["click_faults"].append(faults)
                if repeat == 0:
                    out["logits"].append(logits.float().cpu().numpy())
                prev = torch.sigmoid(logits)
    return out


def run_child(engine, image, clicks, args: argparse.Namespace) -> int:
    """``--only PATH --only-out DIR``: measure one path and write ``PATH.json`` and ``PATH.npz``."""
    import numpy as np

    result = measure_path(engine, args.only, image, clicks, args)
    folder = Path(args.only_out)
    np.savez(folder / f"{args.only}.npz", logits=np.stack(result.pop("logits")))
    (folder / f"{args.only}.json").write_text(json.dumps(result))
    return 0


def _child_argv(args: argparse.Namespace, which: str, folder: str, threads: int) -> list[str]:
    argv = [sys.executable, "-m", "napari_skipclick.cli", "bench", "--model", "skipclick"]
    precision = "fast" if which == "fast" else "fp32"
    argv += ["--variant", args.variant, "--size", str(args.size), "--precision", precision]
    argv += ["--repeats", str(args.repeats), "--clicks", str(args.clicks)]
    argv += ["--warmup", str(args.warmup), "--threads", str(threads)]
    argv += ["--only", which, "--only-out", folder]
    for flag in ("checkpoint", "backbone_arch", "device", "official_src", "dinov2_src"):
        value = getattr(args, flag)
        if value:
            argv += [f"--{flag.replace('_', '-')}", str(value)]
    if args.random_weights:
        argv.append("--random-weights")
    return argv


def compare_isolated(args: argparse.Namespace, threads: int, stats) -> dict:
    """Run each path in child processes (alternating, ``--rounds`` times) and compare them."""
    import numpy as np

    from .fidelity import compare, summarise

    which_paths = paths(args)
    samples = {which: {} for which in which_paths}
    max_diff = 0.0
    fidelity = []
    load_start = os.getloadavg()
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="skipclick-bench-") as folder:
            for which in which_paths:
                subprocess.run(_child_argv(args, which, folder, threads), check=True)
                child = json.loads((Path(folder) / f"{which}.json").read_text())
                for name, values in child.items():
                    samples[which].setdefault(name, []).extend(values)
            logits = {w: np.load(Path(folder) / f"{w}.npz")["logits"] for w in which_paths}
            max_diff = max(max_diff, float(np.abs(logits["ours"] - logits["official"]).max()))
            if "fast" in logits:
                probs = [1.0 / (1.0 + np.exp(-logits[w].astype(np.float64))) for w in PATHS[:2]]
                fidelity += [compare(a[0, 0], b[0, 0]) for a, b in zip(*probs, strict=True)]
    out = {
        "isolated_rounds": args.rounds,
        "isolated_warmup_clicks": args.warmup,
        "loadavg_start": list(load_start),
        "loadavg_end": list(os.getloadavg()),
        "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
        "official_max_abs_logit_diff": max_diff,
    }
    names = {
        "ours": ("model", "model_encode", "model_decode_per_click"),
        "fast": ("fast", "fast_encode", "fast_decode_per_click"),
        "official": ("official", "official_set_image", "official_apply_click"),
    }
    for which in which_paths:
        prefix, encode_name, click_name = names[which]
        out[encode_name] = stats(samples[which]["encode_s"])
        out[click_name] = stats(samples[which]["click_s"])
        if which == "ours":
            out["model_prepare"] = stats(samples[which]["prepare_s"])
        out[f"{prefix}_click_minor_faults_median"] = float(
            np.median(samples[which]["click_faults"])
        )
        out[f"{click_name}_cpu"] = stats(samples[which]["click_cpu_s"])
    official = out["official_apply_click"]["median_ms"]
    official_cpu = out["official_apply_click_cpu"]["median_ms"]
    out["encode_speedup_vs_official_pct"] = 100.0 * (
        1.0 - out["model_encode"]["median_ms"] / out["official_set_image"]["median_ms"]
    )
    out["decode_ratio_vs_official"] = out["model_decode_per_click"]["median_ms"] / official
    out["decode_speedup_vs_official_pct"] = 100.0 * (1.0 - out["decode_ratio_vs_official"])
    cpu = out["model_decode_per_click_cpu"]["median_ms"]
    out["decode_cpu_ratio_vs_official"] = cpu / official_cpu
    if "fast" in which_paths:
        out["fast_decode_ratio_vs_official"] = out["fast_decode_per_click"]["median_ms"] / official
        fast_cpu = out["fast_decode_per_click_cpu"]["median_ms"]
        out["fast_decode_cpu_ratio_vs_official"] = fast_cpu / official_cpu
        out["fast_fidelity_random_weights"] = summarise(fidelity)
    return out
