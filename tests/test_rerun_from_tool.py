"""tools/rerun_from.py: a run, a corrected frame in its middle, and a run again from it."""

from __future__ import annotations

from tool_loader import run_tool, write_panned_clip


def test_each_object_is_run_corrected_on_the_frame_and_run_again(tmp_path):
    write_panned_clip(tmp_path, 5)
    lines = run_tool("rerun_from", "--data", str(tmp_path), "--frame", "2").stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["panned", "box"], ["panned", "bar"]]
    for line in lines:
        clicks = int(line.split("clicks")[1].split()[0])
        first = float(line.split("first run")[1].split()[0])
        again = float(line.split("again from frame 2")[1].split()[0])
        assert 0 <= clicks <= 5 and first >= 0.6 and again >= 0.6, lines


def test_after_reopening_the_store_the_second_run_is_the_same(tmp_path):
    """``--reopen`` saves the first run to a store and runs again in a session opened from
    it, which goes on as the first session would have (tests/session/
    test_session_saved_courses.py holds the case where a restart would differ)."""
    write_panned_clip(tmp_path, 5)
    args = ("rerun_from", "--data", str(tmp_path), "--frame", "2")
    assert run_tool(*args, "--reopen").stdout == run_tool(*args).stdout
