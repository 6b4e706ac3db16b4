"""Frame lists on the command line: one syntax for precompute, export and bench-precompute."""

from __future__ import annotations

import pytest

from napari_skipclick.frame_lists import FRAMES_SYNTAX, frame_ranges, frames_named, parse_frames


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("0-3,7", [0, 1, 2, 3, 7]),  # export's ranges, inclusive
        ("2:5", [2, 3, 4]),  # precompute's slices, the end left out
        (":2, 8-", [0, 1, 8, 9]),  # open ends: from 0, to the video's end
        ("4,1-2,2", [4, 1, 2]),  # in the order given, each once
        ("8:", [8, 9]),
    ],
)
def test_each_form_names_its_frames(text, frames):
    assert parse_frames(text).frames(10) == frames


def test_frames_past_the_end_are_kept_and_named():
    selection = parse_frames("8-12")
    assert selection.frames(10) == [8, 9, 10, 11, 12]
    with pytest.raises(ValueError, match=r"8-12 is out of range: the video has 10 frames \(0 to 9"):
        selection.past_the_end(10)
    assert parse_frames("12-").frames(10) == [12]  # an open range's start, not nothing
    with pytest.raises(ValueError, match="12- is out of range"):
        parse_frames("12-").past_the_end(10)
    parse_frames("0:10,9-").past_the_end(10)  # all inside: no error
    with pytest.raises(ValueError, match=r"the video has 1 frame \(0 to 0\)"):  # not "1 frames"
        parse_frames("1-").past_the_end(1)
    longest = r"--frames 200- is out of range: the longest of the 2 videos has 10 frames"
    with pytest.raises(ValueError, match=longest):
        parse_frames("200-").past_the_end(10, videos=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5-2", "5-2 runs backwards: write it as 2-5"),
        ("5:2", "5:2 runs backwards: write it as 2:5"),
        ("3-2", "3-2 runs backwards: write it as 2-3"),
        ("3:2", "3:2 runs backwards: write it as 2:3"),
        ("3:3", "3:3 names no frame"),
        ("-1:3", "must not be negative"),
        ("-3", "must not be negative"),
        ("a-b", "must look like"),
        ("1-2-3", "must look like"),
        (" , ", "names no frame"),
    ],
)
def test_bad_lists_say_why_and_show_the_syntax(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_frames(text)
    if "must look like" in message:
        assert FRAMES_SYNTAX in str(info.value)


def test_a_list_written_for_people_reads_back():
    frames = [0, 1, 2, 5, 7, 8]
    assert parse_frames(frame_ranges(frames)).frames(10) == frames


def test_bench_precompute_refuses_a_bad_list_in_one_line(capsys):
    """It was a traceback (ValueError) before any cluster started."""
    import argparse

    from napari_skipclick.bench import precompute as bench

    parser = argparse.ArgumentParser()
    bench.configure(parser)
    assert bench.run(parser.parse_args(["--engine", "embedded", "--frames", "5-2"])) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --frames 5-2 runs backwards") and "Traceback" not in err


def test_frames_named_in_a_sentence_say_frame_for_one():
    assert frames_named([4]) == "frame 4"
    assert frames_named([7, 4]) == "frames 4, 7"
    assert frames_named(range(2, 6)) == "frames 2-5"
