"""Model test fixtures: the official code's inputs and outputs for the tiny checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from support.tiny import TINY


@pytest.fixture(scope="session")
def fixture() -> dict[str, np.ndarray]:
    """Every array of ``fixtures.npz`` (read once)."""
    with np.load(TINY / "fixtures.npz") as arrays:
        return dict(arrays)
