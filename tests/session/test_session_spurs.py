"""A negative click on a spur of the mask removes the spur along its line."""

from __future__ import annotations

import numpy as np

from napari_skipclick.engines.base import Features, check_prev_mask
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.spurs import without_spur
from napari_skipclick.types import Click

SHAPE = (90, 90)
BODY = (slice(50, 80), slice(20, 50))


def _body_with_spur() -> np.ndarray:
    """A 30×30 body and a straight spur 3 pixels wide running up and right from its top."""
    mask = np.zeros(SHAPE, bool)
    mask[BODY] = True
    for k in range(45):  # the spur: from (50, 45) up to (6, 67), slope one half
        y, x = 50 - k, 45 + k // 2
        mask[y, x - 1 : x + 2] = True
    return mask


def _spur(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` above the body but its top row's rounding (a disk of the body
    reaches one row up)."""
    out = mask.copy()
    out[48:] = False
    return out


def _holed(mask: np.ndarray, click: Click, radius: float = 4.0) -> np.ndarray:
    """What an engine that only removes around a negative click answers."""
    rows, cols = np.ogrid[: SHAPE[0], : SHAPE[1]]
    hole = (rows - click.y) ** 2 + (cols - click.x) ** 2 <= radius**2
    return np.where(mask & ~hole, 0.9, 0.1).astype(np.float32)


def test_a_negative_click_on_a_spur_removes_all_of_it_and_keeps_the_body():
    before = _body_with_spur()
    click = Click(20, 60, False)  # on the spur, halfway up
    answer = _holed(before, click)
    out = without_spur(before, answer, [Click(65, 35, True), click]) > 0.5
    assert (answer > 0.5)[_spur(before)].sum() > 80  # the engine kept most of the spur
    assert not _spur(out).any()
    assert out[BODY].all()


def test_the_spur_stays_when_it_is_the_object_or_a_positive_click_holds_it():
    before = _body_with_spur()
    click = Click(20, 60, False)
    answer = _holed(before, click)
    # a positive click on the spur's line below the negative one keeps that piece
    kept = without_spur(before, answer, [Click(65, 35, True), Click(40, 50, True), click]) > 0.5
    assert kept[35:50][_spur(before)[35:50]].all()
    assert not kept[6:15][_spur(before)[6:15]].any()  # the piece above the click goes
    # a mask that is mostly the line is the object itself: only the engine's hole
    pole = _spur(before)
    answer = _holed(pole, click)
    np.testing.assert_array_equal(without_spur(pole, answer, [click]), answer)
    # a positive newest click, or a click off the thin part, changes nothing
    np.testing.assert_array_equal(without_spur(before, answer, [Click(20, 60, True)]), answer)
    inside = Click(65, 35, False)
    answer = _holed(before, inside)
    np.testing.assert_array_equal(without_spur(before, answer, [inside]), answer)


class _HoleEngine:
    """Keeps the mask it is given except a disk around each negative click."""

    name = key = "hole-test"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        prev = check_prev_mask(prev_mask, features.image_shape) > 0.5
        out = prev.astype(np.float32)
        for click in (c for c in clicks if not c.positive):
            out = _holed(out > 0.5, click)
        return np.where(out > 0.5, 0.9, 0.1).astype(np.float32)


def test_the_session_takes_the_spur_away_with_the_click_and_undo_brings_it_back():
    session = AnnotationSession(np.zeros((1, *SHAPE, 3), np.uint8), _HoleEngine())
    obj = session.add_object(name="skier").id
    before = _body_with_spur()
    session.labels.set_frame(0, np.where(before, obj, 0).astype(session.labels.dtype))
    session.set_clicks(0, obj, [Click(20, 60, False)])
    after = session.labels.read(0) == obj
    assert not _spur(after).any() and after[BODY].all()
    session.undo()
    np.testing.assert_array_equal(session.labels.read(0) == obj, before)


def test_an_object_of_lines_has_no_spurs():
    """A pole with a wider grip halfway along: its thin parts are two pieces, each under half of
    the mask, and a negative click on one removes only what the engine removes, not the piece."""
    pole = np.zeros(SHAPE, bool)
    pole[5:85, 44:46] = True
    pole[40:49, 40:49] = True  # the grip, wider than a thin part
    click = Click(20, 44, False)
    answer = _holed(pole, click, radius=1.0)
    out = without_spur(pole, answer, [click]) > 0.5
    np.testing.assert_array_equal(out, answer > 0.5)


def test_a_correction_finds_the_masks_thin_parts_once(monkeypatch):
    """A negative click on a carried mask's spur passes through the corrections' rules and the
    spur's: they share one search of the whole mask's thin parts (tens of milliseconds on a
    frame-sized mask), not one each."""
    from napari_skipclick.session import corrections, spurs, thin_parts

    searched = []
    real = thin_parts.thin_part

    def counted(mask, settings):
        if mask.shape == SHAPE and settings == thin_parts.ThinSettings():
            searched.append(int(mask.sum()))
        return real(mask, settings)

    monkeypatch.setattr(thin_parts, "thin_part", counted)
    for module in (spurs, corrections):  # those that call it by their own name
        monkeypatch.setattr(module, "thin_part", counted, raising=False)
    session = AnnotationSession(np.zeros((1, *SHAPE, 3), np.uint8), _HoleEngine())
    obj = session.add_object(name="skier").id
    before = _body_with_spur()
    session.labels.set_frame(0, np.where(before, obj, 0).astype(session.labels.dtype))
    session.mark_carried(0, obj)
    session.set_clicks(0, obj, [Click(20, 60, False)])
    assert searched == [int(before.sum())]
