"""``skipclick precompute`` with SkipClick (tiny official checkpoint): batched encode, fp16 entries
the session reads instead of encoding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.engines.precompute import EngineSpec
from napari_skipclick.io import open_video
from napari_skipclick.precompute_cli import precompute
from napari_skipclick.session import AnnotationSession
from support.precompute import cached_frames, frame_folder
from support.tiny import TINY

pytestmark = pytest.mark.slow


def test_batched_skipclick_features_are_what_the_session_would_compute(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    distributed = pytest.importorskip("distributed")
    from napari_skipclick.engines.skipclick import SkipClickEngine

    arch = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    options = {"checkpoint": str(TINY / "checkpoint.pth"), "device": "cpu", "backbone_arch": arch}
    video, cache = frame_folder(tmp_path / "clip", n_frames=3), tmp_path / "cache"
    batches = []
    encode_batch = SkipClickEngine.encode_batch

    def counted(self, images):
        batches.append(len(images))
        return encode_batch(self, images)

    monkeypatch.setattr(SkipClickEngine, "encode_batch", counted)  # workers are threads here
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spec = EngineSpec.of("skipclick", **options)
        report = precompute(client, [str(video)], spec, str(cache), batch=2, progress=False)
    assert report.ok and report.encoded == 3
    assert batches[0] == 2 and sum(batches) == 3  # frames 0-1 in one batch, then frame 2

    engine = SkipClickEngine(**options)
    assert cached_frames(cache, video, engine.features_key) == [True] * 3
    with open_video(video) as clip:
        frames = np.stack(list(clip))
    fresh = engine.encode(frames[0])
    encodes = []
    monkeypatch.setattr(engine, "encode", lambda image: encodes.append(1))
    session = AnnotationSession(frames, engine, cache=FeatureCache(disk_path=cache))
    assert all(session.has_features(t) for t in range(3))
    cached = session.features(0)  # read back from float16, in the engine's own dtype
    for name, value in fresh.arrays.items():
        assert cached.arrays[name].dtype == torch.float32
        torch.testing.assert_close(cached.arrays[name], value, atol=2e-2, rtol=1e-2)
    assert encodes == []
