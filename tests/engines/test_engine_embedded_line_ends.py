"""Clicks at a pole's two ends: the line between them says the clicks are on the pole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage
from thin_scenes import decode_clicks, long_pole_on_snow, slalom_frame

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.engines.embedded_line_between import (
    clicks_at_line_ends,
    gaps_bridged,
    line_between,
    line_to_previous,
    way_covered,
    ways_to_moved,
)
from napari_skipclick.engines.embedded_pole_click import line_width
from napari_skipclick.eval.metrics import iou
from napari_skipclick.types import Click

#: clicks just past both ends of the synthetic pole from (20, 20) to (220, 300)
PAST_ENDS = [Click(15, 13, True), Click(225, 307, True)]


@pytest.fixture(scope="module")
def pole_scene() -> tuple[np.ndarray, np.ndarray, EmbeddedEngine]:
    image, pole = long_pole_on_snow()
    engine = EmbeddedEngine()
    return engine.encode(image).arrays["lab"], pole, engine


def test_the_way_between_clicks_past_a_poles_ends_reads_the_pole(pole_scene):
    lab, pole, engine = pole_scene
    s = engine.settings
    assert not pole[PAST_ENDS[0].y, PAST_ENDS[0].x] and not pole[PAST_ENDS[1].y, PAST_ENDS[1].x]
    found = line_between(lab, *PAST_ENDS, s)
    assert found is not None
    assert found.width <= s.thin_width
    on_pole = ndimage.binary_dilation(pole)
    for point, end in ((found.near_first, PAST_ENDS[0]), (found.near_second, PAST_ENDS[1])):
        assert on_pole[round(point.y), round(point.x)]
        assert np.hypot(point.y - end.y, point.x - end.x) <= 12
    assert line_to_previous(lab, PAST_ENDS, 1, s) == 0


@pytest.mark.parametrize(
    "way",
    [
        [Click(100, 100, True), Click(140, 60, True)],  # across the pole
        [Click(150, 40, True), Click(230, 120, True)],  # over plain snow
        [Click(100, 140, True), Click(106, 148, True)],  # too short to say anything
    ],
    ids=["across", "snow", "short"],
)
def test_a_way_that_crosses_no_line_along_it_reads_none(pole_scene, way):
    lab, _, engine = pole_scene
    assert line_between(lab, *way, engine.settings) is None
    assert line_to_previous(lab, way, 1, engine.settings) is None


def test_way_share_zero_turns_the_reading_off(pole_scene):
    lab, _, engine = pole_scene
    assert line_between(lab, *PAST_ENDS, replace(engine.settings, way_share=0.0)) is None


def test_a_click_at_a_poles_end_that_reads_no_line_moves_onto_it(pole_scene):
    lab, pole, engine = pole_scene
    s = engine.settings
    clicks = [PAST_ENDS[0], Click(120, 160, True), Click(60, 200, False)]
    assert pole[120, 160]
    widths = {0: line_width(lab, clicks[0], s), 1: line_width(lab, clicks[1], s)}
    assert widths[0] > s.thin_width >= widths[1]
    moved, out = clicks_at_line_ends(lab, clicks, widths, s)
    assert out[0] <= s.thin_width and out[1] == widths[1]
    assert ndimage.binary_dilation(pole)[round(moved[0].y), round(moved[0].x)]
    assert moved[1:] == clicks[1:]  # clicks on the line and negative clicks stay


def test_way_covered_counts_the_way_a_mask_holds_or_touches():
    mask = np.zeros((20, 40), bool)
    mask[9, :20] = True
    # 40 pixels on the way: the 20 the mask holds and the one after that it touches
    assert way_covered(mask, Click(10, 0, True), Click(10, 39, True)) == pytest.approx(21 / 40)
    assert way_covered(mask, Click(12, 0, True), Click(12, 39, True)) == 0.0


@pytest.mark.parametrize("first", [0, 1], ids=["grip-first", "tip-first"])
def test_clicks_at_a_real_poles_grip_and_tip_give_the_pole_not_the_snow(first):
    # giant-slalom frame 0, the skier's right pole: one click near the hand, one at the tip,
    # where no line is read; the second click flooded 25-125 thousand px of snow
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    ends = [Click(164, 356, True), Click(187, 419, True)]
    clicks = ends if first == 0 else ends[::-1]
    mask = decode_clicks(EmbeddedEngine(), frame, clicks)
    assert np.count_nonzero(mask) >= 80
    assert np.count_nonzero(mask & ~near_pole) <= 10
    # one piece from the hand to the tip, across the gate pole it passes
    assert ndimage.label(mask, np.ones((3, 3)))[1] == 1
    xs = np.flatnonzero(mask.any(axis=0))
    assert xs[0] <= 364 and xs[-1] >= 415
    flood = decode_clicks(EmbeddedEngine(way_share=0.0), frame, clicks)
    assert np.count_nonzero(flood & ~near_pole) >= 1000


def test_clicks_at_a_real_poles_glove_and_tip_keep_to_the_pole():
    # the left pole: a click on the glove and one at the tip, by the boot; the mask keeps the
    # glove and a few pixels at the boot, not the snow
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(148, 303, True), Click(171, 327, True)])
    assert np.count_nonzero(mask & pole) >= 20
    assert np.count_nonzero(mask & ~near_pole) <= 80


def test_both_poles_as_one_object_clicked_at_their_ends_give_the_two_poles():
    # the annotated "poles" object holds both: glove and tip of the left pole, then grip and
    # tip of the right; the right grip alone floods (it reads no line), its tip tells the line
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    ends = [(148, 303), (171, 327), (164, 356), (187, 419)]
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(y, x, True) for y, x in ends])
    assert np.count_nonzero(mask & near_pole) >= 150  # both poles
    assert np.count_nonzero(mask & ~near_pole) <= 80  # gloves, not the snow


def test_clicks_on_a_wide_object_are_read_as_before():
    # four clicks inside the skier: no line between them, so the reading changes nothing
    frame, skier = slalom_frame("skier")
    clicks = [Click(y, x, True) for y, x in [(143, 334), (151, 333), (163, 342), (157, 334)]]
    mask = decode_clicks(EmbeddedEngine(), frame, clicks)
    before = decode_clicks(EmbeddedEngine(way_share=0.0), frame, clicks)
    assert np.array_equal(mask, before)
    assert iou(skier, mask) >= 0.6


def test_gaps_along_the_way_between_two_clicks_are_bridged_up_to_a_limit():
    thin = np.zeros((20, 80), bool)
    thin[10, 0:20] = thin[10, 35:45] = thin[10, 70:80] = True  # gaps of 15 and 25 px
    bridged = gaps_bridged(thin, Click(10, 0, True), Click(10, 79, True))
    assert bridged[10, :45].all()  # the 15-px gap filled
    assert np.count_nonzero(bridged[10, 45:70]) == 0  # the 25-px one is no gap in a line
    assert np.count_nonzero(bridged) == np.count_nonzero(thin) + 15
    across = gaps_bridged(thin, Click(0, 30, True), Click(19, 30, True))
    assert np.array_equal(across, thin)  # a way that touches the mask once bridges nothing


def test_a_moved_click_joins_the_mask_by_the_way_to_it():
    thin = np.zeros((20, 40), bool)
    thin[10, 20:35] = True
    asked, moved = (
        [Click(10, 5, True), Click(3, 3, False)],
        [Click(10, 22, True), Click(3, 3, False)],
    )
    joined = ways_to_moved(thin, asked, moved)
    assert joined[10, 5:35].all()  # from the click as placed to the line, and no further
    assert np.count_nonzero(joined) == 30
    assert not thin[10, 5]  # the mask given is left as it was
