"""tools/carried_together.py: pure propagation of every object of a clip carried together."""

from __future__ import annotations

from tool_loader import run_tool, write_panned_clip


def test_both_objects_are_carried_and_scored_together_and_alone(tmp_path):
    write_panned_clip(tmp_path, 3)
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
