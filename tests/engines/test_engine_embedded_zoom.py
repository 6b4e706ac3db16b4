"""The embedded engine on small objects: the automatic zoom (crop box, crop features, decoding
in it) and the guard against additions no click asked for."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.engines.embedded_growth import drop_far_growth, drop_unasked_growth
from napari_skipclick.engines.embedded_zoom import crop_features, zoom_box
from napari_skipclick.session.zoom import decode_in_crop
from napari_skipclick.session.zoom import zoom_box as session_zoom_box
from napari_skipclick.types import Click


def _frame(seed: int = 0) -> np.ndarray:
    """854x480 grey noise with a small red square (rows 200-229, columns 400-429)."""
    rng = np.random.default_rng(seed)
    image = np.full((480, 854, 3), 150.0) + rng.normal(0, 6, (480, 854, 3))
    image[200:230, 400:430] = (190, 40, 40)
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def encoded():
    engine = EmbeddedEngine()
    return engine, engine.encode(_frame())


def test_zoom_box_holds_the_mask_and_clicks_with_context():
    mask = np.zeros((480, 854), bool)
    mask[200:230, 400:430] = True
    y0, y1, x0, x1 = zoom_box(mask, [Click(250, 415, True), Click(10, 10, False)], 1.4, 60)
    assert y0 <= 200 and y1 >= 251 and x0 <= 400 and x1 >= 430
    assert y1 - y0 == 72 and x1 - x0 == 60  # 51 rows x 1.4; 30 columns grown to 60
    assert zoom_box(np.zeros((40, 50), bool), [], 1.4, 10) == (0, 40, 0, 50)
    assert zoom_box(mask, [Click(470, 850, True)], 1.4, 10)[1::2] == (480, 854)


def test_crop_features_are_the_frames_cut_to_the_crop(encoded):
    _, features = encoded
    box = (150, 290, 350, 480)
    crop = crop_features(features.arrays, box)
    labels = crop["labels"]
    assert labels.shape == (140, 130)
    assert np.array_equal(np.unique(labels), np.arange(len(crop["size"])))
    assert crop["size"].sum() == labels.size
    # the same superpixels, relabelled: two crop pixels share a label iff they did in the frame
    frame = features.arrays["labels"][150:290, 350:480]
    pairs = {(int(a), int(b)) for a, b in zip(frame.ravel(), labels.ravel(), strict=True)}
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    rim = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    assert np.array_equal(np.flatnonzero(crop["border"]), rim)
    assert np.array_equal(crop["lab"], features.arrays["lab"][150:290, 350:480])
    assert crop["weight_right"].shape == (140, 129) and crop["weight_down"].shape == (139, 130)


def test_a_small_object_with_a_mask_is_decoded_in_a_crop(encoded):
    engine, features = encoded
    prior = np.zeros((480, 854), np.float32)
    prior[205:225, 405:425] = 1.0
    clicks = [Click(215, 415, True), Click(203, 427, True)]
    prob = engine.decode(features, clicks, prior)
    y0, y1, x0, x1 = zoom_box(prior > 0.5, clicks, 1.4, 120)
    outside = np.ones(prob.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert np.all(prob[outside] == 0.0)
    truth = np.zeros((480, 854), bool)
    truth[200:230, 400:430] = True
    mask = prob > 0.5
    assert np.count_nonzero(mask & truth) / np.count_nonzero(mask | truth) > 0.9


def test_large_additions_no_click_asked_for_are_undone():
    before = np.zeros((60, 80), bool)
    before[10:30, 10:30] = True  # 400 pixels
    after = before.copy()
    after[10:30, 30:32] = True  # 40 pixels: the boundary settling, kept
    after[40:60, 0:40] = True  # 800 pixels, no click in it: undone
    after[0:8, 50:80] = True  # 240 pixels holding the new positive click: kept
    after[12:28, 12:20] = False  # removals stay
    clicks = [Click(20, 20, True), Click(4, 60, True), Click(50, 10, False)]
    out = drop_unasked_growth(before, after, clicks, 0.25)
    assert not out[40:60, 0:40].any()
    assert out[10:30, 30:32].all() and out[0:8, 50:80].all()
    assert not out[12:28, 12:20].any()
    assert np.array_equal(drop_unasked_growth(np.zeros_like(before), after, clicks, 0.25), after)


def test_a_zoom_refinement_without_a_new_click_moves_the_edge_and_adds_no_pieces():
    """R re-decodes the clicks the mask came from in a crop: its colours take in three small
    blocks of the object's colour beside the mask (each under ``guard_share`` of it, together
    more); they go, while the edge the crop shows better still moves both ways."""
    rng = np.random.default_rng(0)
    image = np.full((480, 854, 3), 150.0) + rng.normal(0, 6, (480, 854, 3))
    truth = np.zeros((480, 854), bool)
    truth[200:240, 400:440] = True
    blocks = np.zeros_like(truth)  # 144 + 144 + 192 px, touching the mask
    blocks[188:200, 403:415] = blocks[188:200, 423:435] = blocks[210:226, 388:400] = True
    image[truth | blocks] = (60, 60, 70)
    image = np.clip(image, 0, 255).astype(np.uint8)
    prior = np.zeros((480, 854), np.float32)
    prior[200:243, 400:437] = 1.0  # 3 px beyond the object's lower edge, 3 px short of its right
    clicks = [Click(210, 410, True), Click(230, 425, True), Click(220, 300, False)]
    box = session_zoom_box(prior > 0, clicks)

    def refine(engine: EmbeddedEngine) -> np.ndarray:
        cache = FeatureCache()
        return decode_in_crop(engine, cache, "frame", image, box, clicks, prior) > 0.5

    mask = refine(EmbeddedEngine())
    assert not mask[blocks].any()
    assert mask[200:240, 437:440].all() and not mask[240:243].any()  # the edge moved both ways
    assert np.array_equal(mask, truth)
    assert refine(EmbeddedEngine(settle_reach=0))[blocks].all()  # without the guard: taken


def test_far_growth_goes_only_where_no_click_corrects_the_mask():
    before = np.zeros((60, 80), bool)
    before[10:30, 10:30] = True
    after = before.copy()
    after[10:30, 30:33] = True  # the edge settling 3 px out: kept
    after[30:50, 12:20] = True  # 160 px reaching 20 px out: undone
    after[12:28, 12:14] = False  # removals stay
    clicks = [Click(20, 20, True), Click(50, 60, False)]
    out = drop_far_growth(before, after, clicks, 8.0)
    assert out[10:30, 30:33].all() and not out[30:50].any() and not out[12:28, 12:14].any()
    # a positive click outside the mask, or a negative one inside it, asks for a change
    for click in (Click(40, 15, True), Click(15, 15, False)):
        assert np.array_equal(drop_far_growth(before, after, [*clicks, click], 8.0), after)


def test_propagation_decodes_without_the_guard_a_moving_object_grows_where_it_moves():
    rng = np.random.default_rng(3)
    image = np.full((120, 160, 3), 150.0) + rng.normal(0, 6, (120, 160, 3))
    image[30:90, 20:140] = (190, 40, 40)
    engine = EmbeddedEngine()
    features = engine.encode(np.clip(image, 0, 255).astype(np.uint8))
    prior = np.zeros((120, 160), np.float32)
    prior[30:90, 20:60] = 1  # where the object was: a third of the red block
    clicks = [Click(45, 30, True), Click(60, 40, True), Click(75, 50, True)]
    guarded = engine.decode(features, clicks, prior) > 0.5
    carried = engine.decode_carried(features, clicks, prior) > 0.5
    assert guarded[30:90, 20:60].mean() > 0.9 and guarded[30:90, 80:140].mean() < 0.1
    assert carried[30:90, 20:140].mean() > 0.9


def test_a_negative_second_click_adds_no_large_part_a_positive_one_no_flood(monkeypatch):
    engine = EmbeddedEngine()
    features = engine.encode(np.full((60, 80, 3), 128, np.uint8))
    prior = np.zeros((60, 80), np.float32)
    prior[10:30, 10:30] = 1.0  # the first click's mask: 400 pixels
    answer = np.zeros((60, 80), np.float32)
    answer[10:30, 10:30] = 0.9
    answer[35:60, 0:80] = 0.9  # 2,000 pixels no positive click lies in: five times the mask
    monkeypatch.setattr(engine, "_zoomed", lambda *args: answer)
    negative = [Click(20, 20, True), Click(28, 28, False)]  # corrects the mask: inside it
    mask = engine.decode(features, negative, prior) > 0.5
    assert mask[10:30, 10:30].all() and not mask[35:60].any()
    positive = [Click(20, 20, True), Click(5, 70, True)]  # corrects the mask: outside it
    mask = engine.decode(features, positive, prior) > 0.5
    assert mask[10:30, 10:30].all() and not mask[35:60].any()  # a flood: undone
    assert (engine.decode_carried(features, negative, prior) > 0.5)[35:60].all()
    answer[45:60] = 0.0  # 800 pixels, twice the mask: a rough first mask's missing part
    assert (engine.decode(features, positive, prior) > 0.5)[35:45].all()
    answer[45:60] = 0.9  # the flood again, with the early guard off: kept
    lax = EmbeddedEngine(early_guard_share=0.0)
    monkeypatch.setattr(lax, "_zoomed", lambda *args: answer)
    assert (lax.decode(features, positive, prior) > 0.5)[35:60].all()
    unguarded = EmbeddedEngine(guard_share=0.0)  # a negative click: the early share is not its
    monkeypatch.setattr(unguarded, "_zoomed", lambda *args: answer)
    assert (unguarded.decode(features, negative, prior) > 0.5)[35:60].all()
