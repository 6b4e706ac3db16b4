"""Integration with the embedded engine on the giant slalom sample: clicks, zoom, propagation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.io import imread

from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.zoom import MIN_SIZE
from napari_skipclick.types import Click, FrameStatus
from support.scenes import iou

DATA = Path(__file__).parents[1] / "data" / "giant_slalom"
SAMPLE = Path(__file__).parents[2] / "src" / "napari_skipclick" / "sample_data" / "giant_slalom.mp4"
GT_FILES = {"skier": "00000_obj3_skier.png", "skis": "00000_obj1_skis.png"}


def interior(mask: np.ndarray) -> tuple[int, int]:
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), mask.shape)
    return int(y), int(x)


def click_like_a_user(session, t, obj_id, gt, n_clicks, override=False):
    """First click inside the object, then each click at the centre of the larger error."""
    clicks = [Click(*interior(gt), True)]
    for _ in range(n_clicks):
        mask = session.set_clicks(t, obj_id, clicks, override=override).mask
        missed, extra = gt & ~mask, mask & ~gt
        error, positive = (missed, True) if missed.sum() >= extra.sum() else (extra, False)
        clicks.append(Click(*interior(error), positive))
    return session.labels[t] == obj_id


@pytest.mark.slow
def test_three_objects_zoom_and_propagation_on_the_sample_video(tmp_path):
    video = open_video(SAMPLE)
    frames = np.asarray(video[0:11])
    gts = {name: imread(DATA / name_file) == 1 for name, name_file in GT_FILES.items()}
    cache = FeatureCache(disk_path=tmp_path / "features")
    session = AnnotationSession(frames, EmbeddedEngine(), cache=cache)
    skier = session.add_object(name="skier")
    skis = session.add_object(name="skis")
    poles = session.add_object(name="poles")

    # the skier first; skis and poles then take their pixels from the skier's mask (override)
    skier_mask = click_like_a_user(session, 0, skier.id, gts["skier"], 4)
    assert iou(skier_mask, gts["skier"]) >= 0.4
    skis_mask = click_like_a_user(session, 0, skis.id, gts["skis"], 3, override=True)
    assert (skis_mask & gts["skis"]).any()
    session.set_clicks(0, poles.id, [Click(143, 298, True)], override=True)
    assert set(np.unique(session.labels[0])) == {0, skier.id, skis.id, poles.id}
    assert session.status(0) == FrameStatus.CLICKED

    before = session.labels[0].copy()
    refined = session.refine_zoom(0, skier.id)
    y0, y1, x0, x1 = refined.zoom_box
    assert (y1 - y0, x1 - x0) == (200, 200)
    changed = np.argwhere(before != session.labels[0])
    assert (changed[:, 0] >= y0).all() and (changed[:, 0] < y1).all()
    assert (changed[:, 1] >= x0).all() and (changed[:, 1] < x1).all()
    assert (session.labels[0] == skier.id).any()
    assert session.clicks(0, skier.id) == refined.clicks

    steps = list(session.propagate([o.id for o in session.objects], 0, n_frames=10))
    assert {s.obj_id for s in steps} == {skier.id, skis.id, poles.id}
    assert steps[-1].done == steps[-1].total == len(steps)
    written = {s.frame for s in steps if s.area}
    assert 1 in written
    for t in range(1, 11):
        expected = {FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW}
        assert session.status(t) in (expected if t in written else {FrameStatus.EMPTY})
    for step in steps:
        on_frame = int((session.labels[step.frame] == step.obj_id).sum())
        assert on_frame <= step.area  # the overlap rule may only take pixels away
        if not step.ok:
            assert session.status(step.frame) == FrameStatus.NEEDS_REVIEW

    # features were cached on disk: a new session on the same frames does not re-encode
    reopened = AnnotationSession(
        frames, EmbeddedEngine(), cache=FeatureCache(disk_path=cache.disk_path)
    )
    assert all(reopened.has_features(t) for t in range(11))


def test_a_frame_twice_the_size_is_annotated_and_propagated_on_the_downsized_grid():
    """With ``max_side`` the engine works on the frame downsized to the sample's own size: the
    clicks give the sample's mask at twice the size, and propagation (whose motion and colour
    steps work on the full frame) keeps the skier, close to the sample's masks."""
    frames = np.asarray(open_video(SAMPLE)[0:4])
    large = np.repeat(np.repeat(frames, 2, axis=1), 2, axis=2)
    gt = imread(DATA / GT_FILES["skier"]) == 1
    y, x = interior(gt)
    masks = []
    for video, scale in ((frames, 1), (large, 2)):
        engine = EmbeddedEngine(max_side=max(frames.shape[1:3]))
        session = AnnotationSession(video, engine)
        assert session.features(0).arrays["labels"].shape == frames.shape[1:3]
        skier = session.add_object(name="skier")
        clicks = [Click(y * scale, x * scale, True), Click((y - 12) * scale, x * scale, True)]
        session.set_clicks(0, skier.id, clicks)
        steps = list(session.propagate([skier.id], 0, n_frames=3))
        assert [step.frame for step in steps] == [1, 2, 3]
        masks.append([session.labels[t][::scale, ::scale] == skier.id for t in range(4)])
        assert all(session.status(t) == FrameStatus.PROPAGATED for t in (1, 2, 3))
    for t, (small, downsized_large) in enumerate(zip(*masks, strict=True)):
        assert small.sum() > 1000
        assert iou(small, downsized_large) >= (0.9 if t == 0 else 0.7)


def recorded_encodes(engine: EmbeddedEngine) -> list[tuple[int, int]]:
    """The sizes of the images ``engine`` encodes from now on, as it encodes them."""
    encoded = []
    encode = engine.encode

    def recording(image: np.ndarray):
        encoded.append(image.shape[:2])
        return encode(image)

    engine.encode = recording
    return encoded


def test_zoom_on_a_frame_twice_the_size_decodes_its_crop_at_the_engines_scale():
    """Zoom mode on a frame twice the size, the engine working at the sample's size: the crop
    holds as much context as on the sample and is encoded at the engine's scale, so the skier
    gets the sample's zoomed mask, scaled up."""
    frame = np.asarray(open_video(SAMPLE)[0:1])
    large = np.repeat(np.repeat(frame, 2, axis=1), 2, axis=2)
    y, x = interior(imread(DATA / GT_FILES["skier"]) == 1)
    masks = []
    for video, scale in ((frame, 1), (large, 2)):
        engine = EmbeddedEngine(max_side=max(frame.shape[1:3]))
        encoded = recorded_encodes(engine)
        session = AnnotationSession(video, engine)
        skier = session.add_object(name="skier")
        clicks = [Click(y * scale, x * scale, True), Click((y - 12) * scale, x * scale, True)]
        result = session.set_clicks(0, skier.id, clicks, zoom=True)
        y0, y1, x0, x1 = result.zoom_box
        assert min(y1 - y0, x1 - x0) >= scale * MIN_SIZE
        assert encoded == [((y1 - y0) // scale, (x1 - x0) // scale)]  # the crop, at 1 : scale
        masks.append(session.labels[0][::scale, ::scale] == skier.id)
    small, large_mask = masks
    assert small.sum() > 300
    assert iou(small, large_mask) >= 0.85


def test_the_demos_pole_clicks_in_zoom_mode_keep_to_the_poles_on_the_sample_video():
    # `skipclick demo`'s clicks on the poles (three on the right one, two on the left), each
    # decoded in zoom mode: when a click on a pole itself could add its traced pole, the
    # second click on the left pole traced it on past its tip, down the skier's shin (IoU
    # 0.393 -> 0.324); such a click, on more of a pole the object holds, is the thin pass's
    from napari_skipclick.demo import SCRIPT

    frame = np.asarray(open_video(SAMPLE)[0:1])
    truth = imread(DATA / "00000_obj2_poles.png") == 1
    session = AnnotationSession(frame, EmbeddedEngine())
    poles = session.add_object(name="poles")
    ((_, _, clicks, zoom),) = [entry for entry in SCRIPT if entry[0] == "poles"]
    for k in range(1, len(clicks) + 1):
        mask = session.set_clicks(0, poles.id, [Click(*c) for c in clicks[:k]], zoom=zoom).mask
    near = ndimage.binary_dilation(truth, iterations=2)
    assert np.count_nonzero(mask & ~near) <= 25
    assert iou(mask, truth) >= 0.38
