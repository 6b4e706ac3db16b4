"""The random-walker baseline engine follows the engine protocol and segments clear objects."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines import Engine, create_engine
from napari_skipclick.engines.random_walker import RandomWalkerEngine
from napari_skipclick.types import Click


@pytest.fixture(scope="module")
def scene():
    """A noisy dark background with a bright square object and a second bright square."""
    rng = np.random.default_rng(1)
    image = rng.normal(60, 8, (60, 80, 3))
    image[15:45, 10:40] = rng.normal(200, 8, (30, 30, 3))
    image[20:40, 55:75] = rng.normal(200, 8, (20, 20, 3))
    obj = np.zeros((60, 80), bool)
    obj[15:45, 10:40] = True
    return np.clip(image, 0, 255).astype(np.uint8), obj


def test_registry_builds_it():
    engine = create_engine("random-walker")
    assert isinstance(engine, Engine) and engine.name == "random-walker"


def test_positive_click_segments_the_object(scene):
    image, obj = scene
    engine = RandomWalkerEngine()
    features = engine.encode(image)
    probs = engine.decode(features, [Click(30, 25, True)])
    assert probs.shape == obj.shape and probs.dtype == np.float32
    assert probs.min() >= 0.0 and probs.max() <= 1.0
    pred = probs > 0.49
    assert (pred & obj).sum() / (pred | obj).sum() > 0.95


def test_negative_click_removes_a_region(scene):
    image, _ = scene
    engine = RandomWalkerEngine()
    features = engine.encode(image)
    both = engine.decode(features, [Click(30, 25, True), Click(30, 65, True)]) > 0.49
    assert both[30, 65] and both[30, 25]
    one = engine.decode(features, [Click(30, 25, True), Click(30, 65, True), Click(30, 65, False)])
    assert not one[30, 65] > 0.49 and one[30, 25] > 0.49


def test_no_positive_click_gives_zeros(scene):
    image, _ = scene
    engine = RandomWalkerEngine()
    features = engine.encode(image)
    assert not engine.decode(features, []).any()
    assert not engine.decode(features, [Click(5, 5, False)]).any()


def test_downsized_working_grid_returns_full_size(scene):
    image, obj = scene
    engine = RandomWalkerEngine(max_side=40)
    features = engine.encode(image)
    assert features.arrays["data"].shape == (30, 40, 3)
    pred = engine.decode(features, [Click(30.5, 25.2, True)]) > 0.49
    assert pred.shape == obj.shape
    assert (pred & obj).sum() / (pred | obj).sum() > 0.85


def test_key_tracks_settings_and_bad_input_is_rejected(scene):
    image, _ = scene
    assert RandomWalkerEngine().key != RandomWalkerEngine(beta=50).key
    engine = RandomWalkerEngine()
    with pytest.raises(ValueError, match="RGB"):
        engine.encode(image[..., 0])
    features = engine.encode(image)
    with pytest.raises(ValueError, match="outside"):
        engine.decode(features, [Click(60, 10, True)])
    with pytest.raises(ValueError, match="prev_mask"):
        engine.decode(features, [Click(5, 10, True)], prev_mask=np.zeros((3, 3)))
    with pytest.raises(ValueError):
        RandomWalkerEngine(max_side=2)
