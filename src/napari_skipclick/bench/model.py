"""``skipclick bench``: encode per frame and decode per click of an engine, optionally vs official.

Times come from one run: medians and 90th percentiles over ``--repeats`` frames and
``--repeats x --clicks`` clicks. For SkipClick the model's own click step (``decode`` on the
cached state at the internal size, no pre/post-processing) is also timed, and with
``--official-src`` the official ``set_image``/``apply_click`` on the same weights, interleaved
with ours click by click so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import platform
import time


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--model", default="skipclick", help="engine: skipclick, embedded, ...")
    parser.add_argument("--random-weights", action="store_true", help="full-size random weights")
    parser.add_argument("--variant", default="skipclick", help="released architecture to build")
    parser.add_argument("--checkpoint", help="SkipClick checkpoint path or released name")
    parser.add_argument("--backbone-arch", help="JSON file with a DINOv2 architecture dict")
    parser.add_argument("--size", type=int, default=448, help="side of the square test image")
    parser.add_argument("--device", help="cpu, cuda, mps (default: best available)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--repeats", type=int, default=5, help="frames to encode")
    parser.add_argument("--clicks", type=int, default=5, help="clicks per frame")
    parser.add_argument("--batch", type=int, default=0, help="also time batched encode of N frames")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--official-src", help="checkout of Schorob/skipclick to compare with")
    parser.add_argument("--dinov2-src", help="checkout of facebookresearch/dinov2 (official path)")


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
    from ..engines import create_engine

    if args.model != "skipclick":
        return create_engine(args.model)
    from ..engines.skipclick import SkipClickEngine

    if args.random_weights or not args.checkpoint:
        return SkipClickEngine.random(args.variant, args.device, args.precision)
    arch = None
    if args.backbone_arch:
        with open(args.backbone_arch) as handle:
            arch = json.load(handle)
    return SkipClickEngine(args.checkpoint, args.device, args.precision, backbone_arch=arch)


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


def _bench_model_path(engine, image, clicks, args, timer) -> dict:
    """SkipClick's own click step vs (optionally) the official ``apply_click``, interleaved."""
    import torch

    from ..model.predictor import image_tensor, points_tensor, resize_ac, scale_clicks

    model = engine.model
    size = engine.internal_size
    tensor = resize_ac(image_tensor(image, engine.device), size)
    official = None
    if args.official_src:
        from .official import build_official, official_click

        if not args.dinov2_src:
            raise SystemExit(
                "--official-src needs --dinov2-src (a facebookresearch/dinov2 checkout)"
            )
        official = build_official(args.official_src, args.dinov2_src, model.config)
        official.load_state_dict(model.state_dict(), strict=True)
        official.to(engine.device)
    ours_s, theirs_s, extract_s, set_image_s, max_diff = [], [], [], [], 0.0
    with torch.inference_mode():
        for _ in range(args.repeats):
            extract_s.append(timer(model.extract, tensor)[1])
            if official is not None:
                set_image_s.append(timer(official.set_image, tensor)[1])
        state = model.encode(tensor)
        prev = torch.zeros(1, 1, *size, device=engine.device)
        for _ in range(args.repeats):
            for k in range(1, len(clicks) + 1):
                scaled = scale_clicks([tuple(c) for c in clicks[:k]], image.shape[:2], size)
                points = points_tensor([scaled], engine.device)
                logits, dt = timer(model.decode, state, points, prev)
                ours_s.append(dt)
                if official is not None:
                    ref, dt = timer(official_click, official, prev, points)
                    theirs_s.append(dt)
                    max_diff = max(max_diff, float((ref - logits).abs().max()))
                prev = torch.sigmoid(logits)
    out = {"model_encode": _stats(extract_s), "model_decode_per_click": _stats(ours_s)}
    if official is not None:
        out["official_set_image"] = _stats(set_image_s)
        out["official_apply_click"] = _stats(theirs_s)
        out["official_max_abs_logit_diff"] = max_diff
        for step, ours, theirs in (
            ("encode", "model_encode", "official_set_image"),
            ("decode", "model_decode_per_click", "official_apply_click"),
        ):
            ratio = out[ours]["median_ms"] / out[theirs]["median_ms"]
            out[f"{step}_speedup_vs_official_pct"] = 100.0 * (1.0 - ratio)
    return out


def _bench_batched_encode(engine, image, batch: int, timer) -> dict:
    import torch

    from ..model.predictor import image_tensor, resize_ac

    tensor = resize_ac(image_tensor(image, engine.device), engine.internal_size)
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

    if args.threads:
        torch.set_num_threads(args.threads)
    engine = _build_engine(args)
    device = getattr(engine, "device", torch.device("cpu"))
    timer = _Timer(device)
    image = _test_image(args.size)
    clicks = _click_sequence(args.size, args.clicks, seed=1)
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
        results.update(_bench_model_path(engine, image, clicks, args, timer))
        if args.batch:
            results["batched_encode"] = _bench_batched_encode(engine, image, args.batch, timer)
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
        "official_max_abs_logit_diff",
    ):
        if name in results:
            print(f"  {name:<26} {results[name]:.3g}")
    print(f"  peak RSS {results['peak_rss_mb']:.0f} MB", end="")
    print(f", peak CUDA {results['peak_cuda_mb']:.0f} MB" if "peak_cuda_mb" in results else "")
