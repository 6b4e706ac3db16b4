"""tools/stroke_timing.py: the dabs of one brush stroke, its end and its undo, timed."""

from __future__ import annotations

import re

import pytest

from tool_loader import run_tool


@pytest.mark.parametrize("unfolded", [(), ("--unfolded",)])
def test_stroke_timing_prints_the_dabs_the_end_and_the_undo(unfolded):
    args = ("--size", "60x80", "--dabs", "12", "--step", "2,3", "--frames", "2", *unfolded)
    line = run_tool("stroke_timing", *args).stdout.strip()
    assert line.startswith("60x80, 12 dabs through 2 frame(s): dab median "), line
    figures = [float(v) for v in re.findall(r"(\d+\.\d+) ms", line)]
    assert len(figures) == 5 and all(f >= 0 for f in figures), line
    kept = float(re.search(r"undo record (\d+\.\d+) MB", line).group(1))
    assert 0 < kept < 2 * 60 * 80 * 4 * 2 / 1e6, line  # at most both frames, before and after
