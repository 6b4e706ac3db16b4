"""The SkipClick engine: protocol, caching, errors, the NoC option, optional half precision."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from napari_skipclick.engines import Engine, Features, create_engine
from napari_skipclick.engines.base import features_key
from napari_skipclick.engines.skipclick import SkipClickEngine, weights_id
from napari_skipclick.model.weights import file_sha256
from napari_skipclick.types import Click
from support.tiny import ARCH, TINY


@pytest.fixture(scope="module")
def engine():
    return create_engine(
        "skipclick", checkpoint=TINY / "checkpoint.pth", device="cpu", backbone_arch=ARCH
    )


@pytest.fixture(scope="module")
def demo(engine, fixture):
    image = fixture["demo__image_uint8"]
    clicks = [Click(y, x, label == 1) for x, y, label in fixture["demo__gui_clicks_xy_label"]]
    return image, clicks, engine.encode(image)


def test_engine_follows_protocol_and_key(engine):
    assert isinstance(engine, Engine)
    assert engine.name == "skipclick"
    sha = weights_id(TINY / "checkpoint.pth", engine.model.config.dinov2)
    assert engine.key.startswith(f"skipclick/{sha[:16]}/fp32/cpu/448x448/demo/")
    assert weights_id(TINY / "checkpoint.pth") == file_sha256(TINY / "checkpoint.pth")


def test_an_equal_backbone_architecture_keys_the_same_features(engine):
    """Keys the docs call ignored (``note``, ``block_chunks``) and a field equal to what the
    tensors give changed the key: features precomputed with ``{"num_heads": 3}`` went unused."""
    for extra in ({"note": "lab tiny model"}, {"block_chunks": 0}, {"embed_dim": 48}):
        arch = {"num_heads": ARCH["num_heads"], **extra}
        same = create_engine(
            "skipclick", checkpoint=TINY / "checkpoint.pth", device="cpu", backbone_arch=arch
        )
        assert features_key(same) == features_key(engine) and same.key == engine.key


def test_another_backbone_architecture_keys_other_features(engine):
    """The key named the file alone: features precomputed with one architecture were taken by
    a session given another (other heads, other interpolation), unseen."""
    for change in ({"num_heads": ARCH["num_heads"] // 2}, {"interpolate_antialias": False}):
        other = create_engine(
            "skipclick",
            checkpoint=TINY / "checkpoint.pth",
            device="cpu",
            backbone_arch={**ARCH, **change},
        )
        assert other.features_key != engine.features_key and other.key != engine.key


def test_decode_matches_official_demo(engine, fixture, demo):
    image, clicks, features = demo
    assert features.image_shape == image.shape[:2]
    assert features.nbytes == 4 * 1024 * 48 * 4
    probs = engine.decode(features, clicks, fixture["demo__prev_mask"])
    assert probs.dtype == np.float32 and probs.shape == image.shape[:2]
    np.testing.assert_allclose(probs, fixture["demo__prob"], atol=1e-4, rtol=1e-4)


def test_decode_never_mutates_features_and_accepts_numpy(engine, fixture, demo):
    _, clicks, features = demo
    before = {k: v.clone() for k, v in features.arrays.items()}
    first = engine.decode(features, clicks[:2])
    engine.decode(features, clicks, first)
    again = engine.decode(features, clicks[:2])
    assert all(torch.equal(before[k], features.arrays[k]) for k in before)
    np.testing.assert_array_equal(first, again)
    as_numpy = Features(features.image_shape, {k: v.numpy() for k, v in before.items()})
    np.testing.assert_allclose(engine.decode(as_numpy, clicks[:2]), first, atol=1e-6)


def test_no_clicks_gives_zeros(engine, demo):
    _, _, features = demo
    probs = engine.decode(features, [])
    assert probs.shape == features.image_shape and not probs.any()


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((40, 50, 3), dtype=np.float32),
        np.zeros((40, 50), dtype=np.uint8),
        np.zeros((40, 50, 4), dtype=np.uint8),
        np.zeros((0, 50, 3), dtype=np.uint8),
    ],
)
def test_bad_images_raise(engine, image):
    with pytest.raises(ValueError):
        engine.encode(image)


def test_bad_clicks_and_prev_mask_raise(engine, demo):
    _, _, features = demo
    height = features.image_shape[0]
    with pytest.raises(ValueError, match="outside"):
        engine.decode(features, [Click(height, 10, True)])
    with pytest.raises(ValueError, match="outside"):
        engine.decode(features, [Click(5, -1, False)])
    with pytest.raises(ValueError, match="prev_mask"):
        engine.decode(features, [Click(5, 5, True)], np.zeros((3, 3), np.float32))


def test_noc_protocol_from_the_registry_matches_official(fixture):
    noc = create_engine(
        "skipclick",
        checkpoint=TINY / "checkpoint.pth",
        device="cpu",
        protocol="noc",
        backbone_arch=ARCH,
    )
    assert noc.key.split("/")[4:6] == ["448x448", "noc"]
    features = noc.encode(fixture["noc__image_uint8"])
    assert features.arrays["skip0"].shape[0] == 2  # the image and its mirror
    y, x, positive = fixture["noc__clicks_yx_pos"][0]
    probs = noc.decode(features, [Click(int(y), int(x), bool(positive))])
    np.testing.assert_allclose(probs, fixture["noc__probs_click1"], atol=1e-4, rtol=1e-4)


def test_features_of_the_other_protocol_are_refused(engine, fixture):
    noc = SkipClickEngine.from_model(engine.model, "tiny", protocol="noc")
    features = noc.encode(fixture["noc__image_uint8"])
    with pytest.raises(ValueError, match="protocol"):
        engine.decode(features, [Click(5, 5, True)])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"input_size": 450}, "multiple of 14"),
        ({"input_size": 14}, "multiple of 14 of at least 28 \\(28, 42, 56, ...\\)"),
        ({"protocol": "zoom"}, "protocol"),
        ({"precision": "int8"}, "precision"),
    ],
)
def test_bad_settings_are_refused(engine, options, message):
    with pytest.raises(ValueError, match=message):
        SkipClickEngine.from_model(engine.model, "tiny", **options)


def test_the_smallest_input_size_taken_decodes(engine):
    """14 passed the check, then failed at decode with torch's reshape error."""
    small = SkipClickEngine.from_model(engine.model, "tiny", input_size=28)
    probs = small.decode(small.encode(np.zeros((40, 40, 3), np.uint8)), [Click(10, 10, True)])
    assert probs.shape == (40, 40) and np.isfinite(probs).all()


def test_half_precision_is_refused_on_cpu():
    with pytest.raises(ValueError, match="needs a GPU"):
        SkipClickEngine(TINY / "checkpoint.pth", "cpu", "bf16", backbone_arch=ARCH)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"device": "cuda"}, "this machine has no CUDA"),
        ({"device": "xpu"}, "not supported"),
        ({"device": "cpu", "precision": "bf16"}, "needs a GPU"),
        ({"device": "cpu", "protocol": "zoom"}, "protocol"),
    ],
)
def test_device_and_precision_are_refused_before_the_checkpoint_is_fetched(
    monkeypatch, settings, message
):
    """``--device cuda`` on a machine without CUDA downloaded the 613 MB checkpoint first."""
    from napari_skipclick.engines import skipclick

    def never(*args, **kwargs):
        raise AssertionError("the checkpoint was looked for before the settings were checked")

    monkeypatch.setattr(skipclick, "resolve_checkpoint", never)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=message):
        SkipClickEngine("skipclick", **settings)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("precision", "tolerance"), [("bf16", 0.05), ("fp16", 0.01)])
def test_half_precision_close_to_fp32_on_gpu(fixture, precision, tolerance):
    """Probabilities under autocast stay within ``tolerance`` of fp32 on the demo case."""
    image = fixture["demo__image_uint8"]
    clicks = [Click(y, x, label == 1) for x, y, label in fixture["demo__gui_clicks_xy_label"]]
    results = []
    for p in ("fp32", precision):
        gpu = SkipClickEngine(TINY / "checkpoint.pth", "cuda", p, backbone_arch=ARCH)
        results.append(gpu.decode(gpu.encode(image), clicks, fixture["demo__prev_mask"]))
    np.testing.assert_allclose(results[0], fixture["demo__prob"], atol=1e-3)
    assert np.abs(results[1] - results[0]).max() < tolerance


def test_bfloat16_autocast_paths_run_and_stay_close(engine, fixture):
    """The half-precision code paths (run on the CPU here) give probabilities near fp32."""
    model = engine.model
    image = torch.from_numpy(fixture["case1__image_uint8"]).permute(2, 0, 1)[None] / 255.0
    points = torch.from_numpy(fixture["case1__points"])
    prev = torch.from_numpy(fixture["case1__prev_mask"])
    with torch.inference_mode():
        state = model.encode(image)
        reference = [torch.sigmoid(model.decode(state, points, p)) for p in (prev, None)]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            state = model.encode(image)
            half = [torch.sigmoid(model.decode(state, points, p).float()) for p in (prev, None)]
    for ref, low in zip(reference, half, strict=True):
        assert (ref - low).abs().max() < 0.05
    noc = SkipClickEngine.from_model(model, "tiny", protocol="noc")
    noc.precision = "bf16"  # the engine refuses bf16 on the CPU; its autocast path runs here
    y, x, positive = fixture["noc__clicks_yx_pos"][0]
    probs = noc.decode(noc.encode(fixture["noc__image_uint8"]), [Click(y, x, bool(positive))])
    assert np.abs(probs - fixture["noc__probs_click1"]).max() < 0.05


def test_encode_batch_equals_single_frames(engine, fixture):
    frames = [fixture["demo__image_uint8"], fixture["noc__image_uint8"]]
    batched = engine.encode_batch(frames)
    assert [f.image_shape for f in batched] == [(300, 451), (220, 300)]
    for frame, features in zip(frames, batched, strict=True):
        single = engine.encode(frame)
        for name, value in single.arrays.items():
            torch.testing.assert_close(features.arrays[name], value, atol=1e-5, rtol=1e-5)
    assert engine.encode_batch([]) == []


def test_predictor_errors(engine, fixture):
    from napari_skipclick import SkipClickPredictor

    predictor = SkipClickPredictor(engine)
    with pytest.raises(RuntimeError, match="set_image"):
        predictor.predict([(1, 1, True)])
    with pytest.raises(ValueError, match="uint8"):
        predictor.set_image(fixture["demo__image_uint8"].astype(np.float64))
    predictor.set_image(fixture["demo__image_uint8"])
    with pytest.raises(ValueError, match="outside"):
        predictor.predict([(10, 451, True)])
    with pytest.raises(ValueError):
        predictor.predict([(10, 4)])
    with pytest.raises(ValueError, match="prev_mask"):
        predictor.predict([(10, 4, True)], prev_mask=np.zeros((2, 2)))
    assert not predictor.predict([]).any()


def test_features_of_another_engine_are_refused(engine):
    foreign = Features((40, 50), {"lab": np.zeros((40, 50, 3), np.float32)})
    with pytest.raises(ValueError, match="DINOv2 maps"):
        engine.decode(foreign, [Click(5, 5, True)])


def test_the_engine_loads_neither_timm_nor_triton():
    """The widget builds engines once napari is up; importing triton (timm loads it through
    torchvision) then crashed napari under Xvfb, so the model must not import them."""
    code = (
        "import sys; import napari_skipclick.engines.skipclick;"
        "print(sorted(m for m in ('timm', 'torchvision', 'triton') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
