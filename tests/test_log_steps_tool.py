"""tools/log_steps.py and tools/replay.py: the steps of eval-video's runs logged, and stop
rules replayed on them offline."""

from __future__ import annotations

import json

from tool_loader import ROOT, load_tool, run_tool

DATA = ROOT / "tests" / "data" / "davis_video_mini"


def test_every_frame_of_the_pure_and_restart_runs_is_logged(tmp_path):
    out = tmp_path / "hockey.json"
    run_tool("log_steps", str(DATA / "hockey"), str(out), "--restart-every", "4")
    rows = json.loads(out.read_text())
    starts = {tuple(r["run"]) for r in rows}
    runs = {run: [r["frame"] for r in rows if tuple(r["run"]) == run] for run in starts}
    assert runs == {(0, None): list(range(1, 8)), (0, 4): [1, 2, 3, 4], (4, 3): [5, 6, 7]}
    assert all(0.5 < r["j"] <= 1.0 and not r["empty"] for r in rows)
    assert all({"doubtful", "grown", "expected", "coasting"} <= set(r) for r in rows)


def row(frame: int, j: float, doubtful: bool) -> dict:
    """A logged step of the pure run from frame 0."""
    return dict(
        run=[0, None],
        frame=frame,
        j=j,
        empty=False,
        ok=True,
        stopped=False,
        reason=None,
        doubtful=doubtful,
    )


def test_a_rule_stops_on_the_third_frame_that_counts_and_empties_the_frames_after():
    replay = load_tool("replay")
    doubts = [False, True, True, True, True]
    js = [0.9, 0.2, 0.1, 0.1, 0.4]
    rows = [row(t + 1, j, d) for t, (j, d) in enumerate(zip(js, doubts, strict=True))]
    scores, stops = replay.replay(rows, replay.RULES["track in doubt"], 3)
    assert stops == [("pure", 4)] and scores["pure"] == [0.9, 0.2, 0.1, 0.1, 0.0]
    scores, stops = replay.replay(rows, replay.RULES["track in doubt"], 5)
    assert stops == [] and scores["pure"] == [r["j"] for r in rows]


def test_a_speck_counts_towards_a_stop_unless_something_hides_it():
    """``stop_rules.shrunk``: under a third of the area expected, neither coasting nor hidden."""
    replay = load_tool("replay")
    areas, js = [800, 100, 90, 90, 90], [0.9, 0.2, 0.1, 0.1, 0.4]
    rows = [
        {**row(t + 1, j, False), "area": area, "expected": 900.0, "coasting": False}
        for t, (j, area) in enumerate(zip(js, areas, strict=True))
    ]
    scores, stops = replay.replay(rows, replay.RULES["shrunk under expected/3"], 3)
    assert stops == [("pure", 4)] and scores["pure"] == [0.9, 0.2, 0.1, 0.1, 0.0]
    hidden = [{**r, "coasting": True} for r in rows]
    scores, stops = replay.replay(hidden, replay.RULES["shrunk under expected/3"], 3)
    assert stops == [] and scores["pure"] == js


def test_faded_colours_count_while_the_area_falls_below_its_trend():
    """``stop_rules.shrunk``: colours under half the limit, the area below the one 5 frames
    before (the start frame's for the first frames)."""
    replay = load_tool("replay")
    areas, js = [950, 900, 850, 800, 800, 800, 800], [0.9, 0.5, 0.3, 0.2, 0.1, 0.1, 0.1]
    rows = [
        {**row(t + 1, j, False), "area": area, "start_area": 1000, "colour": 0.2}
        for t, (j, area) in enumerate(zip(js, areas, strict=True))
    ]
    scores, stops = replay.replay(rows, replay.RULES["faded"], 3)
    assert stops == [("pure", 3)] and scores["pure"] == [0.9, 0.5, 0.3, 0.0, 0.0, 0.0, 0.0]
    kept = [{**r, "colour": 0.5} for r in rows]  # half its colours: a rider behind trunks
    assert replay.replay(kept, replay.RULES["faded"], 3)[1] == []
    steady = [{**r, "area": 1000} for r in rows]  # its area holds: a turn, a shadow
    assert replay.replay(steady, replay.RULES["faded"], 3)[1] == []


def test_the_rules_read_their_limits_from_the_propagation_settings():
    """``min_colour_match``, ``max_slid_growth`` and ``max_drift_ratio``, not copies of them."""
    replay = load_tool("replay")
    settings = replay.PropagationSettings(
        min_colour_match=0.5, max_slid_growth=2.0, max_drift_ratio=4.0
    )
    rules = replay.rules(settings)
    assert {"slid, grown 2", "needs review, grown 2", "shrunk under expected/4"} <= set(rules)
    pale = {**row(1, 0.5, False), "colour": 0.6, "grown": 1.8}
    assert replay.RULES["slid"](pale) and not rules["slid"](pale)
    assert replay.RULES["slid, grown 1.5"](pale) and not rules["slid, grown 2"](pale)
    assert rules["slid, grown 2"]({**pale, "colour": 0.4, "grown": 2.5})
    speck = {**row(1, 0.5, False), "area": 250, "expected": 900.0, "coasting": False}
    assert replay.RULES["shrunk under expected/3"](speck)
    assert not rules["shrunk under expected/4"](speck)
