"""The embedded engine on thin objects: poles, lines and a board before textured mountains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.color import rgb2lab
from thin_scenes import (
    board_before_mountains,
    bright_line_on_dark,
    decode_clicks,
    long_pole_on_snow,
    pole_on_snow,
    slalom_frame,
)

from napari_skipclick.engines.embedded import THIN_DROPPED, EmbeddedEngine
from napari_skipclick.engines.embedded_pixel import colour_disks, outside_share
from napari_skipclick.engines.embedded_pole_click import line_width
from napari_skipclick.engines.embedded_thin import (
    click_paths,
    colour_cost,
    contrast_to_surroundings,
    long_line,
    ridge_width,
)
from napari_skipclick.engines.embedded_thin_pass import off_line_radii, snap_near_misses
from napari_skipclick.engines.working_size import image_on_grid
from napari_skipclick.eval.metrics import iou
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click

SAMPLE_VIDEO = (
    Path(__file__).parents[2] / "src" / "napari_skipclick" / "sample_data" / "giant_slalom.mp4"
)


def _slalom_poles(reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Giant-slalom frame 0 and the pixels within ``reach`` (4-connected steps) of its
    annotated poles."""
    frame, pole = slalom_frame("poles")
    return frame, ndimage.binary_dilation(pole, iterations=reach)


@pytest.mark.parametrize("scene", [pole_on_snow, bright_line_on_dark], ids=["pole", "line"])
def test_two_clicks_at_the_ends_of_a_line_segment_it(scene):
    image, line, clicks = scene()
    mask = decode_clicks(EmbeddedEngine(), image, clicks)
    assert iou(line.astype(np.uint8), mask) >= 0.8


def test_a_board_before_textured_mountains_does_not_flood_them():
    image, board, clicks = board_before_mountains()
    mask = decode_clicks(EmbeddedEngine(), image, clicks)
    assert np.count_nonzero(mask & ~board) < 0.25 * np.count_nonzero(board)
    assert iou(board.astype(np.uint8), mask) >= 0.8
    # the board holds without the thin-object pass, and even without the guards: the colour of
    # a positive click on the board no longer counts as object where the mountains hold it
    for engine in (
        EmbeddedEngine(thin_objects=False),
        EmbeddedEngine(thin_objects=False, guard_share=0.0, flood_factor=0.0),
    ):
        mask = decode_clicks(engine, image, clicks)
        assert np.count_nonzero(mask & ~board) < 0.25 * np.count_nonzero(board)


def test_ridge_width_measures_a_line_and_finds_none_in_a_flat_region():
    image, _, clicks = pole_on_snow()
    lightness = rgb2lab(image)[..., 0]
    assert ridge_width(lightness, clicks[0], strength=3.0) <= 4.0
    flat = np.full((60, 60), 50.0)
    assert ridge_width(flat, Click(30, 30, True), strength=3.0) == np.inf
    # a wide dark band answers at a larger scale than the 3-pixel pole
    wide = np.full((80, 80), 80.0)
    wide[:, 34:46] = 30.0
    assert ridge_width(wide, Click(40, 40, True), strength=3.0) >= 8.0


@pytest.mark.parametrize("width", [2, 3, 4, 6, 8, 10])
def test_ridge_width_reads_a_bars_width_at_its_centre_and_at_the_image_edge(width):
    bar = np.full((60, 60), 80.0)
    bar[:, 30 - width // 2 : 30 - width // 2 + width] = 20.0
    assert ridge_width(bar, Click(30, 30, True), strength=3.0) == width
    # near the top edge the window is mirrored; then the bar turned across, read 2 px from
    # the right edge
    assert ridge_width(bar, Click(2, 30, True), strength=3.0) == width
    assert ridge_width(bar.T, Click(30, 58, True), strength=3.0) == width


def test_click_disks_keep_to_the_clicked_colour():
    image, line, clicks = pole_on_snow()
    disks = colour_disks(rgb2lab(image), clicks, radius=3.0, tolerance=15.0)
    claimed = disks > 0
    assert claimed.any()
    assert np.count_nonzero(claimed & ~line) <= 2


def test_the_path_between_two_clicks_follows_the_line():
    image, line, clicks = pole_on_snow()
    lab = rgb2lab(image)
    points = [(round(c.y), round(c.x)) for c in clicks]
    path = click_paths(colour_cost(lab, points, tolerance=15.0), points, max_mean_cost=1.6)
    assert path.sum() > 100
    assert np.count_nonzero(path & line) >= 0.95 * np.count_nonzero(path)
    # a path that has to cross the snow leaves the pole's colours and is dropped
    pole_cost = colour_cost(lab, points[:1], tolerance=15.0)
    assert not click_paths(pole_cost, [points[0], (20, 300)], max_mean_cost=1.6).any()


def test_clicks_on_lines_inside_a_wide_object_keep_the_whole_object():
    # a dark board 60 px wide with thin bright graphics; clicks land on two of the lines
    rng = np.random.default_rng(5)
    image = np.full((200, 260, 3), 230.0) + rng.normal(0, 4, (200, 260, 3))
    board = np.zeros(image.shape[:2], dtype=bool)
    board[70:130, 30:230] = True
    image[board] = (40, 60, 120)
    for x in range(50, 220, 20):
        image[72:128, x : x + 2] = (200, 200, 90)
    clicks = [Click(100, 130, True), Click(100, 70, True), Click(100, 190, True)]
    mask = decode_clicks(EmbeddedEngine(), np.clip(image, 0, 255).astype(np.uint8), clicks)
    assert iou(board.astype(np.uint8), mask) >= 0.9


def test_clicks_on_a_real_pole_give_a_line_without_blobs_of_snow():
    # giant-slalom frame 0: two clicks on the skier's right pole, in zoom mode as for poles; the
    # pole readings are off (``line_contrast=0``: no trace, ``way_share=0``: no line between the
    # clicks), so the line disks alone decide
    frame, near_pole = _slalom_poles(2)
    clicks = [Click(183, 408, True), Click(174, 385, True)]
    thickness = {}
    for share in (0.5, 0.0):
        engine = EmbeddedEngine(line_disk_share=share, line_contrast=0.0, way_share=0.0)
        session = AnnotationSession(frame[None], engine)
        obj = session.add_object().id
        for k in (1, 2):
            session.set_clicks(0, obj, clicks[:k], zoom=True)
        mask = session.labels.read(0) == obj
        thickness[share] = ndimage.distance_transform_edt(mask).max()
        if share:
            assert np.count_nonzero(mask) >= 40  # the pole between and around the clicks
            assert np.count_nonzero(mask & near_pole) >= 0.8 * np.count_nonzero(mask)
    # a line one or two pixels wide; each click's whole disk painted the snow around it
    assert thickness[0.5] <= 1.5 < 3.0 <= thickness[0.0]


def test_clicks_on_real_poles_in_the_full_frame_give_lines_without_blobs():
    # giant-slalom frame 0, four clicks on the two poles, no zoom: the thin pass decides
    frame, near_pole = _slalom_poles(2)
    clicks = [Click(155, 309, True), Click(165, 320, True), Click(165, 361, True)]
    clicks.append(Click(185, 413, True))
    mask = decode_clicks(EmbeddedEngine(), frame, clicks)
    assert np.count_nonzero(mask) >= 60
    assert np.count_nonzero(mask & near_pole) >= 0.95 * np.count_nonzero(mask)
    # each click fixed a disk as wide as the pole, not a 7-px blob of snow
    assert ndimage.distance_transform_edt(mask).max() <= 2.0


@pytest.mark.parametrize("zoom", [True, False], ids=["zoom", "full-frame"])
def test_a_click_where_the_pole_crosses_the_gate_keeps_the_line(zoom):
    # giant-slalom frame 0: two clicks on the right pole, then one where it passes the red
    # gate pole (no thin line there: ridge width 10 px); it must not flood the snow
    frame, near_pole = _slalom_poles(2)
    clicks = [Click(183, 408, True), Click(174, 385, True), Click(165, 360, True)]
    session = AnnotationSession(frame[None], EmbeddedEngine())
    obj = session.add_object().id
    for k in (1, 2, 3):
        session.set_clicks(0, obj, clicks[:k], zoom=zoom)
    mask = session.labels.read(0) == obj
    assert 80 <= np.count_nonzero(mask) <= 200  # the pole from the gate to its tip
    assert np.count_nonzero(mask & near_pole) >= 0.8 * np.count_nonzero(mask)


def test_a_pole_is_a_long_line_that_stands_out_and_texture_is_not():
    rng = np.random.default_rng(3)
    plain = np.full((80, 80), 80.0) + rng.normal(0, 1.0, (80, 80))
    pole = plain.copy()
    pole[:, 39:41] = 50.0  # a dark line two pixels wide, top to bottom
    click = Click(40, 39.5, True)
    assert contrast_to_surroundings(pole, 40, 40) >= 4.0
    assert long_line(pole, click, 2.0, strength=3.0)
    # the same line among stripes of every shade, 3 px wide: a texture, not a pole
    scales = pole.copy()
    for x in range(0, 80, 3):
        scales[:, x : x + 3] = rng.uniform(40.0, 120.0)
    scales[:, 39:41] = 50.0
    assert contrast_to_surroundings(scales, 40, 40) < 3.0
    # a dash 8 px long does not go on along its direction
    dash = plain.copy()
    dash[36:44, 39:41] = 50.0
    assert not long_line(dash, click, 2.0, strength=3.0)


def test_a_lone_click_on_a_real_pole_gives_the_pole_not_the_snow():
    # giant-slalom frame 0, full frame: one click on the right pole flooded 22,027 px of snow,
    # then gave 6 px of the pole around the click; a second click on the pole outside that
    # flood was refused (29,021 px)
    frame, near_pole = _slalom_poles(3)
    session = AnnotationSession(frame[None], EmbeddedEngine())
    obj = session.add_object().id
    clicks = [Click(176, 389, True), Click(172, 378, True)]
    session.set_clicks(0, obj, clicks[:1])
    first = session.labels.read(0) == obj
    assert 30 <= np.count_nonzero(first) <= 80 and first[176, 389]
    assert np.count_nonzero(first & near_pole) == np.count_nonzero(first)
    # traced along the pole both ways: from the gate pole it crosses (column 378) to its tip
    columns = np.flatnonzero(first.any(axis=0))
    assert columns.min() <= 378 and columns.max() >= 412
    session.set_clicks(0, obj, clicks)
    line = session.labels.read(0) == obj
    assert 30 <= np.count_nonzero(line) <= 200
    # the pole between the clicks, with a stub of the red gate pole it crosses there
    assert np.count_nonzero(line & near_pole) >= 0.75 * np.count_nonzero(line)


def test_the_flood_a_pole_click_replaced_is_firm_background_in_the_answer():
    # the answer is the next click's prior (the session passes it, as skipclick eval does):
    # left at the usual 0.25, the snow the superpixel cut flooded around the pole stayed half
    # believed, and the second click on the pole (above) flooded 7,523 px of it
    frame, _ = _slalom_poles(3)
    click, empty = [Click(176, 389, True)], np.zeros(frame.shape[:2], np.float32)
    features = EmbeddedEngine().encode(frame)
    answer = EmbeddedEngine().decode(features, click, empty)
    flood = EmbeddedEngine(thin_objects=False).decode(features, click, empty) > 0.5
    dropped = flood & (answer <= 0.5)
    assert np.count_nonzero(dropped) > 1000
    assert np.all(answer[dropped] == THIN_DROPPED)


def test_click_disks_take_one_radius_per_click():
    lab = np.zeros((40, 40, 3))
    clicks = [Click(10, 10, True), Click(30, 30, False)]
    disks = colour_disks(lab, clicks, [1.0, 3.0], tolerance=15.0)
    assert np.count_nonzero(disks > 0) == 5
    assert np.count_nonzero(disks < 0) == 29


def test_outside_share_measures_a_flood_away_from_the_clicks():
    mask = np.zeros((100, 200), dtype=bool)
    mask[45:55, 40:60] = True
    clicks = [Click(50, 45, True), Click(50, 55, True)]
    assert outside_share(mask, clicks, reach=8.0) == 0.0
    mask[:, 120:] = True  # a region far from the clicks
    assert outside_share(mask, clicks, reach=8.0) > 0.9
    assert outside_share(np.zeros_like(mask), clicks, reach=8.0) == 0.0


def test_two_clicks_in_the_middle_of_a_pole_give_the_whole_pole():
    # a pole 2 px wide over 340 px of textured snow, clicked near its middle: the thin pass
    # alone gave the pole between the clicks (89 px, rows 107-133)
    image, pole = long_pole_on_snow()
    middle = [Click(110, 146, True), Click(130, 174, True)]
    mask = decode_clicks(EmbeddedEngine(), image, middle)
    near = ndimage.binary_dilation(pole, iterations=2)
    assert np.count_nonzero(mask & near) >= 0.95 * np.count_nonzero(mask)
    rows = np.nonzero(mask)[0]
    assert rows.min() <= 25 and rows.max() >= 215  # the pole runs from row 20 to row 220
    # a negative click on the pole stops the trace there
    stopped = decode_clicks(EmbeddedEngine(), image, [*middle, Click(180, 244, False)])
    rows = np.nonzero(stopped)[0]
    assert rows.min() <= 25 and rows.max() < 180


def test_one_click_in_the_middle_of_a_pole_gives_the_whole_pole():
    # a pole 2 px wide over 340 px of textured snow: one click gave the pole's pixels in its
    # disk; now the pole is traced from it both ways along its own direction
    image, pole = long_pole_on_snow()
    near = ndimage.binary_dilation(pole, iterations=2)
    for click in (Click(110, 146, True), Click(130, 174, True)):
        mask = decode_clicks(EmbeddedEngine(), image, [click])
        assert np.count_nonzero(mask & near) >= 0.95 * np.count_nonzero(mask)
        rows = np.nonzero(mask)[0]
        assert rows.min() <= 25 and rows.max() >= 215  # the pole runs from row 20 to row 220
    # a negative click on the pole stops the trace there
    stopped = decode_clicks(EmbeddedEngine(), image, [click, Click(180, 244, False)])
    rows = np.nonzero(stopped)[0]
    assert rows.min() <= 25 and rows.max() < 180


@pytest.mark.parametrize("offset", [(2, 0), (-2, 0), (0, 2), (0, -3)])
def test_a_lone_click_that_just_misses_a_pole_gives_the_pole(offset):
    # a click two or three pixels beside a pole 2 px wide flooded 4,600-17,000 px of snow
    image, pole = long_pole_on_snow()
    near = ndimage.binary_dilation(pole, iterations=2)
    mask = decode_clicks(EmbeddedEngine(), image, [Click(110 + offset[0], 146 + offset[1], True)])
    assert np.count_nonzero(mask & near) >= 0.95 * np.count_nonzero(mask)
    rows = np.nonzero(mask)[0]
    assert rows.min() <= 25 and rows.max() >= 215


@pytest.mark.parametrize("dy", [1, 2, -2])
def test_a_lone_click_beside_a_real_pole_gives_the_pole_not_the_snow(dy):
    # giant-slalom frame 0: a click one or two rows off the right pole flooded 15,000-26,000
    # px of snow; it now gives what a click on the pole gives
    frame, near_pole = _slalom_poles(3)
    engine = EmbeddedEngine()
    on_pole = decode_clicks(engine, frame, [Click(174, 384, True)])
    beside = decode_clicks(engine, frame, [Click(174 + dy, 384, True)])
    assert 20 <= np.count_nonzero(beside) <= 80
    assert np.count_nonzero(beside & near_pole) >= 0.9 * np.count_nonzero(beside)
    assert iou(on_pole, beside) >= 0.8


def test_a_lone_click_on_plain_snow_away_from_poles_still_takes_the_snow():
    # the snap reads only a pole within two pixels: a click on open snow means the snow
    image, pole = long_pole_on_snow()
    mask = decode_clicks(EmbeddedEngine(), image, [Click(60, 200, True)])
    assert np.count_nonzero(mask) >= 1000 and not (mask & pole).any()


def test_a_pole_is_traced_to_the_glove_and_no_further_along_the_leg():
    # giant-slalom frame 0: two clicks on the skier's left pole, between the glove and the leg
    # it passes behind: the trace reaches the glove and stops at the leg (an edge between the
    # snow and the darker leg is no pole: the pole must stand out on both sides)
    frame, near_pole = _slalom_poles(2)
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(155, 309, True), Click(165, 320, True)])
    assert np.count_nonzero(mask & near_pole) >= 0.9 * np.count_nonzero(mask)
    ys, xs = np.nonzero(mask)
    assert ys.min() <= 146 and xs.min() <= 301  # the glove end of the pole: (143, 298)
    assert ys.max() <= 175  # not down the leg to the skis (row 190)


def test_a_click_half_a_pixel_from_the_thin_pass_crop_edge_is_decoded():
    # the thin pass crops around the positive clicks; a negative click elsewhere, within half
    # a pixel of that crop's far edge, rounds to a pixel beyond it (it raised IndexError)
    image, _, clicks = pole_on_snow()
    engine = EmbeddedEngine()
    features = engine.encode(image)
    right, low = max(c.x for c in clicks), max(c.y for c in clicks)
    for step in range(10, 30):  # one of them lies half a pixel short of the crop's edge
        negative = Click(low - 30, right + step + 0.6, False)
        probabilities = engine.decode(features, [*clicks, negative])
        assert probabilities[round(negative.y), round(negative.x)] < 0.5


def test_a_click_off_the_lines_of_a_thin_object_fixes_a_disk_as_narrow_as_theirs():
    s = EmbeddedEngine().settings
    radii = [3.0, 3.0, 3.0]
    assert off_line_radii({0: 2.0, 1: 2.0, 2: np.inf}, radii, None, s) == [3.0, 3.0, 1.5]
    pole = np.zeros((40, 60), np.float32)
    pole[20:22, 5:55] = 1.0
    assert off_line_radii({0: 2.0, 1: 2.0, 2: np.inf}, radii, pole, s) == [3.0, 3.0, 1.5]
    # a negative click (no width) and the clicks of a wide object keep their disks
    assert off_line_radii({0: 2.0, 2: 2.0}, radii, None, s) == radii
    assert off_line_radii({0: np.inf, 1: np.inf}, [3.0, 3.0], None, s) == [3.0, 3.0]
    assert off_line_radii({0: np.inf}, [3.0], None, s) == [3.0]  # one click: no object read yet
    body = np.zeros((40, 60), np.float32)
    body[5:35, 10:50] = 1.0  # clicks on its fine texture read lines, its mask is wide
    assert off_line_radii({0: 2.0, 1: 2.0, 2: np.inf}, radii, body, s) == radii


@pytest.mark.parametrize("tip", [(186, 419), (185, 419)])
def test_a_click_at_the_tip_of_a_real_pole_adds_no_blob_of_snow(tip):
    # giant-slalom frame 0: two clicks on the right pole and one at its tip, where no line is
    # read; its 3-px disk fixed 16-23 px of snow beside the pole (3.2 px thick)
    frame, near_pole = _slalom_poles(2)
    engine = EmbeddedEngine()
    clicks = [Click(165, 361, True), Click(185, 413, True), Click(*tip, True)]
    mask = engine.decode(engine.encode(frame), clicks) > 0.5
    assert np.count_nonzero(mask) >= 60
    assert np.count_nonzero(mask & ~near_pole) <= 6
    assert ndimage.distance_transform_edt(mask).max() <= 2.0


@pytest.mark.parametrize("near_miss", [(178, 398), (177, 398)])
def test_a_third_click_that_just_misses_a_real_pole_adds_no_snow(near_miss):
    # giant-slalom frame 0: two clicks on the right pole and a third one or two rows above it,
    # on the snow, which the ridge filter still read as the pole: its disk took 7-43 px of snow
    frame, near_pole = _slalom_poles(2)
    engine = EmbeddedEngine()
    features = engine.encode(frame)
    base = [Click(165, 361, True), Click(185, 413, True)]
    missed = engine.decode(features, [*base, Click(*near_miss, True)]) > 0.5
    on_pole = engine.decode(features, [*base, Click(179, 398, True)]) > 0.5
    assert np.count_nonzero(missed & ~near_pole) <= 3
    assert iou(missed, on_pole) >= 0.9


def _lab8(image: np.ndarray) -> np.ndarray:
    """The image's Lab colours as the engine's features hold them."""
    return EmbeddedEngine().encode(image).arrays["lab"]


def test_a_click_beside_the_line_its_object_is_clicked_on_moves_onto_it():
    image, pole = long_pole_on_snow()  # 2 px wide, from (20, 20) to (220, 300)
    lab = _lab8(image)
    s = EmbeddedEngine().settings
    clicks = [Click(48, 59, True), Click(188, 255, True), Click(108, 147, True)]
    assert pole[48, 59] and pole[188, 255] and not pole[108, 147]  # the last, 2 px off
    widths = {i: line_width(lab, c, s) for i, c in enumerate(clicks)}
    moved, moved_widths = snap_near_misses(lab, clicks, widths, s)
    assert moved[:2] == clicks[:2]
    assert pole[round(moved[2].y), round(moved[2].x)] and moved_widths[2] <= s.thin_width
    # a click on the line, or without two other clicks on lines, stays where it is
    on_line = [*clicks[:2], Click(110, 146, True)]
    assert snap_near_misses(lab, on_line, widths, s)[0] == on_line
    assert snap_near_misses(lab, clicks[1:], {0: widths[1], 1: widths[2]}, s)[0] == clicks[1:]


def test_a_click_between_a_bright_line_and_its_shadow_never_moves_onto_the_shadow():
    # a white ski on grey snow with its dark shadow 4 px below it: the shadow stands out
    # more, but darker, where the object's clicks are lighter than their surroundings
    rng = np.random.default_rng(3)
    grey = 150 + rng.normal(0, 3, (120, 200))
    image = np.repeat(grey[..., None], 3, axis=2)
    ski = np.zeros((120, 200), bool)
    ski[58:61, 20:180] = True
    shadow = np.zeros((120, 200), bool)
    shadow[64:66, 20:180] = True
    image[ski] = 235.0
    image[shadow] = 40.0
    lab = _lab8(np.clip(image, 0, 255).astype(np.uint8))
    s = EmbeddedEngine().settings
    clicks = [Click(59, 40, True), Click(59, 160, True), Click(62, 100, True)]
    widths = {i: line_width(lab, c, s) for i, c in enumerate(clicks)}
    moved = snap_near_misses(lab, clicks, widths, s)[0]
    assert moved[:2] == clicks[:2]
    assert not shadow[round(moved[2].y), round(moved[2].x)]


def test_a_lone_click_on_a_slightly_blurred_real_pole_gives_the_pole_not_the_snow():
    # the sample video's frame 0 scaled up by two and back down (as a large frame is for the
    # engine): the right pole's colour then fills the click's whole disk, and the lone click
    # kept the flood of the snow beside the skier (70,025 px)
    _, near_pole = _slalom_poles(3)
    frame = np.asarray(open_video(SAMPLE_VIDEO)[0])
    blurred = image_on_grid(np.repeat(np.repeat(frame, 2, axis=0), 2, axis=1), frame.shape[:2])
    for image in (frame, blurred):
        mask = decode_clicks(EmbeddedEngine(), image, [Click(183, 408, True)])
        assert mask[183, 408] and 10 <= np.count_nonzero(mask) <= 150
        assert np.count_nonzero(mask & near_pole) >= 0.9 * np.count_nonzero(mask)


@pytest.mark.parametrize("click", [(193, 365), (195, 370)])
def test_a_lone_click_on_a_short_line_gives_its_pixels_not_the_snow(click):
    # giant-slalom frame 0: a click near the tip of the skis, a line 2-6 px wide that stands
    # out from the snow but does not go on as a pole does, flooded 30,807 and 62,040 px of snow
    frame, skis = slalom_frame("skis")
    near_skis = ndimage.binary_dilation(skis, iterations=3)
    mask = decode_clicks(EmbeddedEngine(), frame, [Click(*click, True)])
    assert mask[click] and 3 <= np.count_nonzero(mask) <= 40
    assert np.count_nonzero(mask & near_skis) >= 0.8 * np.count_nonzero(mask)
