"""tools/one_step.py: one propagation step from the ground truth, per clip and setting."""

from __future__ import annotations

from tool_loader import ROOT, run_tool

DATA = ROOT / "tests" / "data" / "davis_video_mini"


def test_one_step_reports_each_clip_with_defaults_and_each_change():
    done = run_tool(
        "one_step", "--data", str(DATA), "--every", "3", "motion.model=shift", "engine_weight=0.0"
    )
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [row[:2] for row in rows] == [
        ["hockey", "defaults"],
        ["hockey", "motion.model=shift"],
        ["hockey", "engine_weight=0.0"],
    ]
    ious = [float(row[2]) for row in rows]
    assert all(0.5 < iou <= 1.0 for iou in ious)  # one step keeps the player
    assert ious[2] != ious[0]  # the change reached the propagation


def test_an_unknown_setting_is_refused():
    done = run_tool("one_step", "--data", str(DATA), "speed=2", check=False)
    assert done.returncode != 0 and "speed" in done.stderr
