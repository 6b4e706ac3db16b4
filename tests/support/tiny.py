"""The official tiny checkpoint, its config and the official code's outputs (tests/data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from napari_skipclick.model.config import SkipClickConfig
from napari_skipclick.model.fast import bf16_matmul_supported
from napari_skipclick.model.weights import CHECKPOINTS, ReleasedCheckpoint

#: folder with checkpoint.pth, tiny_config.json and fixtures.npz (see its README)
TINY = Path(__file__).parents[1] / "data" / "official_tiny"
#: the tiny DINOv2 architecture the checkpoint was made with
ARCH = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
#: the fast decoder runs only where the CPU multiplies bfloat16 natively (elsewhere the engine
#: refuses it, which ``test_fast_is_refused_without_native_bfloat16`` checks on every machine)
needs_bf16 = pytest.mark.skipif(
    not bf16_matmul_supported(), reason="this CPU has no native bfloat16 for the fast decoder"
)


def tiny_release(name: str, **changes) -> ReleasedCheckpoint:
    """The released checkpoint ``name`` with the tiny checkpoint's architecture and size
    (≈ 3 MiB), so that the tiny file can stand for it; ``changes`` (``url``) are applied too."""
    from napari_skipclick.model.checkpoint import read_checkpoint

    config = SkipClickConfig.from_checkpoint_config(
        read_checkpoint(TINY / "checkpoint.pth")[1], ARCH
    )
    return replace(CHECKPOINTS[name], architecture=config, min_bytes=2**20, **changes)


def tiny_engine(input_size: int = 112):
    """A SkipClick engine on the tiny checkpoint, on the CPU."""
    from napari_skipclick.engines.skipclick import SkipClickEngine

    return SkipClickEngine(
        TINY / "checkpoint.pth", device="cpu", input_size=input_size, backbone_arch=ARCH
    )


def watch_blocks(engine, before: Callable[[int], None]) -> list[int]:
    """The DINOv2 blocks the engine's encodes run, in order (each calls ``before(index)``
    first: it may wait), as a list that grows as they run."""
    ran: list[int] = []

    def hook(index: int) -> Callable[..., None]:
        def run(module, inputs) -> None:
            ran.append(index)
            before(index)

        return run

    for index, block in enumerate(engine.model.dinov2.blocks):
        block.register_forward_pre_hook(hook(index))
    return ran
