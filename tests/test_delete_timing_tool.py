"""tools/delete_timing.py: a store's object deleted, undone, redone and committed, timed."""

from __future__ import annotations

from tool_loader import run_tool


def test_delete_timing_prints_each_step():
    args = ("--frames", "6", "--every", "2", "--height", "40", "--width", "60")
    line = run_tool("delete_timing", *args).stdout.strip()
    assert line.startswith("6 frames 40x60, the object on 3: delete "), line
    seconds = [float(part.split()[-2]) for part in line.split(": ")[1].split(", ")]
    assert len(seconds) == 4 and all(s >= 0 for s in seconds), line
