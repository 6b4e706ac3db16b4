"""Corrective clicks on a carried mask change it only around the click."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from napari_skipclick.checks import corrects
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.corrections import corrected, local_edit
from napari_skipclick.types import Click
from support.engines import BACKGROUND, ColourEngine, moving_squares, red_box


def test_a_positive_correction_adds_only_the_engines_part_at_the_click():
    before = np.zeros((40, 60), bool)
    before[10:20, 10:20] = True
    after = before.copy()
    after[10:20, 20:26] = True  # grows where the click is
    after[30:38, 40:58] = True  # and elsewhere: not asked for
    edited = local_edit(before, after, Click(15, 22, True))
    np.testing.assert_array_equal(edited, before | (after & (np.arange(60) < 30)[None, :]))


def test_a_negative_correction_removes_only_near_the_click():
    before = np.zeros((40, 80), bool)
    before[10:14, 5:75] = True  # a long pole
    after = np.zeros_like(before)  # the engine drops all of it
    edited = local_edit(before, after, Click(12, 6, False))
    assert not edited[10:14, 5:12].any()  # removed around the click
    assert edited[10:14, 40:75].all()  # the far end stays


def _disk(shape: tuple[int, int], y: int, x: int, r: float) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - y) ** 2 + (cols - x) ** 2 <= r**2


def test_a_positive_correction_that_floods_takes_what_the_engine_finds_at_the_click_alone():
    before = np.zeros((80, 100), bool)
    before[5:15, 5:15] = True
    ball = _disk(before.shape, 50, 60, 5)
    after = before.copy()
    after[30:80, :] = True  # the answer to all clicks floods the court around the ball
    asked = []

    def alone() -> np.ndarray:
        asked.append(True)
        return ball

    edited = local_edit(before, after, Click(50, 60, True), alone=alone)
    np.testing.assert_array_equal(edited, before | ball)
    assert asked == [True]
    # without the engine's own answer the flood is taken, cut to the click's reach
    assert np.count_nonzero(local_edit(before, after, Click(50, 60, True))) > 20 * ball.sum()


def test_a_positive_correction_keeps_the_engines_part_that_is_no_flood():
    before = np.zeros((80, 100), bool)
    before[5:40, 40:60] = True
    after = before.copy()
    after[40:75, 42:58] = True  # a missed leg: 560 pixels
    half = np.zeros_like(before)
    half[40:60, 42:58] = True  # what the click alone finds: a third of the leg and more
    edited = local_edit(before, after, Click(50, 50, True), alone=lambda: half)
    np.testing.assert_array_equal(edited, after)
    # an answer alone that misses the click, or holds almost nothing, says nothing either
    speck = _disk(before.shape, 50, 50, 1)
    for own in (np.zeros_like(before), speck):
        edited = local_edit(before, after, Click(50, 50, True), alone=lambda own=own: own)
        np.testing.assert_array_equal(edited, after)


def test_a_small_correction_never_asks_the_engine_about_the_click_alone():
    before = np.zeros((40, 60), bool)
    before[10:20, 10:20] = True
    after = before.copy()
    after[10:20, 20:26] = True

    def alone() -> np.ndarray:
        raise AssertionError("decoded for a part that cannot be a flood")

    edited = local_edit(before, after, Click(15, 22, True), alone=alone)
    assert edited[10:20, 20:26].all()
    assert np.array_equal(local_edit(before, before, Click(15, 30, False), alone=alone), before)


def _ski_on_snow() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A dark ski 3 px wide on snow, a mask of it one row too wide along its middle, and an
    engine answer that drops the ski around a negative click on that row."""
    image = np.full((40, 80, 3), 235, np.uint8)
    image[20:23, 10:70] = (40, 30, 60)
    ski = np.zeros((40, 80), bool)
    ski[20:23, 10:70] = True
    before = ski.copy()
    before[19, 30:51] = True  # a row of snow along its edge
    after = before.copy()
    after[15:30, 28:53] = False
    return image, ski, before, after


def test_a_negative_correction_on_a_ski_removes_the_snow_not_the_ski():
    image, ski, before, after = _ski_on_snow()
    click = Click(19, 40, False)
    edited = local_edit(before, after, click, image=lambda: image)
    assert not edited[19, 33:48].any()  # the snow around the click is gone
    np.testing.assert_array_equal(edited & ski, ski)  # and all of the ski stays
    assert not (edited & ~before).any()
    # a disk around the click, as on a wide object, takes the ski's width with it
    assert not local_edit(before, after, click)[20:23, 35:45].any()
    # the same through ``corrected``, which reads the frame for it
    positive = Click(21, 15, True)
    probabilities = np.where(after, 0.9, 0.1).astype(np.float32)
    fixed = corrected(before, probabilities, [positive, click], [positive], lambda: image)
    np.testing.assert_array_equal(fixed > 0.5, edited)


def test_a_negative_correction_on_a_ski_where_nothing_looks_different_takes_the_engines_part():
    image, _, before, after = _ski_on_snow()
    image[19, 30:51] = (40, 30, 60)  # the row looks like the ski: nothing to tell them apart
    click = Click(19, 40, False)
    edited = local_edit(before, after, click, image=lambda: image)
    np.testing.assert_array_equal(edited, local_edit(before, after, click))
    assert not edited[19, 35:45].any() and not edited[20:23, 35:45].any()


def _player_on_clay() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A player (white shirt, legs of skin) on a clay court, a mask that also holds the court
    between the legs, and an engine answer that drops that court and the right leg with it."""
    image = np.empty((80, 100, 3), np.uint8)
    image[:] = (180, 90, 60)
    image[10:40, 30:70] = (240, 240, 240)
    image[40:70, 30:42] = image[40:70, 58:70] = (200, 150, 120)
    player = np.zeros((80, 100), bool)
    player[10:40, 30:70] = player[40:70, 30:42] = player[40:70, 58:70] = True
    before = np.zeros_like(player)
    before[10:70, 30:70] = True
    after = before.copy()
    after[40:70, 42:70] = False
    return image, player, before, after


def test_a_negative_correction_that_takes_much_keeps_what_looks_like_the_object():
    image, player, before, after = _player_on_clay()
    click = Click(55, 50, False)  # on the court between the legs
    edited = local_edit(before, after, click, image=lambda: image)
    np.testing.assert_array_equal(edited, player)  # the court is gone, the right leg stays
    assert not local_edit(before, after, click)[40:70, 58:70].any()  # the engine's part: gone


def test_a_negative_correction_on_what_looks_like_the_object_takes_the_engines_part():
    image, _, before, after = _player_on_clay()
    click = Click(55, 64, False)  # on the right leg itself
    edited = local_edit(before, after, click, image=lambda: image)
    np.testing.assert_array_equal(edited, local_edit(before, after, click))
    assert not edited[40:70, 42:70].any()


def test_a_correction_changes_the_mask_even_where_the_engine_does_not():
    before = np.zeros((40, 40), bool)
    before[10:20, 10:20] = True
    edited = local_edit(before, before, Click(15, 24, True))
    assert edited[15, 24] and edited[15, 20:24].all()
    assert not edited[30:, :].any()


def test_only_an_added_click_that_disagrees_with_the_mask_is_a_correction():
    mask = np.zeros((10, 10), bool)
    mask[2:6, 2:6] = True
    inside, outside = Click(3, 3, True), Click(8, 8, True)
    assert corrects(mask, outside) and not corrects(mask, inside)
    assert corrects(mask, Click(3, 3, False))
    probs = mask.astype(np.float32)
    assert corrected(mask, probs, [inside, outside], [inside]) is not None
    assert corrected(mask, probs, [inside, inside], [inside]) is None  # agrees with the mask
    assert corrected(mask, probs, [outside], [inside]) is None  # not an added click
    assert corrected(np.zeros_like(probs), probs, [inside, outside], [inside]) is None


def _square(t: int) -> np.ndarray:
    mask = np.zeros((64, 96), bool)
    mask[red_box(t)] = True
    return mask


def test_a_correction_on_a_propagated_frame_keeps_the_carried_mask_away_from_the_click():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    list(session.propagate([obj], 0, n_frames=3))
    np.testing.assert_array_equal(session.labels[2] == obj, _square(2))
    left = red_box(2)[1].start
    # a negative click on the square's left edge: the engine alone removes the whole square
    session.set_clicks(2, obj, [*session.clicks(2, obj), Click(25, left, False)])
    mask = session.labels[2] == obj
    assert not mask[20:32, left : left + 2].any()
    assert mask[20:32, left + 10 : left + 12].all()
    # each further correction there edits the carried mask as it now is, not the engine's
    # answer to the last one (docs/annotation.md, *Clicks and masks*)
    session.set_clicks(2, obj, [*session.clicks(2, obj), Click(40, 90, False)])
    np.testing.assert_array_equal(session.engine.decodes[-1][1], mask.astype(np.float32))
    # on a frame the user clicked, the same correction takes the engine's whole answer
    session.set_clicks(0, obj, [Click(25, 15, True), Click(25, 10, False)])
    assert not (session.labels[0] == obj).any()


def test_an_undone_propagation_leaves_no_local_corrections_behind():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    list(session.propagate([obj], 0, n_frames=1))
    session.undo()
    assert not (session.labels[1] == obj).any()
    left = red_box(1)[1].start
    session.set_clicks(1, obj, [Click(25, left + 5, True)])
    session.set_clicks(1, obj, [Click(25, left + 5, True), Click(25, left, False)])
    assert not (session.labels[1] == obj).any()


class _FloodingEngine(ColourEngine):
    """Refining a mask (a prior with object pixels) it takes colours within 40 of a positive
    click, so that a grey ball floods the dark court around it; on a fresh object, within 10."""

    def decode(self, features, clicks, prev_mask=None):
        refining = prev_mask is not None and (np.asarray(prev_mask) > 0.5).any()
        image = features.arrays["image"]
        mask = np.zeros(features.image_shape, bool)
        for click in clicks:
            y, x = round(click.y), round(click.x)
            similar = (np.abs(image - image[y, x]) <= (40 if refining else 10)).all(axis=2)
            parts, _ = ndimage.label(similar)
            region = parts == parts[y, x]
            mask = mask | region if click.positive else mask & ~region
        self.decodes.append((list(clicks), None if prev_mask is None else prev_mask.copy()))
        return np.where(mask, 0.9, 0.05).astype(np.float32)


def test_a_positive_correction_on_a_ball_apart_from_a_propagated_mask_adds_the_ball():
    video = moving_squares(4)
    video[:, 4:12, 70:80] = np.add(BACKGROUND, 30)  # a grey ball in the dark
    session = AnnotationSession(video, _FloodingEngine())
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    list(session.propagate([obj], 0, n_frames=2))
    np.testing.assert_array_equal(session.labels[2] == obj, _square(2))
    session.set_clicks(2, obj, [*session.clicks(2, obj), Click(8, 75, True)])
    ball = np.zeros_like(_square(2))
    ball[4:12, 70:80] = True
    np.testing.assert_array_equal(session.labels[2] == obj, _square(2) | ball)
    clicks, prior = session.engine.decodes[-1]  # the click alone, on no mask
    assert clicks == [Click(8, 75, True)] and not prior.any()


def _pole_on_snow() -> tuple[np.ndarray, np.ndarray]:
    """A dark pole two pixels wide running down and right across plain snow, and its mask."""
    image = np.full((60, 60, 3), 230, np.uint8)
    pole = np.zeros((60, 60), bool)
    for k in range(50):
        pole[5 + k, 5 + k : 7 + k] = True
    image[pole] = (50, 50, 60)
    return image, pole


def test_a_negative_correction_on_a_pole_two_pixels_wide_removes_the_clicked_pixel_alone():
    """Every pixel of a line this thin is part snow: its colours tell nothing, and the engine's
    part (or a disk) takes the pole's length with it."""
    image, pole = _pole_on_snow()
    click = Click(30, 31, False)  # the pole's right pixel on row 30
    after = pole.copy()
    after[22:39] = False  # the engine drops the pole around the click
    probabilities = np.where(after, 0.9, 0.1).astype(np.float32)
    fixed = corrected(pole.astype(np.float32), probabilities, [click], [], lambda: image) > 0.5
    expected = pole.copy()
    expected[30, 31] = False
    np.testing.assert_array_equal(fixed, expected)
    # a mask wider than two pixels around the click keeps the rules for thin parts
    wide = pole | np.roll(pole, 2, axis=1) | np.roll(pole, 4, axis=1)
    assert np.count_nonzero(wide & ~local_edit(wide, after & wide, click, image=lambda: image)) > 1
