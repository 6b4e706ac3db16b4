"""The official tiny checkpoint, its config and the official code's outputs (tests/data)."""

from __future__ import annotations

import json
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
