"""Project-level checks: CI runs README's test command, and the console script is complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from napari_skipclick.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    test_command = ci_lines[-1]
    assert "pytest" in test_command
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block is not None, "README must open with a bash block of set-up commands"
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[1].endswith(test_command)


def test_every_subcommand_has_a_parser() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)


def test_console_script_help_runs_without_heavy_imports() -> None:
    code = (
        "import sys; from napari_skipclick.cli import build_parser; build_parser();"
        "heavy = [m for m in ('torch', 'napari', 'qtpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
