"""SkipClick's object hint: label propagation on the cached patch maps (tiny checkpoint)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines.base import ObjectMatcher
from support.tiny import ARCH, TINY


def _scene(shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Grey noise with a red square that moves ``shift`` pixels right per frame."""
    rng = np.random.default_rng(0)
    image = rng.integers(90, 160, (112, 112, 3), dtype=np.uint8)
    mask = np.zeros((112, 112), bool)
    mask[28:70, 14 + shift : 56 + shift] = True
    image[mask] = (230, 30, 30)
    return image, mask


@pytest.mark.slow
def test_label_propagation_finds_the_moved_object_without_encoding_again(monkeypatch):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    from napari_skipclick.engines.skipclick import SkipClickEngine

    engine = SkipClickEngine(
        TINY / "checkpoint.pth", device="cpu", input_size=112, backbone_arch=ARCH
    )
    assert isinstance(engine, ObjectMatcher)
    (first, mask), (second, moved) = _scene(0), _scene(28)
    source, target = engine.encode(first), engine.encode(second)
    monkeypatch.setattr(engine, "encode", lambda image: pytest.fail("no encode"))
    hint = engine.match_object(source, target, mask)
    assert hint.shape == mask.shape and hint.dtype == np.float32
    assert hint.min() >= 0.0 and hint.max() <= 1.0
    found = hint > 0.5
    assert (found & moved).sum() / (found | moved).sum() > 0.6
    # where the object was and no longer is, the hint does not hold on to it
    assert hint[mask & ~moved].mean() < 0.3
    assert engine.match_object(source, target, np.zeros_like(mask)) is None
