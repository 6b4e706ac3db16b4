"""Model test fixtures: the official code's inputs and outputs for the tiny checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.model import weights
from support.download import served_files, serving
from support.tiny import TINY


@pytest.fixture(scope="session")
def fixture() -> dict[str, np.ndarray]:
    """Every array of ``fixtures.npz`` (read once)."""
    with np.load(TINY / "fixtures.npz") as arrays:
        return dict(arrays)


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server with a checkpoint, an HTML page and a truncated file."""
    root = tmp_path / "www"
    served_files(root)
    with serving(root) as base:
        yield base, root


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """``$SKIPCLICK_CACHE_DIR``, not made yet."""
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"
