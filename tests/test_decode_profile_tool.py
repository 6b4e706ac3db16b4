"""tools/decode_profile.py: the time of one click decode and of each of its parts."""

from __future__ import annotations

import json

import pytest

from tool_loader import run_tool

PARTS = ["click_embedding", "encoder_blocks", "neck", "head", "resize"]


@pytest.mark.slow
def test_decode_profile_reports_the_decode_and_its_parts(tmp_path):
    figures, table = tmp_path / "figures.json", tmp_path / "trace.txt"
    done = run_tool(
        "decode_profile", "--size", "224", "--clicks", "3", "--repeats", "1",
        "--json", str(figures), "--trace", str(table),
    )  # fmt: skip
    result = json.loads(figures.read_text())
    assert result["device"] == "cpu" and result["clicks"] == 3
    for name in ["engine_decode", "model_decode", *PARTS]:
        assert result[name] > 0.0
        assert name in done.stdout
    assert "aten::addmm" in table.read_text()  # the profiler saw the products
