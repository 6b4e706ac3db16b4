"""Clicks -> masks: prior, overlap rule, statuses, clicks outside, stale results, zoom, objects."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.checks import click_inside, ids_in, in_crop, other_side
from napari_skipclick.engines.base import check_clicks
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.io.store.checks import check_clicks as check_stored_clicks
from napari_skipclick.session import (
    AnnotationSession,
    FeaturesNotReady,
    StaleResultError,
    color_for,
)
from napari_skipclick.session.results import split_inside
from napari_skipclick.session.state import COLORS
from napari_skipclick.session.zoom import crop_key, zoom_box
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, moving_squares, red_box

RED_CLICK = Click(25, 15, True)  # inside the red square on frame 0
BLUE_CLICK = Click(45, 70, True)  # inside the blue bar


@pytest.fixture
def session():
    return AnnotationSession(moving_squares(), ColourEngine(), classes=("skier", "pole"))


def test_objects_have_stable_ids_classes_and_colours(session):
    a = session.add_object()
    b = session.add_object("pole", name="left pole")
    assert (a.id, a.class_name, b.id, b.name) == (1, "skier", 2, "left pole")
    assert a.color == color_for(1) == COLORS[0] and b.color == COLORS[1]
    assert len(set(COLORS)) == len(COLORS)
    session.delete_object(a.id)
    c = session.add_object()
    assert c.id == 3  # IDs are never reused
    assert session.rename_object(b.id, "right pole").name == "right pole"
    assert session.set_object_class(b.id, "skier").class_name == "skier"
    with pytest.raises(ValueError, match="unknown class"):
        session.add_object("ski")
    session.add_class("ski")
    assert session.add_object("ski").class_name == "ski"
    with pytest.raises(ValueError):
        session.add_class("ski")
    with pytest.raises(KeyError, match="no object with ID 1"):
        session.object(1)


def test_an_object_may_take_an_id_never_given_before(session):
    first = session.add_object().id
    session.delete_object(first)
    assert session.add_object(obj_id=9).id == 9  # a label painted in napari's controls
    assert session.add_object().id == 10  # the next ones follow it
    for taken in (first, 9, 10):  # deleted (undo may bring it back) or listed
        with pytest.raises(ValueError, match=f"ID {taken} was given before"):
            session.add_object(obj_id=taken)
    with pytest.raises(ValueError, match="above 65535, the largest object ID"):
        session.add_object(obj_id=65536)  # napari could not draw it
    assert [o.id for o in session.objects] == [9, 10]


def test_clicks_write_the_object_pixels_and_status(session):
    obj = session.add_object()
    assert session.status(0) == FrameStatus.EMPTY
    result = session.set_clicks(0, obj.id, [RED_CLICK])
    expected = np.zeros((64, 96), bool)
    expected[red_box(0)] = True
    np.testing.assert_array_equal(result.mask, expected)
    np.testing.assert_array_equal(session.labels[0] == obj.id, expected)
    assert session.clicks(0, obj.id) == [RED_CLICK]
    assert session.status(0) == FrameStatus.CLICKED
    assert session.frames_of(obj.id) == [0]
    assert not session.labels[1].any()
    session.set_clicks(0, obj.id, [])  # removing the last click clears the object there
    assert not session.labels[0].any() and session.status(0) == FrameStatus.EMPTY


def test_every_decode_gets_the_engines_last_answer_as_prior(session):
    engine = session.engine
    obj = session.add_object()
    session.set_clicks(0, obj.id, [RED_CLICK])
    assert not engine.decodes[-1][1].any()  # first decode: empty prior
    red = np.zeros((64, 96), bool)
    red[red_box(0)] = True
    answer = np.where(red, engine.confidence, 0.05).astype(np.float32)
    session.set_clicks(0, obj.id, [RED_CLICK, BLUE_CLICK])
    # the engine's probabilities, as skipclick eval and the official protocol pass them
    np.testing.assert_array_equal(engine.decodes[-1][1], answer)
    assert (session.labels[0] == obj.id).sum() == 144 + 360


def test_a_mask_changed_since_the_last_answer_is_the_prior_itself(session):
    engine = session.engine
    obj = session.add_object()
    session.set_clicks(0, obj.id, [RED_CLICK])
    session.set_clicks(0, obj.id, [RED_CLICK, BLUE_CLICK])
    session.undo()  # back to the red square: the last answer (red and blue) is no longer it
    session.set_clicks(0, obj.id, [RED_CLICK, Click(10, 60, False)])
    red = (session.labels[0] == obj.id).astype(np.float32)
    assert red.sum() == 144
    np.testing.assert_array_equal(engine.decodes[-1][1], red)
    # another object taking the object's pixels changes its mask too
    other = session.add_object()
    session.set_clicks(0, obj.id, [RED_CLICK, BLUE_CLICK])
    session.set_clicks(0, other.id, [BLUE_CLICK], override=True)
    session.set_clicks(0, obj.id, [RED_CLICK, BLUE_CLICK, Click(10, 60, False)])
    np.testing.assert_array_equal(engine.decodes[-1][1], red)
    # and so does an engine switch: one engine's answer is no prior for another
    session.set_clicks(0, other.id, [BLUE_CLICK, Click(10, 60, False)])
    session.set_engine(ColourEngine(tag="b"))
    blue = (session.labels[0] == other.id).astype(np.float32)
    session.set_clicks(0, other.id, [BLUE_CLICK])
    np.testing.assert_array_equal(session.engine.decodes[-1][1], blue)


def test_clicks_outside_the_image_are_ignored_with_a_message(session):
    obj = session.add_object()
    result = session.set_clicks(0, obj.id, [RED_CLICK, Click(-1, 5, True), (10, 96.5, False)])
    assert result.clicks == [RED_CLICK]
    assert result.ignored == [Click(-1, 5, True), Click(10, 96.5, False)]
    assert "outside the 64x96 image" in result.message
    assert session.clicks(0, obj.id) == [RED_CLICK]
    assert (session.labels[0] == obj.id).sum() == 144
    only_outside = session.set_clicks(1, obj.id, [Click(np.nan, 3, True)])
    assert only_outside.message and not session.labels[1].any()
    assert session.set_clicks(0, obj.id, [RED_CLICK]).message is None


def test_clicks_and_frames_that_are_not_are_refused_by_name(session):
    """Two numbers, a sign written as text ("False" read as positive) and a frame 1.7 (read as
    frame 1) are refused, and nothing changes."""
    obj = session.add_object()
    with pytest.raises(ValueError, match=r"click 0 must be \(y, x, positive\), not \(15, 20\)"):
        session.set_clicks(0, obj.id, [(15, 20)])
    with pytest.raises(ValueError, match="click 1: its sign must be True or False, not 'False'"):
        session.set_clicks(0, obj.id, [RED_CLICK, Click(15, 20, "False")])
    with pytest.raises(IndexError, match=r"frame 1\.7 is not a frame index"):
        session.set_clicks(1.7, obj.id, [RED_CLICK])
    assert not session.labels[0].any() and not session.labels[1].any()
    assert session.set_clicks(np.int64(1), obj.id, [(*RED_CLICK[:2], np.True_)]).clicks


def test_overlap_rule_earlier_pixels_win_unless_override():
    engine = ColourEngine(tolerance=255)  # every click selects the whole frame
    session = AnnotationSession(moving_squares(2), engine)
    first, second = session.add_object(), session.add_object()
    session.set_clicks(0, first.id, [RED_CLICK])
    assert (session.labels[0] == first.id).all()
    session.set_clicks(0, second.id, [BLUE_CLICK])
    assert (session.labels[0] == first.id).all()  # the first object keeps its pixels
    session.set_clicks(0, second.id, [BLUE_CLICK], override=True)
    assert (session.labels[0] == second.id).all()


def test_compute_is_pure_and_stale_results_are_refused(session):
    obj = session.add_object()
    early = session.compute(0, obj.id, [RED_CLICK])
    assert not session.labels[0].any() and session.clicks(0, obj.id) == []
    later = session.compute(0, obj.id, [BLUE_CLICK])
    session.apply(early)
    with pytest.raises(StaleResultError, match="frame 0 changed"):
        session.apply(later)  # computed before the frame changed
    other_frame = session.compute(1, obj.id, [Click(25, 20, True)])
    session.set_engine(ColourEngine(tag="b"))
    with pytest.raises(StaleResultError, match="engine changed"):
        session.apply(other_frame)
    assert not session.labels[1].any()


def test_engine_switch_never_reuses_features_of_the_other_engine():
    cache = FeatureCache()
    first = ColourEngine(tag="a")
    session = AnnotationSession(moving_squares(3), first, cache=cache)
    obj = session.add_object()
    session.set_clicks(0, obj.id, [RED_CLICK])
    assert session.has_features(0)
    second = ColourEngine(tag="b")
    session.set_engine(second)
    assert not session.has_features(0)
    session.set_clicks(0, obj.id, [RED_CLICK])
    assert len(second.encoded_shapes) == 1 and len(first.encoded_shapes) == 1
    for t in (1, 2):
        session.features(t)
    assert len(second.encoded_shapes) == 3 and len(first.encoded_shapes) == 1
    assert session.has_features(1) and session.has_features(2)


def test_zoom_box_has_context_and_stays_inside():
    mask = np.zeros((480, 854), bool)
    mask[100:110, 400:404] = True  # a pole
    y0, y1, x0, x1 = zoom_box(mask, [Click(105, 402, True)], min_size=64)
    assert (y1 - y0, x1 - x0) == (64, 64)
    assert y0 <= 100 and y1 >= 110 and x0 <= 400 and x1 >= 404
    edge = zoom_box(np.zeros((480, 854), bool), [Click(2, 850, True)], min_size=100)
    assert edge == (0, 100, 754, 854)
    big = zoom_box(np.ones((50, 60), bool), [], min_size=10)
    assert big == (0, 50, 0, 60)


def test_zoom_refinement_encodes_the_crop_and_pastes_back():
    frames = np.zeros((2, 480, 854, 3), np.uint8)
    frames[:, 200:260, 500:506] = (250, 250, 250)  # a thin pole in a large frame
    cache = FeatureCache()
    engine = ColourEngine()
    session = AnnotationSession(frames, engine, cache=cache)
    pole = session.add_object()
    click = Click(230, 503, True)
    full = session.set_clicks(0, pole.id, [click])
    assert full.zoom_box is None and engine.encoded_shapes == [(480, 854)]
    refined = session.refine_zoom(0, pole.id)
    y0, y1, x0, x1 = refined.zoom_box
    assert engine.encoded_shapes[-1] == (y1 - y0, x1 - x0) == (200, 200)
    assert cache.contains(crop_key(session.frame_key(0), refined.zoom_box), engine.key)
    shifted = engine.decodes[-1][0]
    assert shifted == [Click(click.y - y0, click.x - x0, True)]
    expected = np.zeros((480, 854), bool)
    expected[200:260, 500:506] = True
    np.testing.assert_array_equal(session.labels[0] == pole.id, expected)
    assert session.clicks(0, pole.id) == [click]
    session.refine_zoom(0, pole.id)  # same crop again: features come from the cache
    assert len(engine.encoded_shapes) == 2


def test_statuses_follow_edits(session):
    a, b = session.add_object(), session.add_object()
    session.set_clicks(0, a.id, [RED_CLICK])
    session.set_status(0, FrameStatus.REVIEWED)
    assert session.status(0) == FrameStatus.REVIEWED
    session.set_clicks(0, b.id, [BLUE_CLICK])
    assert session.status(0) == FrameStatus.CLICKED  # edited after review
    session.set_clicks(0, a.id, [])
    assert session.status(0) == FrameStatus.CLICKED  # b still has clicks
    assert session.statuses() == {0: FrameStatus.CLICKED}
    session.delete_object(b.id)
    assert session.status(0) == FrameStatus.EMPTY and not session.labels[0].any()


def test_frames_must_be_rgb_video():
    with pytest.raises(ValueError, match="T, H, W, 3"):
        AnnotationSession(np.zeros((4, 5, 6), np.uint8), ColourEngine())


def test_zoom_without_clicks_uses_clicks_derived_from_the_mask():
    frames = np.zeros((2, 480, 854, 3), np.uint8)
    frames[:, 200:260, 500:506] = (250, 250, 250)
    engine = ColourEngine()
    session = AnnotationSession(frames, engine)
    pole = session.add_object()
    session.set_clicks(0, pole.id, [Click(230, 503, True)])
    list(session.propagate([pole.id], 0))
    # propagation leaves the clicks it derived from the mask as the frame's clicks
    assert session.clicks(1, pole.id)[0].positive and (session.labels[1] == pole.id).sum() == 360
    refined = session.refine_zoom(1, pole.id)
    assert refined.zoom_box is not None and engine.encoded_shapes[-1] == (200, 200)
    assert refined.clicks and all(c.positive for c in refined.clicks[:1])
    assert session.clicks(1, pole.id) == refined.clicks  # they become the frame's clicks
    assert (session.labels[1] == pole.id).sum() == 360
    assert session.status(1) == FrameStatus.CLICKED


def test_a_result_for_a_deleted_object_is_refused(session):
    obj = session.add_object()
    result = session.compute(3, obj.id, [Click(25, 20, True)])
    session.delete_object(obj.id)
    with pytest.raises(StaleResultError, match="deleted"):
        session.apply(result)
    assert not session.labels[3].any()


#: (y, x) on a 64 x 96 image and whether the click is inside: integer pixel centres 0..H-1,
#: floats between them, nothing beyond the last centre or before the first
BOUNDARY = [
    ((0, 0), True),
    ((63, 95), True),
    ((62.5, 95.0), True),
    ((63.0000001, 5), False),
    ((63.5, 5), False),  # rounds to row 64: no pixel there
    ((5, 95.4), False),
    ((-1e-9, 5), False),
    ((5, -0.4), False),
    ((np.nan, 5), False),
    ((5, np.inf), False),
]


@pytest.mark.parametrize(("point", "inside"), BOUNDARY)
def test_one_click_rule_for_engines_store_and_session(point, inside):
    y, x = point
    shape = (64, 96)
    assert click_inside(y, x, shape) is inside
    kept, ignored = split_inside([(y, x, True)], shape)  # the session
    assert (len(kept), len(ignored)) == ((1, 0) if inside else (0, 1))
    if inside:  # engines and the store accept exactly the same clicks
        assert check_clicks([(y, x, True)], shape) == [Click(float(y), float(x), True)]
        assert check_stored_clicks({1: [(y, x, True, 0.0)]}, shape) == {"1": [[y, x, True, 0.0]]}
    else:
        with pytest.raises(ValueError):
            check_clicks([(y, x, True)], shape)
        with pytest.raises(ValueError):
            check_stored_clicks({1: [(y, x, True, 0.0)]}, shape)


def test_a_click_in_a_crop_follows_the_one_click_rule():
    box = (10, 20, 30, 45)  # rows 10..19, columns 30..44
    assert in_crop(Click(10.0, 30.0, True), box) == Click(0.0, 0.0, True)
    assert in_crop(Click(18.75, 43.25, False), box) == Click(8.75, 13.25, False)
    assert in_crop(Click(19.0, 44.0, True), box) == Click(9.0, 14.0, True)
    # half a pixel short of the far edge rounds to a pixel beyond the crop
    assert in_crop(Click(15.0, 44.6, True), box) is None
    assert in_crop(Click(19.6, 35.0, True), box) is None
    assert in_crop(Click(9.9, 35.0, True), box) is None


def test_ids_on_a_frame_follow_its_edits(session):
    obj = session.add_object()
    assert session.ids_on(0) == frozenset()
    session.set_clicks(0, obj.id, [RED_CLICK])
    other = session.add_object()
    session.set_clicks(0, other.id, [BLUE_CLICK])
    assert session.ids_on(0) == {obj.id, other.id} == ids_in(np.asarray(session.labels[0]))
    session.set_clicks(0, obj.id, [])
    assert session.ids_on(0) == {other.id}
    big = np.array([[0, 70_000], [3, 3]], np.uint32)  # IDs beyond the bincount range
    assert ids_in(big) == {3, 70_000} and ids_in(np.zeros((2, 2), np.int64)) == frozenset()
    assert ids_in(np.full((2, 2), 5, np.uint32)) == {5}  # no background pixel left


def test_cached_only_compute_never_encodes():
    engine = ColourEngine()
    encodes = []
    original = engine.encode
    engine.encode = lambda image: encodes.append(1) or original(image)
    session = AnnotationSession(moving_squares(3), engine)
    obj = session.add_object()
    with pytest.raises(FeaturesNotReady, match="frame 1"):
        session.compute(1, obj.id, [Click(20, 30, True)], cached_only=True)
    assert encodes == []
    session.features(1)  # now cached: the same call decodes without encoding again
    result = session.compute(1, obj.id, [Click(20, 30, True)], cached_only=True)
    assert result.mask.any() and encodes == [1]


def test_the_other_side_of_a_mask_from_a_click():
    mask = np.zeros((40, 60), bool)
    mask[10:20, 10:30] = True
    # a positive click outside: the nearest mask pixel; a negative one inside: the nearest outside
    assert other_side(mask, Click(10, 35, True)) == pytest.approx(6.0)
    assert other_side(mask, Click(23.4, 33.2, True)) == pytest.approx(np.hypot(4, 4))
    assert other_side(mask, Click(15, 12, False)) == pytest.approx(3.0)
    # within a window around the click only
    assert other_side(mask, Click(10, 35, True), within=5) is None
    assert other_side(mask, Click(10, 35, True), within=6) == pytest.approx(6.0)
    assert other_side(np.zeros_like(mask), Click(5, 5, True)) is None
    assert other_side(np.ones_like(mask), Click(5, 5, False)) is None


def test_frames_that_no_engine_reads_are_refused_when_the_session_starts():
    """uint16 frames or a list of frames failed only at the first click."""
    with pytest.raises(ValueError, match="frames must be uint8 RGB, got uint16"):
        AnnotationSession(np.zeros((2, 8, 8, 3), np.uint16), ColourEngine())
    with pytest.raises(ValueError, match=r"array-like .* not list"):
        AnnotationSession([np.zeros((8, 8, 3), np.uint8)], ColourEngine())
