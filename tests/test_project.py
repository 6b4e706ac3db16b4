"""Project-level checks: CI runs README's test command, README's commands exist, light imports."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

import napari_skipclick
from napari_skipclick.cli import build_parser
from napari_skipclick.engines import ENGINES
from napari_skipclick.engines.predictor import SkipClickPredictor
from napari_skipclick.engines.registry import create_engine
from napari_skipclick.io.dataset import SkipClickDataset
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession

ROOT = Path(__file__).resolve().parents[1]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _readme_command_table() -> dict[str, set[str]]:
    """Command -> flags, from the first cell of each row of README's *Command line* table."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    commands: dict[str, set[str]] = {}
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        for usage in re.findall(r"`([^`]+)`", row.split("|")[1]):
            words = usage.removeprefix("skipclick ").split()
            commands[words[0]] = set(re.findall(r"--[a-z-]+", usage))
    return commands


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


def test_readme_command_table_matches_the_parser() -> None:
    documented = _readme_command_table()
    parsers = _subcommands()
    assert set(documented) == set(parsers)
    for command, flags in documented.items():
        known = {s for a in parsers[command]._actions for s in a.option_strings}
        assert flags <= known, f"README documents {sorted(flags - known)} for {command}"


@pytest.mark.parametrize("command", ["annotate", "eval"])
def test_every_registry_engine_can_be_chosen(command: str) -> None:
    parser = _subcommands()[command]
    engine = next(a for a in parser._actions if "--engine" in a.option_strings)
    assert list(engine.choices) == list(ENGINES)
    flags = {s for a in parser._actions for s in a.option_strings}
    for entry in ENGINES.values():
        assert {o.flag_name for o in entry.options if o.flag} <= flags
    assert "--option" in flags


def test_help_tells_users_what_to_run_without_heavy_imports() -> None:
    code = (
        "import sys\n"
        "from napari_skipclick.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'napari', 'qtpy', 'skimage') if m in sys.modules]\n"
        "print('heavy:', ','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().endswith("heavy:")
    assert "Start with `skipclick annotate`" in result.stdout
    assert "imported lazily" not in result.stdout


def test_package_import_is_light_and_every_public_name_resolves() -> None:
    code = "import sys, napari_skipclick; print('torch' in sys.modules, 'napari' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
    expected = {
        "ENGINES": ENGINES,
        "create_engine": create_engine,
        "SkipClickPredictor": SkipClickPredictor,
        "AnnotationSession": AnnotationSession,
        "AnnotationStore": AnnotationStore,
        "SkipClickDataset": SkipClickDataset,
    }
    assert set(napari_skipclick.__all__) == {"__version__", *expected}
    for name, value in expected.items():
        assert getattr(napari_skipclick, name) is value
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        napari_skipclick.nope  # noqa: B018


#: the most lines a module of the package holds (docs/development.md: keep modules small)
MAX_MODULE_LINES = 400


def test_every_module_of_the_package_stays_small() -> None:
    package = Path(napari_skipclick.__file__).parent
    sizes = {
        str(path.relative_to(package)): len(path.read_text(encoding="utf-8").splitlines())
        for path in package.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
