"""``skipclick bench``: encode per frame and decode per click of an engine, optionally vs official.

Times come from one run: medians and 90th percentiles over ``--repeats`` frames and
``--repeats x --clicks`` clicks. For SkipClick the model's own click step (``decode`` on the
cached state at the internal size, no pre/post-processing) is also timed, and with
``--official-src`` the official ``set_image``/``apply_click`` on the same weights; then ours
and the official path each run alone in child processes (see ``bench/isolated.py``). With
``--precision fast`` the fast CPU decoder gets its own child too, and its fidelity to the exact
decoder is reported (random weights; with ``--fixture`` also the official tiny fixture).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from ..engines.registry import ENGINES, create_engine

_SKIPCLICK = ENGINES["skipclick"]


def _at_least(minimum: int):
    """An argparse type: an int of ``minimum`` or more (a one-line usage error otherwise)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    convert.__name__ = f"integer >= {minimum}"
    return convert


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--model", default="skipclick", choices=list(ENGINES), help="engine")
    parser.add_argument("--random-weights", action="store_true", help="full-size random weights")
    parser.add_argument("--variant", default="skipclick", help="released architecture to build")
    parser.add_argument("--checkpoint", help="SkipClick checkpoint path or released name")
    parser.add_argument("--backbone-arch", help="JSON file with a DINOv2 architecture dict")
    parser.add_argument(
        "--size", type=_at_least(1), default=448, help="side of the square test image"
    )
    parser.add_argument("--device", help="cpu, cuda, mps (default: best available)")
    precision = _SKIPCLICK.option("precision")
    parser.add_argument("--precision", default=precision.default, choices=precision.choices)
    parser.add_argument("--repeats", type=_at_least(1), default=5, help="frames to encode")
    parser.add_argument("--clicks", type=_at_least(1), default=5, help="clicks per frame")
    parser.add_argument(
        "--batch", type=_at_least(0), default=0, help="also time batched encode of N frames"
    )
    parser.add_argument("--threads", type=_at_least(1), help="torch CPU threads")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--official-src", help="checkout of Schorob/skipclick to compare with")
    parser.add_argument("--dinov2-src", help="checkout of facebookresearch/dinov2 (official path)")
    parser.add_argument(
        "--warmup", type=_at_least(0), default=2, help="untimed clicks before the model path"
    )
    parser.add_argument(
        "--rounds", type=_at_least(1), default=1, help="ours/official child process pairs"
    )
    parser.add_argument(
        "--fixture",
        help="official tiny fixture folder (tests/data/official_tiny): with --precision fast, "
        "also report the fast decoder's fidelity on its cases",
    )
    parser.add_argument("--only", choices=["ours", "fast", "official"], help=argparse.SUPPRESS)
    parser.add_argument("--only-out", help=argparse.SUPPRESS)


def _stats(seconds: list[float]) -> dict[str, float]:
    import numpy as np

    ms = np.asarray(seconds) * 1000.0
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)), "n": len(ms)}


def _test_image(size: int):
    import numpy as np

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([np.sin(6 * xx), np.cos(5 * yy), np.sin(4 * (xx + yy))], axis=-1)
    noise = rng.normal(0, 0.1, (size, size, 3))
    return np.clip((base * 0.4 + 0.5 + noise) * 255, 0, 255).astype(np.uint8)


def _click_sequence(size: int, count: int, seed: int):
    import numpy as np

    from ..types import Click

    rng = np.random.default_rng(seed)
    points = rng.integers(size // 8, size - size // 8, (count, 2))
    return [Click(float(y), float(x), i % 3 != 1) for i, (y, x) in enumerate(points)]


class _Timer:
    def __init__(self, device):
        self.device = device

    def sync(self):
        import torch

        if getattr(self.device, "type", "cpu") == "cuda":
            torch.cuda.synchronize()

    def __call__(self, fn, *args):
        self.sync()
        start = time.perf_counter()
        out = fn(*args)
        self.sync()
        return out, time.perf_counter() - start


def _peak_memory_mb(device) -> dict[str, float]:
    import resource

    import torch

    out = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    if getattr(device, "type", "cpu") == "cuda":
        out["peak_cuda_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return out


def _build_engine(args):
    """The engine to time: a registry engine, or SkipClick with random full-size weights.

    ``ValueError`` (and the loader's errors) for options its engine does not take."""
    if args.model != "skipclick":
        given = [f for f in ("checkpoint", "backbone_arch", "device") if getattr(args, f)]
        given += ["precision"] * (args.precision != _SKIPCLICK.option("precision").default)
        given += ["random_weights"] * args.random_weights
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(f"{flags}: options of --model skipclick, not of {args.model}")
        return create_engine(args.model)
    device = args.device or "auto"
    if args.random_weights or not args.checkpoint:
        from ..engines.skipclick import SkipClickEngine
        from ..model import released_config

        released_config(args.variant)  # an unknown variant, named before anything is built
        if not args.random_weights:
            print(
                f"no --checkpoint: the {args.variant} architecture with random weights "
                "(the same work per frame and per click as the released weights)",
                file=sys.stderr,
            )
        return SkipClickEngine.random(args.variant, device, args.precision)
    options = {"checkpoint": args.checkpoint, "device": device, "precision": args.precision}
    if args.backbone_arch:
        options["backbone_arch"] = _SKIPCLICK.option("backbone_arch").parse(args.backbone_arch)
    return create_engine("skipclick", **options)


def _bench_engine(engine, image, clicks, args, timer) -> dict:
    encode_s, decode_s, first_s = [], [], []
    for _ in range(args.repeats):
        features, dt = timer(engine.encode, image)
        encode_s.append(dt)
        prev = None
        for k in range(1, len(clicks) + 1):
            prev, dt = timer(engine.decode, features, clicks[:k], prev)
            (first_s if k == 1 else decode_s).append(dt)
    out = {"encode": _stats(encode_s), "decode_first_click": _stats(first_s)}
    if decode_s:
        out["decode_per_click"] = _stats(decode_s)
    return out


def _bench_model_path(engine, image, clicks, args) -> dict:
    """SkipClick's own click step; with ``--official-src``, ours vs official in child processes."""
    from .isolated import compare_isolated, measure_path

    if args.official_src:
        return compare_isolated(args, _threads(), _stats)
    result = measure_path(engine, "ours", image, clicks, args)
    out = {
        "model_encode": _stats(result["encode_s"]),
        "model_prepare": _stats(result["prepare_s"]),
        "model_decode_per_click": _stats(result["click_s"]),
    }
    if args.precision == "fast":
        out["fast_decode_per_click"] = _stats(
            measure_path(engine, "fast", image, clicks, args)["click_s"]
        )
    return out


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _bench_batched_encode(engine, image, batch: int, timer) -> dict:
    import torch

    from ..model.processing import model_input

    tensor = model_input(image, engine.internal_size, engine.device, engine.flip)
    frames = tensor.expand(batch, -1, -1, -1).contiguous()
    with torch.inference_mode(), engine._autocast():
        engine.model.extract(frames)
        times = [timer(engine.model.extract, frames)[1] for _ in range(3)]
    stats = _stats(times)
    stats["frames_per_s"] = batch / (stats["median_ms"] / 1000.0)
    return stats


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print (and optionally save) the figures."""
    import torch

    from ..model import CheckpointError
    from ..model.weights import WeightsError

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        engine = _build_engine(args)
    except (ValueError, CheckpointError, WeightsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    device = getattr(engine, "device", torch.device("cpu"))
    timer = _Timer(device)
    image = _test_image(args.size)
    clicks = _click_sequence(args.size, args.clicks, seed=1)
    if args.only:
        from .isolated import run_child

        return run_child(engine, image, clicks, args)
    engine.decode(engine.encode(image), clicks[:1])  # warm-up
    results = {
        "engine": args.model,
        "key": engine.key,
        "size": args.size,
        "device": str(device),
        "precision": getattr(engine, "precision", "fp32"),
        "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
        "torch": torch.__version__,
        **_bench_engine(engine, image, clicks, args, timer),
    }
    if args.model == "skipclick":
        results.update(_bench_model_path(engine, image, clicks, args))
        if args.batch:
            results["batched_encode"] = _bench_batched_encode(engine, image, args.batch, timer)
        if args.fixture and args.precision == "fast":
            from .fidelity import fixture_fidelity

            results["fast_fidelity_fixture"] = fixture_fidelity(args.fixture)
    results.update(_peak_memory_mb(device))
    _print(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


def _print(results: dict) -> None:
    print(f"engine {results['engine']}  key {results['key']}")
    print(
        f"device {results['device']} ({results['precision']}, {results['torch_threads']} threads)"
    )
    for name, value in results.items():
        if isinstance(value, dict) and "median_ms" in value:
            extra = f"  {value['frames_per_s']:.1f} frames/s" if "frames_per_s" in value else ""
            print(
                f"  {name:<26} median {value['median_ms']:9.1f} ms   p90 {value['p90_ms']:9.1f} ms"
                f"   (n={value['n']}){extra}"
            )
    for name in (
        "encode_speedup_vs_official_pct",
        "decode_speedup_vs_official_pct",
        "decode_ratio_vs_official",
        "fast_decode_ratio_vs_official",
        "decode_cpu_ratio_vs_official",
        "fast_decode_cpu_ratio_vs_official",
        "official_max_abs_logit_diff",
        "model_click_minor_faults_median",
        "fast_click_minor_faults_median",
        "official_click_minor_faults_median",
    ):
        if name in results:
            print(f"  {name:<26} {results[name]:.3g}")
    _print_fidelity(results)
    if "loadavg_start" in results:
        print(f"  load average {results['loadavg_start']} -> {results['loadavg_end']}")
    print(f"  peak RSS {results['peak_rss_mb']:.0f} MB", end="")
    print(f", peak CUDA {results['peak_cuda_mb']:.0f} MB" if "peak_cuda_mb" in results else "")


def _print_fidelity(results: dict) -> None:
    """The fast decoder's fidelity table: one row per set of predictions."""
    rows = []
    if "fast_fidelity_random_weights" in results:
        rows.append(("random weights, 448", results["fast_fidelity_random_weights"]))
    rows += [(f"fixture {case}", v) for case, v in results.get("fast_fidelity_fixture", {}).items()]
    if not rows:
        return
    print("  fast vs exact              max |dp|   min IoU   mean IoU   predictions")
    for name, v in rows:
        print(
            f"  {name:<26} {v['max_prob_diff']:8.4f}  {v['min_mask_iou']:8.4f}  "
            f"{v['mean_mask_iou']:9.4f}   {v['predictions']:>5}"
        )
