"""tools/frame_step_bench.py: stepping frames in the widget on a generated clip."""

from __future__ import annotations

import json

import pytest

from tool_loader import run_tool

pytestmark = [pytest.mark.gui]


def test_frame_step_bench_times_each_step_and_writes_a_profile(tmp_path):
    out, profile = tmp_path / "steps.json", tmp_path / "steps.prof"
    done = run_tool(
        "frame_step_bench",
        "--size", "240x320", "--frames", "10", "--steps", "4",
        "--profile", str(profile), "--json", str(out),
    )  # fmt: skip
    assert "240x320: 4 steps, median" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["size"] == [240, 320] and len(figures["step_ms"]) == 4
    assert profile.stat().st_size > 0


def test_frame_step_bench_with_labels_read_from_a_store(tmp_path):
    out = tmp_path / "steps.json"
    done = run_tool(
        "frame_step_bench",
        "--size", "120x160", "--frames", "8", "--steps", "3", "--labels", "--json", str(out),
    )  # fmt: skip
    assert "120x160 with labels: 3 steps, median" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["labels"] is True and len(figures["step_ms"]) == 3
