"""The command line's progress bars: redrawn in place in a terminal, whole lines in a log."""

from __future__ import annotations

import io
import sys
import time

from napari_skipclick.io import progress as progress_module
from napari_skipclick.io.progress import progress_bar


def test_outside_a_terminal_progress_is_written_as_whole_lines(capsys, monkeypatch):
    """``info`` and ``import-labels`` wrote their bar's ``\\r`` updates to a log file: one
    endless line."""
    monkeypatch.setattr(progress_module, "LOG_INTERVAL", 0.05, raising=False)
    with progress_bar("read labels", "frame", quiet=False) as progress:
        for done in range(1, 6):
            time.sleep(0.06)
            progress(done, 5)
    err = capsys.readouterr().err
    assert "\r" not in err and err.endswith("\n")
    lines = err.splitlines()
    assert 1 < len(lines) <= 6
    assert lines[-1].startswith("read labels: 100%") and "5/5" in lines[-1]


def test_a_short_command_writes_one_line_as_it_ends(capsys):
    with progress_bar("import", "step", quiet=False) as progress:
        progress(1, 3)
        progress(3, 3)
    (line,) = capsys.readouterr().err.splitlines(keepends=True)
    assert line.startswith("import: 100%") and "3/3" in line and line.endswith("]\n")


def test_in_a_terminal_the_bar_is_redrawn_in_place(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("export png", "frame", quiet=False) as progress:
        progress(1, 2)
        progress(2, 2)
    assert terminal.getvalue().startswith("\rexport png:") and "2/2" in terminal.getvalue()


def test_a_command_refused_before_its_first_step_shows_no_bar(capsys):
    try:
        with progress_bar("export png", "frame", quiet=False):
            raise ValueError("refused")
    except ValueError:
        pass
    assert capsys.readouterr().err == ""
