"""SkipClick reproduces every array of the official tiny fixture (outputs and intermediates)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from napari_skipclick.engines import SkipClickPredictor
from napari_skipclick.engines.skipclick import SkipClickEngine
from napari_skipclick.model import load_skipclick

DATA = Path(__file__).parents[1] / "data" / "official_tiny"
TOL = {"atol": 1e-4, "rtol": 1e-4}


@pytest.fixture(scope="module")
def model():
    arch = json.loads((DATA / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    return load_skipclick(DATA / "checkpoint.pth", backbone_arch=arch, device="cpu")


def _image(fixture, case):
    return torch.from_numpy(fixture[f"{case}__image_uint8"]).permute(2, 0, 1)[None].float() / 255


def _close(actual, expected):
    actual = actual.detach().cpu().numpy() if torch.is_tensor(actual) else np.asarray(actual)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, **TOL)


@pytest.fixture(scope="module")
def computed(model, fixture):
    """All intermediates of both model-level cases, computed step by step."""
    out = {}
    with torch.inference_mode():
        for case in ("case0", "case1"):
            image = _image(fixture, case)
            points = torch.from_numpy(fixture[f"{case}__points"])
            prev = torch.from_numpy(fixture[f"{case}__prev_mask"])
            size = tuple(image.shape[-2:])
            grid = model.grid_of(*size)
            normalised = (image - model.mean) / model.std
            maps = model.extract(image)
            coords = model.click_maps(points, size, prev)
            embedded = model.patch_embed_coords(coords)
            state = model.encode(image)
            mixed = model.backbone_mix(state.tokens + embedded)
            neck = model.neck(mixed, grid, state.neck_terms)
            values = {
                "logits_forward": model(torch.cat([image, prev], dim=1), points),
                "logits_apply_click": model.decode(state, points, prev),
                "coord_features": coords,
                "dino_pos_embed": model.dinov2.pos_embed_for(*grid),
                "dino_tokens_in": model.dinov2.prepare_tokens(normalised),
                "fused": model.fuse(torch.cat(maps, dim=2)),
                "coord_embed": embedded,
                "mix_pos_embed": model.backbone_mix.pos_embed_for(*grid),
                "mix_out": mixed,
                "head_out": model.head(neck),
            }
            values.update({f"dino_feat{i}": m for i, m in enumerate(maps)})
            values.update({f"neck_out{i}": n.permute(0, 3, 1, 2) for i, n in enumerate(neck)})
            out.update({f"{case}__{k}": v for k, v in values.items()})
    return out


MODEL_ARRAYS = [
    "logits_forward",
    "logits_apply_click",
    "dino_pos_embed",
    "dino_tokens_in",
    *[f"dino_feat{i}" for i in range(4)],
    "fused",
    "coord_embed",
    "mix_pos_embed",
    "mix_out",
    *[f"neck_out{i}" for i in range(4)],
    "head_out",
]


@pytest.mark.parametrize("case", ["case0", "case1"])
@pytest.mark.parametrize("name", MODEL_ARRAYS)
def test_model_arrays_match_official(computed, fixture, case, name):
    _close(computed[f"{case}__{name}"], fixture[f"{case}__{name}"])


@pytest.mark.parametrize("case", ["case0", "case1"])
def test_click_maps_are_exact(computed, fixture, case):
    np.testing.assert_array_equal(
        computed[f"{case}__coord_features"].numpy(), fixture[f"{case}__coord_features"]
    )


def test_every_model_level_array_is_checked(fixture):
    inputs = {"image_uint8", "clicks_yx_pos", "points", "prev_mask"}
    for case in ("case0", "case1"):
        names = {k.split("__", 1)[1] for k in fixture if k.startswith(case)}
        assert names - inputs == set(MODEL_ARRAYS) | {"coord_features"}


def test_points_layout_matches_official(fixture):
    from napari_skipclick.model.processing import points_tensor

    for case in ("case0", "case1"):
        clicks = [(y, x, bool(p)) for y, x, p in fixture[f"{case}__clicks_yx_pos"]]
        points = points_tensor([clicks], torch.device("cpu")).numpy()
        np.testing.assert_array_equal(points, fixture[f"{case}__points"])


def test_a_read_only_frame_becomes_the_same_tensor_without_a_warning(fixture):
    import warnings

    from napari_skipclick.model.processing import image_tensor

    frame = fixture["case0__image_uint8"].copy()
    frame.flags.writeable = False  # as a memory-mapped or cached frame
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tensor = image_tensor(frame, torch.device("cpu"))
    torch.testing.assert_close(tensor, _image(fixture, "case0"))


def test_decode_does_not_mutate_state(model, fixture):
    image = _image(fixture, "case1")
    points = torch.from_numpy(fixture["case1__points"])
    with torch.inference_mode():
        state = model.encode(image)
        held = [state.tokens, state.first_qkv, *state.neck_terms.tensors()]
        before = [t.clone() for t in held]
        first = model.decode(state, points)
        second = model.decode(state, points)
    after = [state.tokens, state.first_qkv, *state.neck_terms.tensors()]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert torch.equal(first, second)


def test_demo_probabilities_match_official(model, fixture):
    predictor = SkipClickPredictor(SkipClickEngine.from_model(model, "tiny"))
    predictor.set_image(fixture["demo__image_uint8"])
    assert predictor.engine.internal_size == tuple(fixture["demo__internal_size"])
    assert predictor.original_size == fixture["demo__image_uint8"].shape[:2]
    clicks = [(y, x, label == 1) for x, y, label in fixture["demo__gui_clicks_xy_label"]]
    probs = predictor.predict(clicks, prev_mask=fixture["demo__prev_mask"])
    assert probs.dtype == np.float32
    _close(probs, fixture["demo__prob"])


def test_noc_protocol_matches_official_predictor(model, fixture):
    """Every click of the official NoC run, each fed the previous prediction as the loop does."""
    engine = SkipClickEngine.from_model(model, "tiny", protocol="noc")
    features = engine.encode(fixture["noc__image_uint8"])
    clicks = [(int(y), int(x), bool(p)) for y, x, p in fixture["noc__clicks_yx_pos"]]
    gt = fixture["noc__gt_mask"]
    masks = np.unpackbits(fixture["noc__pred_masks_packed"], axis=-1)[..., : gt.shape[1]]
    valid = gt != -1
    probs = None
    for k in range(len(clicks)):
        probs = engine.decode(features, clicks[: k + 1], probs)
        if k == 0:
            _close(probs, fixture["noc__probs_click1"])
        pred = probs > 0.49
        confident = np.abs(probs - 0.49) > 1e-4
        np.testing.assert_array_equal(pred[confident], masks[k].astype(bool)[confident])
        iou = (pred & (gt == 1) & valid).sum() / ((pred | (gt == 1)) & valid).sum()
        assert iou == pytest.approx(fixture["noc__ious"][k], abs=1e-4)
    _close(probs, fixture["noc__probs_last"])


@pytest.mark.parametrize("with_prev", [True, False])
def test_patchwise_click_embedding_equals_dense_maps(model, fixture, with_prev):
    from napari_skipclick.model.decoder import embed_clicks

    points = torch.from_numpy(fixture["case1__points"])
    prev = torch.from_numpy(fixture["case1__prev_mask"]) if with_prev else None
    size = (266, 350)
    with torch.inference_mode():
        dense = model.patch_embed_coords(model.click_maps(points, size, prev))
        patchwise = embed_clicks(model.patch_embed_coords.proj, points, size, prev, 5.0)
    torch.testing.assert_close(patchwise, dense, atol=1e-5, rtol=1e-5)
