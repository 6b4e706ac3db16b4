"""tools/boundary_side.py: on which side of the annotation an engine's boundary lies."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tool_loader import ROOT, load_tool, run_tool


def _tool():
    return load_tool("boundary_side")


def test_a_mask_a_pixel_inside_the_annotation_has_object_all_round_outside():
    side = _tool().boundary_side
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 10:30] = 1
    inner = np.zeros((40, 40), bool)
    inner[11:29, 11:29] = True
    got = side(square, inner)
    assert got["out_object"] == 1.0 and got["in_background"] == 0.0
    assert got["iou"] == pytest.approx(18 * 18 / 400)
    assert got["iou_dilated"] > got["iou"] > got["iou_eroded"]
    outer = np.zeros((40, 40), bool)
    outer[9:31, 9:31] = True  # a pixel beyond it: its inner ring is all background
    got = side(square, outer)
    assert got["in_background"] == 1.0 and got["iou_eroded"] > got["iou"]


def test_void_pixels_are_left_out_of_the_rings():
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 10:30] = 1
    square[9, :] = square[30, :] = square[:, 9] = square[:, 30] = 255
    pred = square == 1
    got = _tool().boundary_side(square, pred)
    assert got["out_object"] == 0.0 and got["iou"] == 1.0 and got["iou_dilated"] == 1.0


def test_the_command_runs_the_clicks_and_writes_every_object(tmp_path):
    out = tmp_path / "rows.json"
    data = str(ROOT / "tests" / "data" / "giant_slalom")
    done = run_tool("boundary_side", "--data", data, "--clicks", "2", "--json", str(out))
    rows = json.loads(out.read_text())
    assert [r["name"] for r in rows] == ["00000_obj1_skis", "00000_obj2_poles", "00000_obj3_skier"]
    assert all(0.0 <= r["out_object"] <= 1.0 and 0.0 <= r["iou"] <= 1.0 for r in rows)
    assert rows[2]["iou"] > 0.3  # the skier after two clicks
    assert "dilation raises it on" in done.stdout
