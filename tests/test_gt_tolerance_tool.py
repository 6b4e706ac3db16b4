"""tools/gt_tolerance.py: what one pixel of boundary costs each ground-truth object."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tool_loader import ROOT, load_tool, run_tool


def _tool():
    return load_tool("gt_tolerance")


def _run(*args: str, check: bool = True):
    """The tool run as a command with ``args``."""
    return run_tool("gt_tolerance", *args, check=check, timeout=300)


def test_a_square_loses_its_rim_and_a_one_pixel_line_everything():
    tolerance = _tool().tolerance
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 10:30] = 1
    got = tolerance(square)
    assert got["area"] == 400 and got["pieces"] == 1
    assert got["erode_1px"] == pytest.approx(18 * 18 / 400)
    assert got["dilate_1px"] == pytest.approx(400 / (400 + 4 * 20))  # 4-connected growth
    assert got["shift_1px"] == pytest.approx(380 / 420)

    line = np.zeros((40, 40), np.uint8)
    line[20, 5:35] = 1
    line[20, 18:20] = 0  # two pieces
    got = tolerance(line)
    assert got["erode_1px"] == 0.0 and got["pieces"] == 2 and got["median_width"] == 2.0


def test_void_pixels_do_not_count_against_the_changed_mask():
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 10:30] = 1
    void = square.copy()
    void[9, :] = void[30, :] = void[:, 9] = void[:, 30] = 255  # the dilation lands in void
    assert _tool().tolerance(void)["dilate_1px"] == pytest.approx(1.0)


def test_the_command_prints_and_writes_every_object(tmp_path):
    out = tmp_path / "rows.json"
    done = _run("--data", str(ROOT / "tests" / "data" / "giant_slalom"), "--json", str(out))
    rows = json.loads(out.read_text())
    assert [r["name"] for r in rows] == ["00000_obj1_skis", "00000_obj2_poles", "00000_obj3_skier"]
    poles = rows[1]
    assert poles["pieces"] > 1 and poles["erode_1px"] < 0.1  # broken one-pixel lines
    assert rows[2]["erode_1px"] > poles["erode_1px"]
    assert all(r["name"] in done.stdout for r in rows)


def test_video_clips_count_every_nth_frame_of_each_object(tmp_path):
    out = tmp_path / "rows.json"
    clips = ROOT / "tests" / "data" / "davis_video_mini"
    _run("--data", str(clips), "--every", "2", "--json", str(out))
    names = [r["name"] for r in json.loads(out.read_text())]
    assert names and all(" frame " in n for n in names)
    frames = [int(n.rsplit(" ", 1)[1]) for n in names if n.startswith("hockey:1 ")]
    assert frames[:2] == [0, 2]


def test_every_below_one_is_refused():
    done = _run("--data", str(ROOT / "tests" / "data"), "--every", "0", check=False)
    assert done.returncode == 2 and "--every" in done.stderr
