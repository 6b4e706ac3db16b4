"""fp16 disk cache with the SkipClick engine (tiny official checkpoint): same masks, no encode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click
from support.tiny import TINY, needs_bf16


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["demo", "noc"])
def test_reopened_video_uses_fp16_disk_features_of_the_same_model(tmp_path, monkeypatch, protocol):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    from napari_skipclick.engines.skipclick import SkipClickEngine

    arch = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    engine = SkipClickEngine(
        TINY / "checkpoint.pth", device="cpu", protocol=protocol, backbone_arch=arch
    )
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 120, 160, 3), dtype=np.uint8)
    frames[:, 40:80, 60:100] = (250, 40, 40)
    clicks = [Click(60, 80, True), Click(10, 10, False)]

    first = AnnotationSession(frames, engine, cache=FeatureCache(disk_path=tmp_path))
    obj = first.add_object()
    fresh = first.set_clicks(0, obj.id, clicks)
    skip0 = first.features(0).arrays["skip0"]
    assert isinstance(skip0, torch.Tensor) and skip0.shape[0] == (2 if protocol == "noc" else 1)

    encodes = []
    monkeypatch.setattr(engine, "encode", lambda image: encodes.append(1))
    second = AnnotationSession(frames, engine, cache=FeatureCache(disk_path=tmp_path))
    obj = second.add_object()
    assert second.has_features(0) and not second.has_features(1)
    reopened = second.set_clicks(0, obj.id, clicks)
    assert encodes == []
    assert np.abs(fresh.probabilities - reopened.probabilities).max() < 0.01
    assert (fresh.mask == reopened.mask).mean() > 0.999


def _tiny_engine(**kwargs):
    from napari_skipclick.engines.skipclick import SkipClickEngine

    arch = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    return SkipClickEngine(TINY / "checkpoint.pth", device="cpu", backbone_arch=arch, **kwargs)


def test_the_features_key_names_what_the_encode_depends_on_not_the_device():
    torch = pytest.importorskip("torch")
    engine = _tiny_engine()
    key, features_key = engine.key, engine.features_key
    engine.device = torch.device("cuda")  # as if the same weights ran on a GPU (nothing runs)
    assert engine.key != key and engine.features_key == features_key
    assert _tiny_engine(protocol="noc").features_key != features_key


@needs_bf16
@pytest.mark.slow
def test_a_fast_decoder_session_uses_the_features_an_fp32_run_cached(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    frames = np.random.default_rng(1).integers(0, 255, (1, 96, 128, 3), dtype=np.uint8)
    exact = AnnotationSession(frames, _tiny_engine(), cache=FeatureCache(disk_path=tmp_path))
    exact.features(0)
    fast = _tiny_engine(precision="fast")
    monkeypatch.setattr(fast, "encode", lambda image: pytest.fail("encoded again"))
    session = AnnotationSession(frames, fast, cache=FeatureCache(disk_path=tmp_path))
    assert session.has_features(0)
    obj = session.add_object()
    assert session.set_clicks(0, obj.id, [Click(48, 64, True)]).probabilities.shape == (96, 128)
