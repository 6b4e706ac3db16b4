"""Where one SkipClick click decode spends its time: the whole decode and each of its parts.

Usage::

    python tools/decode_profile.py [--device cuda] [--precision bf16] [--size 448] [--clicks 10]
                                   [--repeats 30] [--trace FILE] [--json FILE]

SkipClick with random full-size weights (as ``skipclick bench --random-weights``) encodes one
test frame; then the median time of the engine's decode (clicks in, probabilities at the frame's
size out) and of the model's parts on the same clicks: the click embedding (disks drawn on the
CPU), the four encoder blocks, the neck, the head and the final resize. ``--trace`` writes
torch.profiler's table of the model's decode (by self time on the CPU, and on the GPU where
there is one). ``--precision`` is the engine's (bf16 and fp16 under autocast, on a GPU).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np
import torch

from napari_skipclick.bench.model import _click_sequence, _test_image
from napari_skipclick.engines.skipclick import SkipClickEngine
from napari_skipclick.model.decoder import embed_clicks
from napari_skipclick.model.processing import points_tensor, resize_ac, scale_clicks


def _timer(device: torch.device, repeats: int) -> Callable[[Callable[[], object]], float]:
    """Median milliseconds of ``repeats`` calls after one warm-up, the GPU waited for."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def median_ms(fn: Callable[[], object]) -> float:
        fn()
        sync()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - start)
        return 1000.0 * float(np.median(times))

    return median_ms


def profile(
    device: str, precision: str, size: int, clicks: int, repeats: int
) -> tuple[dict, Callable]:
    """Median ms of the decode and its parts, and a function that runs the model's decode."""
    engine = SkipClickEngine.random("skipclick", device, precision)
    timed = _timer(engine.device, repeats)
    image = _test_image(size)
    sequence = _click_sequence(size, clicks, seed=1)
    features = engine.encode(image)
    state = engine.decoder_state(features)
    model = engine.decoder
    stack, proj = model.backbone_mix, model.patch_embed_coords.proj
    radius = model.config.norm_radius
    scaled = scale_clicks([tuple(c) for c in sequence], image.shape[:2], engine.internal_size)
    points = points_tensor([scaled], torch.device("cpu"))
    prev = torch.zeros(1, 1, *state.image_size, device=engine.device)
    out = {"device": str(engine.device), "precision": precision, "size": size, "clicks": clicks}
    out["repeats"] = repeats
    with torch.inference_mode(), engine._autocast():
        zeros = np.zeros(image.shape[:2], np.float32)
        out["engine_decode"] = timed(lambda: engine.decode(features, sequence, zeros))
        out["model_decode"] = timed(lambda: model.decode(state, points, prev))
        weight, bias = stack.click_qkv_embedding(proj)

        def embed() -> torch.Tensor:
            return embed_clicks(proj, points, state.image_size, prev, radius, weight, bias)

        out["click_embedding"] = timed(embed)
        widths = [proj.out_channels, bias.shape[0] - proj.out_channels]
        embedded, click_qkv = embed().split(widths, -1)
        tokens, qkv = state.tokens + embedded, state.first_qkv + click_qkv
        out["encoder_blocks"] = timed(lambda: stack(tokens, qkv))
        x = stack(tokens, qkv)
        out["neck"] = timed(lambda: model.neck(x, state.grid, state.neck_terms))
        maps = model.neck(x, state.grid, state.neck_terms)
        out["head"] = timed(lambda: model.head(maps))
        logits = model.head(maps)
        out["resize"] = timed(lambda: resize_ac(logits, state.image_size))

    def decode() -> None:
        with torch.inference_mode(), engine._autocast():
            model.decode(state, points, prev)

    return out, decode


def trace(decode: Callable, device: str, path: str) -> None:
    """torch.profiler's tables of five decodes, written to ``path``."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    cuda = device.startswith("cuda")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with torch_profile(activities=activities) as prof:
        for _ in range(5):
            decode()
            if cuda:
                torch.cuda.synchronize()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30)
    if cuda:
        table += "\n\n" + prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=30)
    with open(path, "w") as handle:
        handle.write(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--precision", default="fp32", help="fp32, or bf16/fp16 on a GPU")
    parser.add_argument("--size", type=int, default=448, help="frame side, pixels (448)")
    parser.add_argument("--clicks", type=int, default=10, help="clicks per decode (10)")
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per part (30)")
    parser.add_argument("--trace", help="write torch.profiler's tables to this file")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    figures, decode = profile(args.device, args.precision, args.size, args.clicks, args.repeats)
    for name, value in figures.items():
        text = f"{value:9.3f} ms" if isinstance(value, float) else str(value)
        print(f"{name:<16} {text}")
    if args.trace:
        trace(decode, args.device, args.trace)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
