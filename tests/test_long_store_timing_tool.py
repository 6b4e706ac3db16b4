"""tools/long_store_timing.py: a reopened store's objects listed, one deleted, undone, redone
and committed, the store reopened after a deletion cut short and the deletion finished, timed."""

from __future__ import annotations

from tool_loader import run_tool


def test_long_store_timing_prints_each_step():
    args = ("--frames", "6", "--every", "2", "--height", "40", "--width", "60")
    line = run_tool("long_store_timing", *args).stdout.strip()
    assert line.startswith("6 frames 40x60, the object on 3: frames "), line
    timed, held = line.split(": ", 1)[1].split("; ")
    seconds = [float(part.split()[-2]) for part in timed.split(", ")]
    assert len(seconds) == 7 and all(s >= 0 for s in seconds), line
    assert held.startswith("labels held at most ") and "(bound 512 MiB)" in held, line


def test_a_long_deletion_holds_the_labels_within_their_bound():
    """Deletion, undo and redo, saved once they end, held each frame they changed whole."""
    frame_mib = 40 * 60 * 4 / 2**20
    args = ("--frames", "12", "--every", "1", "--height", "40", "--width", "60")
    line = run_tool("long_store_timing", *args, "--labels-mib", str(3 * frame_mib)).stdout
    held = float(line.split("labels held at most ")[1].split()[0])
    assert held <= 3 * frame_mib + 0.005, line
