"""tools/passing_frames.py: a run over frames its object is marked absent on encodes none."""

from __future__ import annotations

import json

from tool_loader import run_tool


def test_passing_frames_reports_the_run_and_the_frames_it_encoded(tmp_path):
    out = tmp_path / "passing.json"
    done = run_tool(
        "passing_frames",
        "--engine", "embedded", "--frames", "4", "--absent", "2-3", "--repeats", "1",
        "--json", str(out),
    )  # fmt: skip
    assert "encoded frames [1, 4]" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["encoded"] == [1, 4] and len(figures["run_s"]) == 1
