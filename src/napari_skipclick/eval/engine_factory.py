"""The engine that ``skipclick eval`` drives: registry engines, or SkipClick's NoC predictor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engines import Engine, create_engine


def build_engine(
    name: str,
    checkpoint: Path | None = None,
    target_size: int = 448,
    device: str | None = None,
    **options: Any,
) -> Engine:
    """Return the engine called ``name`` with its keyword ``options``.

    ``checkpoint`` goes to engines that load weights; ``skipclick`` runs through its official
    NoC predictor at ``target_size`` on ``device``.
    """
    if name == "skipclick":
        from .skipclick_noc import SkipClickNocEngine

        if checkpoint is None:
            raise ValueError("engine 'skipclick' needs --checkpoint PATH (or a registry name)")
        size = (target_size, target_size)
        return SkipClickNocEngine.from_checkpoint(checkpoint, size, device=device, **options)
    if checkpoint is None:
        return create_engine(name, **options)
    try:
        return create_engine(name, checkpoint=checkpoint, **options)
    except (TypeError, ValueError) as exc:
        if "checkpoint" in str(exc):
            raise ValueError(f"engine {name!r} takes no --checkpoint") from None
        raise
