"""The scripts of tools/, loaded as modules or run as commands, for their tests."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
