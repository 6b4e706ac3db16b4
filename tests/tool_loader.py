"""The scripts of tools/, loaded as modules or run as commands, for their tests."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(
    name: str, *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``tools/<name>.py`` run as a command with ``args``; its output captured as text."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def write_panned_clip(folder: Path, frames: int) -> None:
    """A clip ``folder/panned`` (``tools/camera_clip.py``) of ``frames`` frames: a textured
    frame with a dark box (object 1) and a bright bar beside it (object 2), panned by (1, 2) px
    a frame."""
    rng = np.random.default_rng(1)
    grey = 150 + 40 * gaussian_filter(rng.normal(0, 1, (60, 90)), 1.5)
    image = np.clip(np.stack([grey] * 3, axis=-1), 0, 255).astype(np.uint8)
    labels = np.zeros((60, 90), np.uint8)
    labels[15:35, 20:40] = 1
    labels[38:42, 20:70] = 2
    image[labels == 1] = (30, 40, 50)
    image[labels == 2] = (240, 240, 230)
    load_tool("camera_clip").write_clip(
        image, labels, ["box", "bar"], folder / "panned", frames=frames, pan=(1, 2), zoom=0, roll=0
    )
