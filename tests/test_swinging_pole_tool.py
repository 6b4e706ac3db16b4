"""tools/swinging_pole.py: propagation of a swinging pole, per swing speed."""

from __future__ import annotations

from tool_loader import run_tool


def test_swinging_pole_prints_the_iou_and_pixels_of_each_frame_per_speed():
    done = run_tool("swinging_pole", "--degrees", "8,0", "--frames", "2")
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and lines[0].startswith("  8.0 deg/frame") and "0.0 deg" in lines[2]
    ious = [float(v) for v in lines[0].split("IoU")[1].split("mean")[0].split()]
    assert len(ious) == 2 and min(ious) >= 0.5  # the turned pole is found on both frames
    sizes = [int(v) for v in lines[1].split("px")[1].split()]
    assert len(sizes) == 2 and all(120 <= v <= 215 for v in sizes)
