"""tools/review_marks.py: how well pure propagation's review marks point at failed frames."""

from __future__ import annotations

import json

from napari_skipclick.types import FrameStatus
from tool_loader import load_tool, run_tool, write_panned_clip


def test_reasons_are_sorted_into_their_kinds():
    kind = load_tool("review_marks").kind
    assert kind(None) is None
    assert kind("area changed by a factor 0.47 over 5 frames (limits 0.67-1.5)") == "area"
    assert kind("length changed by a factor 0.55 (limits 0.67-1.5)") == "length"
    assert kind("low confidence 0.42 (limit 0.6)") == "confidence"
    held = "its line would grow to 75 pixels, held to 72 (a pole or ski does not widen: ...)"
    assert kind(held) == "held"
    refused = "the engine's mask has 347 pixels where the object had 123; the motion carried it"
    assert kind(refused) == "refused"
    assert kind("the object vanished (empty mask)") == "empty"


def test_every_step_is_scored_against_the_truth(tmp_path):
    write_panned_clip(tmp_path, 3)
    out = tmp_path / "marks.json"
    result = run_tool("review_marks", "--data", str(tmp_path), "--together", "--json", str(out))
    saved = json.loads(out.read_text())
    steps = saved["steps"]
    assert [(s["object"], s["frame"]) for s in steps] == [
        ("box", 1),
        ("bar", 1),
        ("box", 2),
        ("bar", 2),
    ]
    for s in steps:
        assert s["iou"] >= 0.6, s  # a whole-pixel pan of two plain objects is followed
        assert s["failed"] is False and s["marked"] == (s["kind"] is not None)
    scores = saved["scores"]["all"]
    assert scores["steps"] == 4 and scores["failed"] == 0 and scores["recall"] is None
    assert "panned/box" in result.stdout and "precision" in result.stdout


def test_a_folder_of_frames_with_a_first_frame_is_only_counted(tmp_path):
    write_panned_clip(tmp_path, 3)
    clip = tmp_path / "panned"
    args = ["--images", str(clip / "frames"), "--labels", str(clip / "masks" / "00000.png")]
    lines = run_tool("review_marks", *args, "--names", "box,bar").stdout.splitlines()
    assert sum(" - " in line and ("box" in line or "bar" in line) for line in lines) == 4
    assert not any("precision" in line for line in lines)  # no truth to score against
    assert any(line.startswith("all") and "steps   4" in line for line in lines)


def test_accept_takes_one_accept_per_frame_still_marked_when_its_turn_comes():
    from session.test_session_accepted import _closer

    session = _closer(30)  # frames 10-29 marked: grown past 1.5 times frame 0's area
    marked, accepts = load_tool("review_marks").accept_marked(session)
    assert marked == 20 and 1 < accepts < marked  # each accept settles the frames after it
    assert FrameStatus.NEEDS_REVIEW not in session.statuses().values()
