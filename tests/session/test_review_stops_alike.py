"""Review ▶'s entries: an object's reasons of one kind on consecutive frames are one entry."""

from __future__ import annotations

from napari_skipclick.session.ready import not_carried
from napari_skipclick.session.review_stops import group_stops, reason_kind, stop_parts

LENGTH = "length changed by a factor {:.2f} over 5 frames (limits 0.67-1.5)"
CONFIDENCE = "low confidence 0.42 (limit 0.6)"
LOST = "the engine refused it, after its mask had shrunk: it is not here"


def names(obj: int) -> str:
    return {1: "skis", 2: "poles"}[obj]


def test_reasons_of_one_kind_on_frames_in_a_row_are_one_entry():
    """Each frame the skis' length was marked on was an entry of its own: Review ▶ stepped
    through six entries saying the same thing. A run is one entry, on its first frame."""
    review = {t: {1: LENGTH.format(0.5 + t / 100)} for t in range(4, 10)}
    review[6][2] = CONFIDENCE  # another object's reason of its own in the run
    review[12] = {1: LENGTH.format(0.4)}  # frames 10-11 passed: a new run
    review[13] = {1: CONFIDENCE}  # another kind: an entry of its own
    stops = group_stops(review)
    assert [s.frame for s in stops] == [4, 6, 12, 13]
    assert stops[0].reasons == {1: LENGTH.format(0.54)}
    assert stops[0].alike == {1: (5, 6, 7, 8, 9)}
    assert stops[1].reasons == {2: CONFIDENCE} and stops[1].alike == {}
    assert stop_parts(stops[0], names) == [f"skis: {LENGTH.format(0.54)}; alike on frames 5–9"]
    assert stop_parts(stops[2], names) == [f"skis: {LENGTH.format(0.4)}"]
    assert reason_kind(LENGTH) == "length" and reason_kind("something else") is None


def test_the_frame_an_object_stopped_on_stays_an_entry_of_its_own():
    review = {t: {1: "low confidence 0.5 (limit 0.6)"} for t in range(2, 5)}
    review[5] = {1: f"low confidence 0.3 (limit 0.6); {LOST}"}
    review[6] = {1: not_carried(5, review[5][1], True), 2: CONFIDENCE}
    stops = group_stops(review)
    assert [s.frame for s in stops] == [2, 5, 6]
    assert stops[0].alike == {1: (3, 4)}
    assert stops[1].not_carried[0].frames == (6,)
    assert stop_parts(stops[1], names)[0].endswith("; not carried after it (frame 6)")
