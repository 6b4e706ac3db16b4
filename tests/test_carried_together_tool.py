"""tools/carried_together.py: pure propagation of every object of a clip carried together."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from tool_loader import load_tool, run_tool


def _clip(tmp_path):
    """A textured frame with a dark box and a bright bar beside it, panned over 3 frames."""
    rng = np.random.default_rng(1)
    grey = 150 + 40 * gaussian_filter(rng.normal(0, 1, (60, 90)), 1.5)
    image = np.clip(np.stack([grey] * 3, axis=-1), 0, 255).astype(np.uint8)
    labels = np.zeros((60, 90), np.uint8)
    labels[15:35, 20:40] = 1
    labels[38:42, 20:70] = 2
    image[labels == 1] = (30, 40, 50)
    image[labels == 2] = (240, 240, 230)
    load_tool("camera_clip").write_clip(
        image, labels, ["box", "bar"], tmp_path / "panned", frames=3, pan=(1, 2), zoom=0, roll=0
    )


def test_both_objects_are_carried_and_scored_together_and_alone(tmp_path):
    _clip(tmp_path)
    for extra in ((), ("--alone",)):
        lines = run_tool("carried_together", "--data", str(tmp_path), *extra).stdout.splitlines()
        assert [line.split()[:2] for line in lines] == [
            ["panned", "box"],
            ["panned", "bar"],
            ["all", "box"],
            ["all", "bar"],
        ]
        means = [float(line.split("mean")[1].split()[0]) for line in lines]
        assert min(means) >= 0.6, lines  # a whole-pixel pan of two plain objects is followed
        areas = [float(line.split("area/truth mean")[1].split()[0]) for line in lines[:2]]
        assert all(0.7 <= area <= 1.4 for area in areas), lines  # neither swells nor shrinks
