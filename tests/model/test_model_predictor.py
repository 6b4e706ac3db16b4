"""The one-image API decodes at 448×448 as the official demo, whatever the checkpoint img_size."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from napari_skipclick import SkipClickPredictor
from napari_skipclick.model import build_model, load_skipclick, read_checkpoint, save_skipclick
from support.tiny import ARCH, TINY


@pytest.fixture(scope="module")
def checkpoint_224(tmp_path_factory):
    """The tiny checkpoint re-saved with ``img_size`` (224, 224): a 16×16 position table."""
    tiny = load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")
    small = build_model(dataclasses.replace(tiny.config, img_size=(224, 224)))
    state = tiny.state_dict()
    with torch.no_grad():
        table = tiny.backbone_mix.pos_embed_for(16, 16)
    state["backbone_mix.pos_embed"] = table.reshape(small.backbone_mix.pos_embed.shape)
    small.load_state_dict(state)
    path = tmp_path_factory.mktemp("ckpt") / "tiny_224.pth"
    save_skipclick(small, path)
    return path


def _official_demo(model, image, clicks, prev_mask, size):
    """Spec §5 written out with the model's ``forward`` (the official one-pass path)."""
    height, width = image.shape[:2]
    img = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
    img = F.interpolate(img, size=size, mode="bilinear", align_corners=True)
    prev = torch.from_numpy(prev_mask.astype(np.float32))[None, None]
    prev = F.interpolate(prev, size=size, mode="bilinear", align_corners=True)
    scaled = [
        (y / height * size[0], x / width * size[1], i, p) for i, (y, x, p) in enumerate(clicks)
    ]
    pos = [row[:3] for row in scaled if row[3]]
    neg = [row[:3] for row in scaled if not row[3]]
    m = max(len(pos), len(neg), 1)
    points = np.full((1, 2 * m, 3), -1.0, np.float32)  # rows (y, x, order), positives first
    if pos:
        points[0, : len(pos)] = pos
    if neg:
        points[0, m : m + len(neg)] = neg
    points = torch.from_numpy(points)
    with torch.inference_mode():
        logits = model(torch.cat([img, prev], dim=1), points)
    probs = F.interpolate(
        torch.sigmoid(logits), (height, width), mode="bilinear", align_corners=True
    )
    return probs[0, 0].numpy()


def test_checkpoint_img_size_does_not_change_the_demo_size(checkpoint_224, fixture):
    _, config = read_checkpoint(checkpoint_224)
    assert tuple(config["params"]["backbone_params"]["value"]["img_size"]) == (224, 224)
    predictor = SkipClickPredictor.from_checkpoint(checkpoint_224, device="cpu", backbone_arch=ARCH)
    model = predictor.engine.model
    assert model.config.img_size == (224, 224)
    assert predictor.engine.internal_size == (448, 448)

    image = fixture["demo__image_uint8"]
    prev = fixture["demo__prev_mask"]
    clicks = [
        (float(y), float(x), bool(label)) for x, y, label in fixture["demo__gui_clicks_xy_label"]
    ]
    predictor.set_image(image)
    assert predictor.features.arrays["skip0"].shape[1] == 32 * 32  # 448 / 14 tokens a side
    probs = predictor.predict(clicks, prev_mask=prev)

    at_448 = _official_demo(model, image, clicks, prev, (448, 448))
    at_224 = _official_demo(model, image, clicks, prev, (224, 224))
    np.testing.assert_allclose(probs, at_448, atol=1e-4, rtol=1e-4)
    assert np.abs(probs - at_224).max() > 0.05  # the config's size would be another result


def test_official_demo_formula_reproduces_the_fixture(fixture):
    """The reference above is the demo: on the tiny checkpoint it gives the official output."""
    model = load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")
    clicks = [
        (float(y), float(x), bool(label)) for x, y, label in fixture["demo__gui_clicks_xy_label"]
    ]
    probs = _official_demo(
        model, fixture["demo__image_uint8"], clicks, fixture["demo__prev_mask"], (448, 448)
    )
    np.testing.assert_allclose(probs, fixture["demo__prob"], atol=1e-4, rtol=1e-4)
