"""Every export format read back as its training tool would, and imported back into a store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import napari_skipclick
from napari_skipclick.cli import main
from napari_skipclick.io import open_video
from napari_skipclick.io.export import export_store
from napari_skipclick.io.export.polygons import polygon_to_mask
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo

SAMPLE = Path(napari_skipclick.__file__).parent / "sample_data" / "giant_slalom.mp4"
GT = Path(__file__).parents[1] / "data" / "giant_slalom"
OBJECTS = [
    ObjectInfo(1, "skis", "ski", (220, 40, 40)),
    ObjectInfo(2, "poles", "pole", (40, 220, 40)),
    ObjectInfo(3, "skier", "person", (40, 40, 220)),
]
FRAMES = range(0, 10)


def sample_labels(t: int) -> np.ndarray:
    """Frame-0 ground truth of skis, poles and skier, shifted a little further each frame."""
    labels = np.zeros((480, 854), np.uint32)
    for oid, name in ((3, "skier"), (1, "skis"), (2, "poles")):
        mask = np.asarray(Image.open(GT / f"00000_obj{oid}_{name}.png")) == 1
        labels[np.roll(mask, (t, 2 * t), axis=(0, 1))] = oid
    return labels


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "gs.zarr"
    with open_video(SAMPLE) as video:
        info = video.info
    with AnnotationStore.open_or_create(path, info) as s:
        s.write_objects(OBJECTS, ["person", "ski", "pole"])
        for t in FRAMES:
            s.commit_frame(t, sample_labels(t), FrameRecord(FrameStatus.REVIEWED, {}))
    return path


def reimport(tmp_path: Path, source: Path, *extra: str) -> AnnotationStore:
    target = tmp_path / "back.zarr"
    argv = ["import-labels", str(target), "--from", str(source), "--video", str(SAMPLE)]
    assert main([*argv, "--quiet", *extra]) == 0
    return AnnotationStore.open(target)


def assert_same_labels(back: AnnotationStore, frames=FRAMES) -> None:
    assert back.annotated_frames() == list(frames)
    for t in frames:
        np.testing.assert_array_equal(back.read_labels(t), sample_labels(t))
    assert set(back.statuses().values()) == {FrameStatus.IMPORTED}
    names = {o.id: (o.name, o.class_name) for o in back.objects()}
    assert names == {o.id: (o.name, o.class_name) for o in OBJECTS}


def test_coco_with_images_round_trip(store, tmp_path):
    out = tmp_path / "coco"
    written = export_store(store, "coco", out, split="train=0.8,val=0.2")
    docs = {s: json.loads((out / f"annotations_{s}.json").read_text()) for s in ("train", "val")}
    files = {out / im["file_name"] for d in docs.values() for im in d["images"]}
    assert set(written) == files | {out / f"annotations_{s}.json" for s in docs}  # all listed
    frames = sorted(im["frame_index"] for d in docs.values() for im in d["images"])
    assert frames == list(FRAMES) and all(d["images"] for d in docs.values())
    with open_video(SAMPLE) as video:
        for doc in docs.values():
            assert doc["info"]["videos"][0]["video"]["fingerprint"] == video.info.fingerprint
            for im in doc["images"]:  # every referenced image is there and is the frame
                pixels = np.asarray(Image.open(out / im["file_name"]), dtype=float)
                assert np.abs(pixels - video[im["frame_index"]]).mean() < 3  # JPEG 95
    merged = tmp_path / "all"
    export_store(store, "coco", merged, with_images=False)
    assert_same_labels(reimport(tmp_path, merged / "annotations.json"))


def test_yolo_seg_reads_back_with_its_own_rules(store, tmp_path):
    out = tmp_path / "yolo"
    export_store(store, "yolo-seg", out, split="train=0.7,val=0.3", seed=3)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "person", 1: "ski", 2: "pole"}
    assert (out / data["train"]).is_dir() and (out / data["val"]).is_dir()
    labels = sorted((out / "labels").rglob("*.txt"))
    assert len(labels) == len(FRAMES)
    for file in labels:  # Ultralytics pairs images/X/NAME.jpg with labels/X/NAME.txt
        image = out / "images" / file.relative_to(out / "labels").with_suffix(".jpg")
        assert Image.open(image).size == (854, 480)
        t = int(file.stem)
        truth = sample_labels(t)
        for line in file.read_text().splitlines():
            values = line.split()
            xy = np.asarray(values[1:], float).reshape(-1, 2)
            assert xy.min() >= 0 and xy.max() <= 1
            mask = polygon_to_mask(np.stack([xy[:, 1] * 480, xy[:, 0] * 854], 1), (480, 854))
            oid = np.bincount(truth[mask]).argmax()
            assert data["names"][int(values[0])] == OBJECTS[oid - 1].class_name
            if (truth == oid).sum() >= 100:
                iou = (mask & (truth == oid)).sum() / (mask | (truth == oid)).sum()
                assert iou >= 0.9, (t, oid, iou)
    back = reimport(tmp_path, out, "--allow-overlaps")  # polygons touch along borders
    for t in FRAMES:
        got, truth = back.read_labels(t), sample_labels(t)
        for oid in (1, 2, 3):  # instances carry no ids in YOLO: match by overlap
            match = np.bincount(got[truth == oid]).argmax()
            iou = ((got == match) & (truth == oid)).sum() / ((got == match) | (truth == oid)).sum()
            assert iou >= 0.9, (t, oid, iou)


def test_davis_folders_round_trip(store, tmp_path):
    out = tmp_path / "davis"
    export_store(store, "davis", out)
    annotations = out / "Annotations" / "giant_slalom"
    assert sorted(p.name for p in annotations.iterdir())[:2] == ["00000.png", "00001.png"]
    assert (out / "JPEGImages" / "giant_slalom" / "00009.jpg").is_file()
    assert (out / "ImageSets" / "all.txt").read_text() == "giant_slalom\n"
    first = Image.open(annotations / "00000.png")
    assert first.mode == "P"
    assert_same_labels(reimport(tmp_path, annotations))


def test_png_and_numpy_round_trip(store, tmp_path):
    export_store(store, "png", tmp_path / "png", frames=[2, 5, 7])
    assert not (tmp_path / "png" / "images").exists()
    assert_same_labels(reimport(tmp_path, tmp_path / "png" / "labels"), frames=[2, 5, 7])
    export_store(store, "numpy", tmp_path / "np", with_images=True)
    images = np.load(tmp_path / "np" / "images.npy")
    assert images.shape == (len(FRAMES), 480, 854, 3)
    assert_same_labels(reimport(tmp_path / "np", tmp_path / "np" / "labels.npy"))


def test_yolo_polygons_lie_where_other_tools_read_them(store, tmp_path):
    """Ultralytics and pycocotools read polygon coordinates as pixel edges (pixel ``i`` covers
    ``i..i+1``): the polygons were half a pixel up and left of the masks, a quarter of a
    2-pixel pole; a mask of the whole image did not reach the right and bottom edges."""
    from pycocotools import mask as mask_utils

    out = tmp_path / "yolo"
    export_store(store, "yolo-seg", out, with_images=False)
    truth = sample_labels(0)
    seen = set()
    for line in (out / "labels" / "000000.txt").read_text().splitlines():
        values = line.split()
        xy = np.asarray(values[1:], float).reshape(-1, 2) * (854, 480)
        rle = mask_utils.frPyObjects([xy.ravel().tolist()], 480, 854)
        drawn = mask_utils.decode(mask_utils.merge(rle)).astype(bool)
        oid = np.bincount(truth[drawn]).argmax()
        iou = (drawn & (truth == oid)).sum() / (drawn | (truth == oid)).sum()
        assert iou >= 0.9, (oid, iou)
        seen.add(int(oid))
    assert seen == {1, 2, 3}
    with AnnotationStore.open_or_create(tmp_path / "all.zarr", store_video(store)) as whole:
        whole.write_objects(OBJECTS[:1], ["ski"])
        whole.commit_frame(0, np.ones((480, 854), np.uint32), FrameRecord(FrameStatus.REVIEWED, {}))
    export_store(AnnotationStore.open(tmp_path / "all.zarr"), "yolo-seg", tmp_path / "all")
    xy = np.asarray((tmp_path / "all/labels/000000.txt").read_text().split()[1:], float)
    assert (xy.min(), xy.max()) == (0.0, 1.0)


def store_video(path: Path):
    with AnnotationStore.open(path) as opened:
        return opened.video


def test_a_split_davis_sequence_of_several_videos_is_named_from_its_own(store, tmp_path):
    """Its folder is VIDEO-NNNNN, which named no video of objects.json: the import named the
    objects after the last video's (a rider and a board on the slalom frames)."""
    from napari_skipclick.types import VideoInfo

    other = tmp_path / "snow.zarr"
    with AnnotationStore.open_or_create(
        other, VideoInfo("/v/snow.mp4", 10, 480, 854, 24.0, "s")
    ) as s:
        s.write_objects([ObjectInfo(1, "rider", "rider", (1, 2, 3))], ["rider"])
        s.commit_frame(0, sample_labels(0).clip(0, 1), FrameRecord(FrameStatus.REVIEWED, {}))
    out = tmp_path / "davis"
    both = [AnnotationStore.open(store), AnnotationStore.open(other)]
    export_store(both, "davis", out, with_images=False, split="a=0.5,b=0.5")
    sequence = sorted((out / "Annotations").glob("giant_slalom-*"))[0]
    back = reimport(tmp_path, sequence)
    names = {o.id: (o.name, o.class_name) for o in back.objects()}
    assert names == {o.id: (o.name, o.class_name) for o in OBJECTS}
