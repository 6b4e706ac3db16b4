"""tools/large_frame_bench.py: the embedded engine on a large frame, for several max_side."""

from __future__ import annotations

import json

from tool_loader import run_tool


def test_large_frame_bench_works_on_the_downsized_grid_and_answers_each_setting(tmp_path):
    out = tmp_path / "large.json"
    done = run_tool(
        "large_frame_bench",
        "--size", "540x960", "--max-side", "480,0", "--clicks", "2", "--propagate", "1",
        "--json", str(out),
    )  # fmt: skip
    assert len(done.stdout.splitlines()) == 2
    figures = json.loads(out.read_text())
    assert figures["size"] == [540, 960]
    small, full = figures["results"]
    assert (small["grid"], full["grid"]) == ([270, 480], [540, 960])
    assert small["iou_with_first"] == 1.0 and len(small["decode_ms"]) == 2
    # both find the skier: a mask of its size, much the same at either resolution
    assert 500 < full["mask_pixels"] < 5000 and 500 < small["mask_pixels"] < 5000
    assert full["iou_with_first"] > 0.6
    # one propagation step of the skier at each setting
    assert len(small["step_ms"]) == len(full["step_ms"]) == 1 and small["step_ms_median"] > 0
