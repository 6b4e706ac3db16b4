"""Exports and the training Dataset read a store that is written meanwhile, or damaged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.io.dataset import SkipClickDataset
from napari_skipclick.io.export import export_store
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("", 4, 20, 30, 24.0, "fp-beside")
SKIER = ObjectInfo(1, "skier", "person", (1, 2, 3))
GATE = ObjectInfo(2, "gate", "gate", (4, 5, 6))


def box(oid: int, y: int = 2) -> np.ndarray:
    labels = np.zeros((20, 30), np.uint32)
    labels[y : y + 5, 3:9] = oid
    return labels


@pytest.fixture
def path(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        store.write_objects([SKIER], ["person"])
        for t in (0, 1, 2):
            store.commit_frame(t, box(1, y=t), FrameRecord(FrameStatus.REVIEWED, {}))
    return tmp_path / "s.zarr"


def pixels(t: int) -> np.ndarray:
    return np.zeros((4, 20, 30, 3), np.uint8)


def coco(store, out, **options) -> dict:
    [written] = export_store(store, "coco", out, with_images=False, **options)
    return json.loads(written.read_text())


def test_a_frame_whose_status_changed_after_the_export_began_is_left_out(path, tmp_path):
    """Frame 1 was chosen as reviewed, then propagation changed its mask and made it *needs
    review*: it was exported with the new mask, counted as reviewed."""
    opened = AnnotationStore.open(path)  # what `skipclick export` does first
    with AnnotationStore.open(path, readonly=False) as writer:
        writer.commit_frame(
            1, box(1, y=12), FrameRecord(FrameStatus.NEEDS_REVIEW, {}, review={1: "drift"})
        )
    doc = coco(opened, tmp_path / "coco", statuses=["reviewed"])
    assert [im["frame_index"] for im in doc["images"]] == [0, 2]
    assert doc["info"]["videos"][0]["frames"] == 2
    assert doc["info"]["videos"][0]["frame_statuses"] == {"reviewed": 2}
    export_store(opened, "numpy", tmp_path / "np", statuses=["reviewed"])
    assert np.load(tmp_path / "np" / "frames.npy").tolist() == [0, 2]
    labels = np.load(tmp_path / "np" / "labels.npy")
    assert labels.shape == (2, 20, 30) and (labels[1] == box(1, y=2)).all()
    assert len(json.loads((tmp_path / "np" / "objects.json").read_text())["frames"]) == 2


def test_the_dataset_serves_no_frame_whose_status_changed_since_it_was_made(path):
    data = SkipClickDataset(path, pixels(0), statuses=["reviewed"])
    with AnnotationStore.open(path, readonly=False) as writer:
        writer.commit_frame(1, box(1, y=12), FrameRecord(FrameStatus.NEEDS_REVIEW, {}))
    with pytest.warns(UserWarning, match="frame 1 of s.zarr changed status"):
        _, masks, _ = data[1]
    assert (masks[0].numpy() == (box(1, y=2) == 1)).all()  # frame 2 instead


def test_a_frame_is_read_with_the_record_of_its_commit_while_a_writer_commits_it(path):
    """A read-only open read frame 1's record, then its labels after a commit replaced both."""
    opened = AnnotationStore.open(path)
    read_labels = opened.read_labels
    calls = []

    def commit_meanwhile(t):
        if not calls:
            with AnnotationStore.open(path, readonly=False) as writer:
                writer.commit_frame(t, box(1, y=12), FrameRecord(FrameStatus.NEEDS_REVIEW, {}))
        calls.append(t)
        return read_labels(t)

    opened.read_labels = commit_meanwhile
    frame = opened.read_frame(1)
    assert len(calls) == 2 and frame.record["status"] == FrameStatus.NEEDS_REVIEW.value
    assert (frame.labels == box(1, y=12)).all()


def add_gate(path) -> None:
    with AnnotationStore.open(path, readonly=False) as writer:
        writer.write_objects([SKIER, GATE], ["person", "gate"])
        writer.commit_frame(0, box(1) + box(2, y=12), FrameRecord(FrameStatus.REVIEWED, {}))


def test_objects_added_after_the_dataset_was_made_are_left_out(path):
    """The new gate got class id 2 (and 'unlabelled' in a worker's own class list) while
    class_names held one class."""
    data = SkipClickDataset(path, pixels(0))
    add_gate(path)
    _, masks, class_ids = data[0]
    assert data.class_names == ["person"] and class_ids.tolist() == [1]
    assert (masks[0].numpy() == (box(1) == 1)).all()


def test_objects_added_after_the_export_began_are_left_out(path, tmp_path):
    opened = AnnotationStore.open(path)
    add_gate(path)
    doc = coco(opened, tmp_path / "coco")
    assert [c["name"] for c in doc["categories"]] == ["person"]
    assert {a["object_id"] for a in doc["annotations"]} == {1}
    export_store(opened, "yolo-seg", tmp_path / "yolo", with_images=False)
    yaml = (tmp_path / "yolo" / "data.yaml").read_text()
    assert "unlabelled" not in yaml and "gate" not in yaml
    export_store(opened, "png", tmp_path / "png")
    doc = json.loads((tmp_path / "png" / "objects.json").read_text())
    assert [o["name"] for o in doc["objects"]] == ["skier"]
    written = np.asarray(Image.open(tmp_path / "png" / "labels" / "000000.png"))
    assert set(np.unique(written).tolist()) == {0, 1}


def test_pixels_without_an_object_have_the_unlabelled_class_from_the_start(path):
    with AnnotationStore.open(path, readonly=False) as writer:
        writer.commit_frame(2, box(9), FrameRecord(FrameStatus.REVIEWED, {}))  # 9: no object
    data = SkipClickDataset(path, pixels(0))
    assert data.class_names == ["person", "unlabelled"]
    assert data[2][2].tolist() == [2]


def test_an_object_being_deleted_is_warned_of_and_not_served(path, tmp_path):
    """The Dataset served the masks of an object half-way through its deletion, silently."""
    with AnnotationStore.open(path, readonly=False) as writer:
        writer.write_objects([SKIER, GATE], ["person", "gate"])
        writer.commit_frame(0, box(1) + box(2, y=12), FrameRecord(FrameStatus.REVIEWED, {}))
        writer.write_objects([SKIER, GATE], ["person", "gate"], leaving=[2])
    with pytest.warns(UserWarning, match=r"object 2 \(gate\) was being deleted"):
        data = SkipClickDataset(path, pixels(0))
    assert data.object_ids(0) == [1] and data[0][2].tolist() == [1]
    doc = coco(AnnotationStore.open(path), tmp_path / "coco")
    assert {a["object_id"] for a in doc["annotations"]} == {1}


def test_a_frame_whose_record_is_damaged_is_counted_as_damaged(path, tmp_path):
    """The export held the frame and its provenance counted it as *empty*."""
    (path / "frames" / "000001.json").write_text("{ damaged")
    doc = coco(AnnotationStore.open(path), tmp_path / "coco")
    assert [im["frame_index"] for im in doc["images"]] == [0, 1, 2]
    assert doc["info"]["videos"][0]["frame_statuses"] == {"damaged": 1, "reviewed": 2}
    doc = coco(AnnotationStore.open(path), tmp_path / "reviewed", statuses=["reviewed"])
    assert [im["frame_index"] for im in doc["images"]] == [0, 2]


def test_a_large_id_written_meanwhile_never_wraps_in_a_label_png(path, tmp_path):
    """PNG and DAVIS exports chose palette PNGs from the ids the frames held before writing
    them: gate (id 300), painted meanwhile by the annotator beside, was written as 44."""
    from napari_skipclick.io.export import ExportError

    big = ObjectInfo(300, "gate", "gate", (4, 5, 6))
    with AnnotationStore.open(path, readonly=False) as store:
        store.write_objects([SKIER, big], ["person", "gate"])
    opened = AnnotationStore.open(path)

    def paint_meanwhile(done: int, total: int) -> None:
        if done == 1:
            with AnnotationStore.open(path, readonly=False) as writer:
                writer.commit_frame(
                    2, box(1, y=2) + box(300, y=12), FrameRecord(FrameStatus.REVIEWED, {})
                )

    export_store(opened, "png", tmp_path / "png", progress=paint_meanwhile)
    written = np.asarray(Image.open(tmp_path / "png" / "labels" / "000002.png"))
    np.testing.assert_array_equal(written, box(1, y=2) + box(300, y=12))
    assert json.loads((tmp_path / "png" / "objects.json").read_text())["png_mode"] == "uint16"
    with pytest.raises(
        ExportError, match=r"300 does not fit a DAVIS palette PNG .*--format png .* or coco"
    ):
        export_store(opened, "davis", tmp_path / "davis")
