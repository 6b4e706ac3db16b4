"""tools/one_step.py: one propagation step from the ground truth, per clip and setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "davis_video_mini"


def test_one_step_reports_each_clip_with_defaults_and_each_change():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "one_step.py"),
            "--data",
            str(DATA),
            "--every",
            "3",
            "motion.model=shift",
            "engine_weight=0.0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
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
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "one_step.py"), "--data", str(DATA), "speed=2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0 and "speed" in done.stderr
