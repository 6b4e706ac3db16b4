"""The training Dataset over a store: lazy frames from a real frame folder, masks and classes."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from napari_skipclick.io.dataset import SkipClickDataset
from napari_skipclick.io.export import ExportError, export_store
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.video import open_video
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo


@pytest.fixture
def annotated(tmp_path):
    """A 4-frame folder of PNGs and a store with frames 1 and 3 annotated."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "frames"
    folder.mkdir()
    pixels = rng.integers(0, 256, size=(4, 24, 32, 3), dtype=np.uint8)
    for t, frame in enumerate(pixels):
        Image.fromarray(frame).save(folder / f"{t:05d}.png")
    video = open_video(folder)
    labels = np.zeros((24, 32), np.uint32)
    labels[2:8, 3:9], labels[10:20, 10:30] = 4, 7
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", video.info) as store:
        objects = [
            ObjectInfo(4, "ski", "ski", (1, 2, 3)),
            ObjectInfo(7, "skier", "person", (4, 5, 6)),
        ]
        store.write_objects(objects, ["person", "ski"])
        store.commit_frame(1, labels, FrameRecord(FrameStatus.REVIEWED, {}))
        store.commit_frame(3, (labels == 7) * 7, FrameRecord(FrameStatus.PROPAGATED, {}))
        store.set_status(2, FrameStatus.NEEDS_REVIEW)  # a status alone is no sample
    return tmp_path / "s.zarr", pixels, labels


def test_items_match_video_and_labels(annotated):
    path, pixels, labels = annotated
    data = SkipClickDataset(path)  # the video comes from the path recorded in the store
    assert len(data) == 2 and data.frames == [1, 3] and data.class_names == ["person", "ski"]
    image, masks, class_ids = data[0]
    assert image.dtype == torch.float32 and image.shape == (3, 24, 32)
    np.testing.assert_allclose(image.permute(1, 2, 0).numpy() * 255, pixels[1], atol=1e-3)
    assert masks.dtype == torch.bool and masks.shape == (2, 24, 32)
    assert data.object_ids(0) == [4, 7]
    np.testing.assert_array_equal(masks[0].numpy(), labels == 4)
    np.testing.assert_array_equal(masks[1].numpy(), labels == 7)
    assert class_ids.tolist() == [2, 1]  # ski, person
    _, masks3, ids3 = data[1]
    assert masks3.shape == (1, 24, 32) and ids3.tolist() == [1]


def test_filters_transform_array_video_and_pickling(annotated):
    path, pixels, _ = annotated
    reviewed = SkipClickDataset(path, pixels, statuses=["reviewed"])
    assert reviewed.frames == [1]
    np.testing.assert_allclose(reviewed[0][0].permute(1, 2, 0).numpy() * 255, pixels[1], atol=1e-3)
    flipped = SkipClickDataset(path, frames=[3], transform=lambda i, m, c: (i.flip(-1), m, c))
    assert torch.equal(flipped[0][0], SkipClickDataset(path, frames=[3])[0][0].flip(-1))
    clone = pickle.loads(pickle.dumps(SkipClickDataset(path)))  # as DataLoader workers do
    assert torch.equal(clone[1][1], SkipClickDataset(path)[1][1])
    loader = torch.utils.data.DataLoader(SkipClickDataset(path), batch_size=None)
    assert [m.shape[0] for _, m, _ in loader] == [2, 1]
    with pytest.raises(ValueError, match="holds 3 frames of"):
        SkipClickDataset(path, pixels[:3])


def test_a_choice_of_no_frame_is_refused_as_an_export_refuses_it(annotated, tmp_path):
    """A Dataset of no frame was made, and DataLoader(shuffle=True) then failed obscurely."""
    path, pixels, _ = annotated
    asked = "nothing to export: no annotated frame among the frames and statuses asked for"
    for chosen in ({"statuses": "imported"}, {"frames": [0, 2]}):
        with pytest.raises(ValueError, match=asked):
            SkipClickDataset(path, pixels, **chosen)
        with pytest.raises(ExportError, match=asked):
            export_store(path, "png", tmp_path / "out", **chosen)
    video = open_video(tmp_path / "frames").info
    AnnotationStore.open_or_create(tmp_path / "empty.zarr", video).close()
    with pytest.raises(ValueError, match=r"nothing to export: no annotated frame$"):
        SkipClickDataset(tmp_path / "empty.zarr", pixels)


def test_a_moved_video_and_frames_past_the_end_are_said(annotated, tmp_path):
    from napari_skipclick.io.video import VideoError

    store, pixels, _ = annotated
    with pytest.raises(ValueError, match=r"frames \[99\] are outside the video's 0\.\.3"):
        SkipClickDataset(store, frames=[1, 99])
    (tmp_path / "frames").rename(tmp_path / "moved")
    data = SkipClickDataset(store)
    with pytest.raises(VideoError, match="if it moved, give its new place"):
        data[0]
    moved = SkipClickDataset(store, video=tmp_path / "moved")
    np.testing.assert_allclose(moved[0][0].permute(1, 2, 0).numpy() * 255, pixels[1], atol=1e-3)
    with pytest.raises(ValueError, match=r"holds 3 frames of 32x24 \(width x height\), but s.zarr"):
        SkipClickDataset(store, video=pixels[:3])


def test_another_file_of_the_video_is_taken_with_a_warning_as_export_takes_it(annotated, tmp_path):
    """The Dataset refused a re-encoded copy of the video that export took with a warning."""
    store, pixels, _ = annotated
    again = tmp_path / "again"  # the same frames, another file: another fingerprint
    again.mkdir()
    for t, frame in enumerate(pixels):
        Image.fromarray(frame).save(again / f"{t:05d}.png", compress_level=1)
    assert open_video(again).info.fingerprint != open_video(tmp_path / "frames").info.fingerprint
    with pytest.warns(UserWarning, match="the same frames saved again are fine"):
        data = SkipClickDataset(store, video=open_video(again))
    np.testing.assert_allclose(data[0][0].permute(1, 2, 0).numpy() * 255, pixels[1], atol=1e-3)
    with pytest.warns(UserWarning, match="is not the folder of photos s.zarr was annotated on"):
        SkipClickDataset(store, video=again)[0]
    with pytest.warns(UserWarning, match="is not the folder of photos s.zarr was annotated on"):
        export_store(
            store,
            "png",
            tmp_path / "out",
            with_images=True,
            videos={str(store): again},
            warn=warnings.warn,
        )


def test_datasets_of_several_stores_share_one_class_list(annotated, tmp_path):
    """Each store numbered its own classes: in a ConcatDataset class 1 was a person in one
    store and a rider in the other."""
    path, _, labels = annotated
    with AnnotationStore.open(path) as first:
        video = first.video
    other = tmp_path / "other.zarr"
    with AnnotationStore.open_or_create(other, video) as store:
        objects = [
            ObjectInfo(1, "rider", "rider", (1, 2, 3)),
            ObjectInfo(2, "a", "person", (4, 5, 6)),
        ]
        store.write_objects(objects, ["rider", "person"])
        store.commit_frame(
            0,
            (labels > 0).astype(np.uint32) * np.where(labels == 7, 2, 1),
            FrameRecord(FrameStatus.REVIEWED, {}),
        )
    names: list[str] = []
    sets = [SkipClickDataset(p, class_names=names) for p in (path, other)]
    assert names == ["person", "ski", "rider"] and all(d.class_names is names for d in sets)
    _, _, ids = sets[1][0]  # the rider (label 1) and the person (label 2)
    assert [names[i - 1] for i in ids.tolist()] == ["rider", "person"]
    _, _, ids = sets[0][0]
    assert [names[i - 1] for i in ids.tolist()] == ["ski", "person"]


def test_a_store_s_problems_are_warned_of_by_an_export_from_python_as_by_the_dataset(
    annotated, tmp_path, capsys
):
    """``export_store`` from Python said nothing of a store's problems (an object being
    deleted, a damaged frame), which ``skipclick export`` and the Dataset warn of."""
    from napari_skipclick import cli

    path, _, _ = annotated
    with AnnotationStore.open(path, readonly=False) as store:
        store.write_objects(store.objects(), store.classes(), leaving=[4])
    with pytest.warns(UserWarning) as by_dataset:
        SkipClickDataset(path)
    said = [str(w.message) for w in by_dataset]
    leaving = "s.zarr: object 4 (ski) was being deleted"
    assert said and all(text.startswith(leaving) for text in said)
    with pytest.warns(UserWarning) as by_export:
        export_store(path, "png", tmp_path / "out")
    assert [str(w.message) for w in by_export] == said
    assert by_export[0].filename == __file__  # the warning points at the caller
    assert cli.main(["export", str(path), str(tmp_path / "cli"), "--format", "png"]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("warning")] == [
        f"warning: {text}" for text in said
    ]
