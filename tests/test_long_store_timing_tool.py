"""tools/long_store_timing.py: a reopened store's objects listed, one deleted, undone, redone
and committed, the store reopened after a deletion cut short and the deletion finished, timed."""

from __future__ import annotations

from tool_loader import run_tool


def test_long_store_timing_prints_each_step():
    args = ("--frames", "6", "--every", "2", "--height", "40", "--width", "60")
    line = run_tool("long_store_timing", *args).stdout.strip()
    assert line.startswith("6 frames 40x60, the object on 3: frames "), line
    seconds = [float(part.split()[-2]) for part in line.split(": ")[1].split(", ")]
    assert len(seconds) == 7 and all(s >= 0 for s in seconds), line
