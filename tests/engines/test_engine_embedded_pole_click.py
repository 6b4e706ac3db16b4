"""A lone click at a pole's tip or grip: the pole that starts near the click, not the snow."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from thin_scenes import decode_clicks, long_pole_on_snow, slalom_frame, two_poles_on_snow

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.engines.embedded_pole_click import (
    clicks_at_pole_starts,
    line_width,
    pole_from_end,
)
from napari_skipclick.engines.embedded_thin_pass import thin_objects
from napari_skipclick.types import Click


@pytest.fixture(scope="module")
def pole_scene() -> tuple[np.ndarray, np.ndarray, EmbeddedEngine]:
    # a dark pole 2 px wide across textured snow from (20, 20) to (220, 300)
    image, pole = long_pole_on_snow()
    return image, pole, EmbeddedEngine()


@pytest.mark.parametrize("click", [(15, 13), (17, 17), (225, 307)], ids=["past", "at", "far"])
def test_the_pole_from_a_click_at_its_end_is_found(pole_scene, click):
    image, pole, engine = pole_scene
    lab = engine.encode(image).arrays["lab"]
    assert not pole[click]
    found = pole_from_end(lab, Click(*click, True), engine.settings)
    assert found is not None
    point, width = found
    assert ndimage.binary_dilation(pole)[round(point.y), round(point.x)]
    assert width <= engine.settings.thin_width
    assert np.hypot(point.y - click[0], point.x - click[1]) <= 14


@pytest.mark.parametrize(
    "click",
    [(60, 200), (100, 140), (150, 40)],
    ids=["open-snow", "beside-the-middle", "past-the-side"],
)
def test_a_click_that_is_at_no_poles_end_finds_none(pole_scene, click):
    # a click five pixels beside the pole's middle sees it run past, not away from the click
    image, _, engine = pole_scene
    lab = engine.encode(image).arrays["lab"]
    assert pole_from_end(lab, Click(*click, True), engine.settings) is None
    mask = decode_clicks(engine, image, [Click(*click, True)])
    assert np.count_nonzero(mask) >= 1000  # the snow, as clicked


@pytest.mark.parametrize("click", [(15, 13), (225, 307)], ids=["first-end", "second-end"])
def test_a_lone_click_past_a_poles_end_gives_the_pole_not_the_snow(pole_scene, click):
    # the click reads no line under it; it flooded 7,000-10,000 px of snow
    image, pole, engine = pole_scene
    mask = decode_clicks(engine, image, [Click(*click, True)])
    near = ndimage.binary_dilation(pole, iterations=2)
    assert mask[click]  # joined to the pole by the way from the click
    assert np.count_nonzero(mask & ~near) <= 10
    assert np.count_nonzero(mask & pole) >= 250  # traced along the pole (300 px at most)


@pytest.mark.parametrize(
    ("click", "reach"),
    [
        ((187, 419), (376, 418)),  # the right pole's tip, on the snow: up to the gate pole
        ((171, 327), (298, 328)),  # the left pole's tip, by the boot: up to the glove
        ((148, 303), (298, 328)),  # the left glove: down the pole to the boot, not the arm
    ],
    ids=["right-tip", "left-tip", "left-glove"],
)
def test_a_lone_click_at_a_real_poles_end_gives_the_pole_not_the_snow(click, reach):
    # giant-slalom frame 0: each of these clicks flooded 3,000-116,000 px of snow
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(*click, True)])
    assert 20 <= np.count_nonzero(mask) <= 80
    assert np.count_nonzero(mask & ~near_pole) <= 12  # a glove's or a tip's few pixels
    xs = np.flatnonzero(mask.any(axis=0))
    assert xs[0] <= reach[0] and xs[-1] >= reach[1]


def test_a_lone_click_at_a_poles_end_reads_nothing_with_the_line_reading_off(pole_scene):
    # line_contrast 0 turns pole reading off: the click takes the snow, as any such click
    image, _, _ = pole_scene
    engine = EmbeddedEngine(line_contrast=0.0)
    lab = engine.encode(image).arrays["lab"]
    assert pole_from_end(lab, Click(15, 13, True), engine.settings) is None
    assert np.count_nonzero(decode_clicks(engine, image, [Click(15, 13, True)])) >= 1000


def test_a_click_at_a_second_poles_grip_after_the_first_pole_adds_that_pole_not_the_snow():
    # both poles as one object (as the slalom set annotates them): the left pole's glove and
    # tip, then the right pole's grip, where no line reads and no pair of clicks runs along
    # a line: it flooded 3,256 px (2,975 off the poles)
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    clicks = [Click(148, 303, True), Click(171, 327, True), Click(164, 356, True)]
    mask = decode_clicks(EmbeddedEngine(), frame, clicks)
    assert np.count_nonzero(mask) <= 200
    assert np.count_nonzero(mask & ~near_pole) <= 50  # the glove's pixels
    assert np.flatnonzero(mask.any(axis=0))[-1] >= 365  # a piece of the right pole
    assert np.count_nonzero(mask[:, 320:] & near_pole[:, 320:]) >= 8


def test_clicks_are_moved_onto_a_pole_they_start_only_on_an_object_of_lines(pole_scene):
    image, pole, engine = pole_scene
    s = engine.settings
    lab = engine.encode(image).arrays["lab"]
    near = ndimage.binary_dilation(pole)
    end, on_pole, snow = Click(15, 13, True), Click(120, 160, True), Click(60, 200, True)
    assert pole[120, 160]
    widths = {0: line_width(lab, on_pole, s), 1: line_width(lab, end, s)}
    moved, out = clicks_at_pole_starts(lab, [on_pole, end], widths, s)
    assert moved[0] == on_pole and out[0] == widths[0]
    assert near[round(moved[1].y), round(moved[1].x)] and out[1] <= s.thin_width
    # a lone click, or one beside clicks that read no line, stays where it is
    assert clicks_at_pole_starts(lab, [end], {0: widths[1]}, s) == ([end], {0: widths[1]})
    snowy = {0: line_width(lab, snow, s), 1: widths[1]}
    assert snowy[0] > s.thin_width
    assert clicks_at_pole_starts(lab, [snow, end], snowy, s) == ([snow, end], snowy)


def test_poles_clicked_by_turns_at_their_ends_give_both_poles_not_the_snow():
    # one pole's end, the other's, then the first's other end and the second's: the second
    # click flooded 22,439 px of snow (the way between two poles reads no line)
    image, first, second = two_poles_on_snow()
    near = ndimage.binary_dilation(first | second, iterations=2)
    ends = [(26, 38), (36, 198), (204, 122), (214, 292)]
    engine = EmbeddedEngine()
    for k in range(1, len(ends) + 1):
        mask = decode_clicks(engine, image, [Click(*end, True) for end in ends[:k]])
        assert np.count_nonzero(mask & ~near) <= 10, k
        assert np.count_nonzero(mask & first) >= 150, k
        if k >= 2:
            assert np.count_nonzero(mask & second) >= 150, k
    assert np.count_nonzero(mask & first) >= 250 and np.count_nonzero(mask & second) >= 250


def test_poles_clicked_by_turns_on_the_slalom_frame_give_both_poles():
    # the left glove, the right grip, the left tip, the right tip: the right grip flooded
    # 1,828 px and the right tip 30,282 px
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    clicks = [Click(148, 303, True), Click(164, 356, True), Click(171, 327, True)]
    clicks.append(Click(187, 419, True))
    engine = EmbeddedEngine()
    two = decode_clicks(engine, frame, clicks[:2])
    assert np.count_nonzero(two) <= 100 and np.count_nonzero(two & ~near_pole) <= 25
    assert np.count_nonzero(two[:, :320] & pole[:, :320]) >= 10  # the left pole
    assert np.count_nonzero(two[:, 360:] & near_pole[:, 360:]) >= 8  # the right one
    four = decode_clicks(engine, frame, clicks)
    assert np.count_nonzero(four) <= 150 and np.count_nonzero(four & ~near_pole) <= 60
    assert np.flatnonzero(four.any(axis=0))[-1] >= 415  # out to the right pole's tip
    assert np.count_nonzero(four & pole) >= np.count_nonzero(two & pole) + 15


def test_a_clicks_pole_is_added_only_to_an_object_of_lines():
    # the same two clicks and the same flood; the previous mask is the first pole, or a
    # wide mask around it (a board with a printed line is no object of lines)
    image, first, second = two_poles_on_snow()
    engine = EmbeddedEngine()
    arrays, s = engine.encode(image).arrays, engine.settings
    clicks = [Click(26, 38, True), Click(36, 198, True)]
    widths = {i: line_width(arrays["lab"], c, s) for i, c in enumerate(clicks)}
    flood = np.zeros(first.shape, bool)
    flood[10:120, 20:260] = True
    added = thin_objects(arrays, flood, clicks, first.astype(np.float32), widths, s)
    assert np.all(added[first]) and np.count_nonzero(added & second) >= 150
    assert np.count_nonzero(added & ~ndimage.binary_dilation(first | second, iterations=2)) <= 5
    wide = ndimage.binary_dilation(first, iterations=6).astype(np.float32)
    assert thin_objects(arrays, flood, clicks, wide, widths, s) is flood


def test_poles_clicked_each_on_itself_on_the_slalom_frame_give_both_poles_not_the_snow():
    # a click on each pole itself: the second, on a line of its own that no line joins to the
    # first click, was left to the thin pass, which reads lines between clicks, and the
    # superpixel cut of the two flooded the snow between (41,193 px)
    frame, pole = slalom_frame("poles")
    near_pole = ndimage.binary_dilation(pole, iterations=2)
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(170, 326, True), Click(180, 400, True)])
    assert np.count_nonzero(mask) <= 150 and np.count_nonzero(mask & ~near_pole) <= 40
    assert np.count_nonzero(mask[:, :340] & pole[:, :340]) >= 20  # the left pole
    assert np.count_nonzero(mask[:, 370:] & near_pole[:, 370:]) >= 30  # the right one
