"""Thin parts (lines, poles, sticks) followed along their ridge from frame to frame."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation, gaussian_filter

from napari_skipclick.session import PropagationSettings
from napari_skipclick.session.motion import Motion
from napari_skipclick.session.motion_background import Momentum
from napari_skipclick.session.straight_parts import with_thin_parts
from napari_skipclick.session.thin_parts import (
    BUDGET_SLACK,
    ThinSettings,
    follow_thin,
    line_budget,
    thin_part,
)
from support.engines import UpperPartEngine
from support.scenes import iou, line_mask
from support.sessions import started_session

BODY = 50  # the body's rows end here; the line hangs below it


def water(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Darker textured water around grey 100, with a blue tint, as uint8 RGB."""
    rng = np.random.default_rng(seed)
    noise = gaussian_filter(rng.normal(0, 1, (height, width)), 1.5)
    grey = 100 + 25 * noise / noise.std()
    return np.clip(np.stack([grey * 0.7, grey, grey * 1.2], axis=-1), 0, 255).astype(np.uint8)


def kite(t: int, shape=(130, 200)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame ``t``: a dark textured body moving 2 px right per frame with a bright line 2 px
    wide hanging from it whose lower end swings 3 px right per frame; (frame, mask, line)."""
    frame = water(*shape)
    body = np.zeros(shape, bool)
    left = 30 + 2 * t
    body[10:BODY, left : left + 50] = True
    rng = np.random.default_rng(7)
    texture = rng.integers(20, 60, (BODY - 10, 50, 1))
    frame[10:BODY, left : left + 50] = texture
    line = line_mask(shape, (BODY, left + 40), (120, left + 60 + 3 * t), 2.0) & ~body
    frame[line] = (235, 235, 225)
    return frame, body | line, line


def test_the_thin_part_is_the_line_not_the_body_nor_a_short_spur():
    _, mask, line = kite(0)
    mask = mask.copy()
    mask[30:33, 80:88] = True  # a spur 8 px long off the body's side
    part = thin_part(mask, ThinSettings())
    assert iou(part, line) > 0.9
    assert not part[30:33, 80:88].any() and not part[15:45, 35:75].any()
    assert not thin_part(mask, ThinSettings(width=0)).any()


@pytest.mark.parametrize("start", [0, 40], ids=["at-the-edge", "inside"])
def test_a_thin_piece_is_as_long_at_the_frames_edge_as_inside_it(start):
    # a line 2 px wide and as long as min_length counts, wherever it lies; its pieces were
    # once grouped on a dilation that the frame's edge cut short, and one at the edge did not
    settings = ThinSettings()
    mask = np.zeros((60, 100), bool)
    mask[30:32, start : start + settings.min_length] = True
    assert thin_part(mask, settings).sum() == 2 * settings.min_length
    mask[30:32, start + settings.min_length - 1] = False  # a pixel shorter
    assert not thin_part(mask, settings).any()


def _still(shape) -> Motion:
    """A motion that says nothing moved, on the whole frame."""
    return Motion((0, shape[0], 0, shape[1]), np.zeros((2, *shape), np.float32))


def test_a_line_that_moved_more_than_its_width_is_found_on_its_ridge():
    before, mask, _ = kite(0)
    after, _, line_after = kite(1)
    _, _, line_before = kite(0)
    # the motion misses the line entirely (it says nothing moved): the line's own ridge is
    # found within the search, tile by tile, although the line turned
    found = follow_thin(
        before, after, mask, thin_part(mask, ThinSettings()), _still(mask.shape), ThinSettings()
    )
    assert iou(line_before, line_after) < 0.4
    assert iou(found, line_after) > 0.7
    # a line of the water's own colour has no contrast: nothing to follow
    faint = before.copy()
    faint[line_before] = water(*mask.shape)[line_before]
    found = follow_thin(faint, after, mask, line_before, _still(mask.shape), ThinSettings())
    assert not found.any()


def _panning(shape, background, relative) -> Motion:
    """No flow, and every pixel marked as moving with the background, which moved by
    ``background`` (rows, columns) while the object moved by ``relative`` against it."""
    momentum = Momentum(np.array(relative, np.float32), np.array(background, np.float32))
    zero = np.zeros((2, *shape), np.float32)
    return Motion((0, shape[0], 0, shape[1]), zero, np.ones(shape, bool), momentum)


def test_a_line_is_dropped_when_it_moved_with_the_background_not_where_its_pixels_did():
    before, mask, line = kite(0)
    after = np.roll(before, 3, axis=1)  # everything, the line too, moved 3 px right
    # the background moved 3 px right and the object 3 px left: the ridge found is the
    # background's, not the line's
    panned = _panning(mask.shape, (0, 3), (0, -6))
    assert not follow_thin(before, after, mask, line, panned, ThinSettings()).any()
    # the background moved 3 px left and the object 3 px right: the line moved with the
    # object and is kept, although the flow marks its pixels as the background's (the flow
    # of a line a pixel or two wide is its surroundings')
    panned = _panning(mask.shape, (0, -3), (0, 6))
    found = follow_thin(before, after, mask, line, panned, ThinSettings())
    assert iou(found, np.roll(line, 3, axis=1)) > 0.8


def test_a_line_the_motion_moves_off_the_frame_is_not_followed():
    before, mask, line = kite(0)
    after = kite(1)[0]
    # a fast motion (or a wrong flow) sends the line's tiles 300 px left, far off the frame
    flow = np.zeros((2, *mask.shape), np.float32)
    flow[1] = 300.0
    gone = Motion((0, mask.shape[0], 0, mask.shape[1]), flow)
    assert not follow_thin(before, after, mask, line, gone, ThinSettings()).any()


def test_a_thin_piece_of_a_wider_bar_is_no_line_to_follow():
    before, mask, _ = kite(0)
    after = kite(1)[0]
    # the mask holds only a strip 3 px wide of a dark bar 20 px wide: no line in the image
    bar = np.zeros(mask.shape, bool)
    bar[60:120, 150:170] = True
    strip = np.zeros(mask.shape, bool)
    strip[60:120, 150:153] = True
    for frame in (before, after):
        frame[bar] //= 3  # dark, with the water's texture
    found = follow_thin(before, after, strip, strip, _still(mask.shape), ThinSettings())
    assert not found.any()
    loose = ThinSettings(line=0)  # without the check the bar's edge passes for a line
    assert follow_thin(before, after, strip, strip, _still(mask.shape), loose).any()


def test_a_line_darker_at_one_end_and_brighter_at_the_other_is_followed_along_its_length():
    # a hockey stick: a dark blade and a light shaft over mid-grey ice; each tile finds its
    # own colour direction
    shape = (100, 200)
    frames, lines = [], []
    for t in range(2):
        frame = water(*shape, seed=3)
        line = line_mask(shape, (50, 20 + 4 * t), (56, 180 + 4 * t), 3.0)
        frame[line & (np.arange(200) < 100)] = (20, 20, 30)
        frame[line & (np.arange(200) >= 100)] = (230, 210, 170)
        frames.append(frame)
        lines.append(line)
    found = follow_thin(frames[0], frames[1], lines[0], lines[0], _still(shape), ThinSettings())
    assert iou(found, lines[1]) > 0.7
    assert found[:, :95].any() and found[:, 105:].any()


def kite_line(t: int, shape=(120, 240)) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: a kite line 2 px wide, bright on textured water below row 50 and barely
    lighter than the plain sky above it, 3 px farther right on each frame; (frame, line)."""
    frame = water(*shape, seed=5)
    frame[:50] = (200, 200, 205)
    line = line_mask(shape, (115, 20 + 3 * t), (0, 230 + 3 * t), 2.0)
    sky = np.arange(shape[0])[:, None] < 50
    frame[line & ~sky] = (235, 235, 225)
    frame[line & sky] = (206, 206, 210)  # too faint to follow on its own
    return frame, line


def test_a_straight_line_is_followed_where_it_is_too_faint_to_see_with_the_rest_of_it():
    (before, line), (after, line_after) = kite_line(0), kite_line(1)
    sky = np.arange(line.shape[0])[:, None] < 50
    # the motion is wrong by the line's 3 px: the water part is found on its ridge, and the
    # sky part, too faint for that, moves with the line through the water part
    found = follow_thin(before, after, line, line, _still(line.shape), ThinSettings())
    assert iou(found & ~sky, line_after & ~sky) > 0.7
    assert iou(found & sky, line_after & sky) > 0.7
    assert found.sum() <= 1.1 * line.sum()  # the line keeps its width
    alone = follow_thin(before, after, line, line, _still(line.shape), ThinSettings(straight=0))
    assert not (alone & sky).any()
    # a faint line of its own, not in line with any part that could be followed, is not moved
    faint = line_mask(line.shape, (49, 20), (0, 80), 2.0)
    found = follow_thin(
        before, after, line | faint, line | faint, _still(line.shape), ThinSettings()
    )
    assert iou(found, line_after) > 0.7
    assert not (found & binary_dilation(faint, iterations=6)).any()


def test_a_tile_that_found_a_ridge_of_the_background_moves_with_its_line_instead():
    # a steep line moves 3 px right while the background pans 3 px left. On the new frame
    # the line's lowest part is hidden (spray) and a ridge of the water lies where the
    # panning took that part: its tiles find that ridge, with the background's shift. They
    # take no part in the line's fit and move with the line through the tiles that found it.
    shape = (200, 120)
    rows = np.arange(shape[0])[:, None]
    low, sky = rows >= 128, rows < 60
    frames, lines = [], []
    for t in range(2):
        frame = water(*shape, seed=5)
        frame[:60] = (200, 200, 205)
        line = line_mask(shape, (185, 50 + 3 * t), (0, 70 + 3 * t), 2.0)
        frame[line & ~sky] = (235, 235, 225)
        frame[line & sky] = (206, 206, 210)  # too faint to follow on its own
        frames.append(frame)
        lines.append(line)
    after = frames[1]
    after[lines[1] & low] = water(*shape, seed=5)[lines[1] & low]
    ridge = np.roll(lines[0], -3, axis=1) & low
    after[ridge] = (235, 235, 225)
    panned = _panning(shape, (0, -3), (0, 6))
    found = follow_thin(frames[0], after, lines[0], lines[0], panned, ThinSettings())
    near = binary_dilation(lines[1])  # the line moved with the object, give or take 1 px
    assert not (found & ridge & ~near).any()
    assert (found & low).any() and not (found & low & ~near).any()
    assert (binary_dilation(found) & lines[1] & low).sum() > 0.75 * (lines[1] & low).sum()
    assert (found & sky & near).sum() > 0.95 * (found & sky).sum() > 0


def test_a_thin_piece_of_a_wider_bar_in_line_with_a_followed_line_stays_put():
    # a bright line on water 3 px farther right on the next frame; where it would go on, the
    # edge of a dark bar 15 px wide, of which the mask holds a strip 3 px wide in line with
    # the line
    shape = (120, 200)
    frames, lines = [], []
    bar = line_mask(shape, (55 - 5.2, 109 - 2.9), (10 - 5.2, 190 - 2.9), 15.0)
    for t in range(2):
        frame = water(*shape, seed=9)
        frame[bar] //= 3
        line = line_mask(shape, (110, 10 + 3 * t), (60, 100 + 3 * t), 2.0)
        frame[line] = (235, 235, 225)
        frames.append(frame)
        lines.append(line)
    strip = line_mask(shape, (55, 109), (10, 190), 3.0)
    mask = lines[0] | strip
    found = follow_thin(frames[0], frames[1], mask, mask, _still(shape), ThinSettings())
    assert (found & lines[1]).sum() >= 0.8 * lines[1].sum()
    # the tiles of the strip beyond the tiles where line and strip meet (rows 37 and below)
    # are no line in the image: they are not moved with the line
    off_line = found & ~binary_dilation(lines[1], iterations=2)
    assert not off_line[:35].any()


def _propagate(settings: PropagationSettings, n_frames: int = 8) -> list[float]:
    """IoU of the propagated line with the true line on frames 1..n_frames."""
    frames, masks, lines = zip(*(kite(t) for t in range(n_frames + 1)), strict=True)
    session, obj = started_session(np.stack(frames), masks[0], UpperPartEngine(BODY))
    list(session.propagate([obj], 0, settings=settings))
    below = np.arange(masks[0].shape[0])[:, None] >= BODY
    return [iou((session.labels.read(t) == obj) & below, lines[t]) for t in range(1, n_frames + 1)]


@pytest.mark.parametrize("width", [0, ThinSettings().width])
def test_a_swinging_line_the_engine_never_sees_is_kept_frame_after_frame(width):
    kept = _propagate(PropagationSettings(thin=ThinSettings(width=width)))
    if width == 0:
        assert min(kept[2:]) < 0.3, kept  # engine, colours and the flow drop it
    else:
        assert min(kept) > 0.6, kept


def _pole_with_glove(shape=(80, 120)):
    """A pole 2 px wide (its mask on the previous frame), and a blob at its grip."""
    pole = line_mask(shape, (10, 10), (70, 110), 2.0)
    glove = np.zeros(shape, bool)
    glove[4:16, 4:16] = True
    return pole, glove & ~pole


def test_a_line_object_keeps_its_pixels_its_found_line_first():
    pole, glove = _pole_with_glove()
    found = np.roll(pole, 1, axis=0)  # the line found again, a pixel lower
    fused = np.where(pole | glove, 0.9, 0.1).astype(np.float32)
    fused[found] = np.maximum(fused[found], 0.51)
    settings = ThinSettings()
    kept, cut = line_budget(fused.copy(), found, pole, thin_part(pole, settings), settings)
    held = kept > 0.5
    area = int(pole.sum())
    assert np.count_nonzero(held) == int(np.ceil(1.05 * area)) + BUDGET_SLACK
    assert held[found].all()  # the line found on the new frame stays whole
    assert np.count_nonzero(held & glove) < 0.2 * glove.sum()  # the swelling goes
    assert cut == np.count_nonzero(fused > 0.5) - np.count_nonzero(held)  # what it held back


def test_a_line_budget_grows_from_its_expected_area_and_with_the_measured_zoom():
    pole, glove = _pole_with_glove()
    fused = np.where(pole | glove, 0.9, 0.1).astype(np.float32)
    settings = ThinSettings()
    thin = thin_part(pole, settings)
    area = int(pole.sum())
    none = np.zeros(pole.shape, bool)

    def kept(**bases) -> int:
        held, _ = line_budget(fused.copy(), none, pole, thin, settings, **bases)
        return int(np.count_nonzero(held > 0.5))

    # a mask that filled its budget on the frames before is no base to grow from
    assert kept(expected=0.8 * area) == int(np.ceil(1.05 * 0.8 * area)) + BUDGET_SLACK
    assert kept(expected=2.0 * area) == kept()  # the previous frame's area bounds it too
    # half of it left the picture: its expected area counts by the same share
    half = area // 2
    assert kept(visible=half, expected=0.8 * area) == int(np.ceil(1.05 * 0.4 * area)) + 2
    # a camera that zooms in by 10 % gives it 21 % more pixels, one that zooms out fewer
    assert kept(scale=1.1) == int(np.ceil(1.05 * 1.21 * area)) + BUDGET_SLACK
    assert kept(scale=0.9) == int(np.ceil(1.05 * 0.81 * area)) + BUDGET_SLACK


def test_an_object_that_is_not_mostly_lines_or_a_limit_switched_off_is_not_held():
    pole, glove = _pole_with_glove()
    body = np.zeros(pole.shape, bool)
    body[20:60, 10:50] = True  # a skier holding the pole: the line is a small part of him
    grown = np.where(pole | glove | body, 0.9, 0.1).astype(np.float32)
    settings = ThinSettings()
    none = np.zeros(pole.shape, bool)
    skier = pole | body
    kept, cut = line_budget(grown.copy(), none, skier, thin_part(skier, settings), settings)
    assert np.array_equal(kept, grown) and cut == 0
    off = ThinSettings(line_share=0)
    kept, cut = line_budget(grown.copy(), none, pole, thin_part(pole, off), off)
    assert np.array_equal(kept, grown) and cut == 0


def test_thin_settings_reject_nonsense():
    with pytest.raises(ValueError):
        ThinSettings(width=-1)
    with pytest.raises(ValueError):
        ThinSettings(strength=0)
    with pytest.raises(ValueError):
        ThinSettings(tile=0)
    with pytest.raises(ValueError):
        ThinSettings(line=-1)
    with pytest.raises(ValueError):
        ThinSettings(straight=-1)
    with pytest.raises(ValueError):
        ThinSettings(line_share=1.5)
    with pytest.raises(ValueError):
        ThinSettings(growth=-0.1)


def _ski_on_snow(t: int, shape=(64, 120)) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: a grey ski 2 px wide on textured snow, 3 px further right each frame, its
    shadow a darker row right below it; (frame, ski)."""
    rng = np.random.default_rng(t)
    noise = gaussian_filter(rng.normal(0, 1, shape), 1.0)
    frame = np.repeat(np.clip(205 + 6 * noise / noise.std(), 0, 255)[..., None], 3, axis=2)
    ski = np.zeros(shape, bool)
    ski[30:32, 20 + 3 * t : 80 + 3 * t] = True
    frame[ski] = 70
    frame[np.roll(ski, 1, axis=0) & ~ski] = 50
    return frame.astype(np.uint8), ski


def test_a_line_object_keeps_its_own_shape_beside_a_darker_shadow():
    before, ski = _ski_on_snow(0)
    after, moved = _ski_on_snow(1)
    flow = np.zeros((2, *ski.shape), np.float32)
    flow[1] = -3.0  # the motion: 3 px right (the flow points back to the previous frame)
    motion = Motion((0, ski.shape[0], 0, ski.shape[1]), flow)
    # the engine and the moved mask agree on the ski; the followed line joins them
    fused = np.where(moved, 0.9, 0.1).astype(np.float32)
    out, _, _ = with_thin_parts(fused, before, after, ski, motion, ThinSettings())
    # the ski's pixels, not the strongest dark row around them: its shadow stays out
    assert iou(out > 0.5, moved) > 0.85
    assert np.count_nonzero((out > 0.5) & ~moved) <= 0.1 * moved.sum()
