"""A frame folder's file names, recorded in its store: exports name each frame's original
photo, the warning of a folder changed since names the frames whose photo changed, and
``skipclick info`` shows the first and last."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.io import open_video
from napari_skipclick.io.export import export_store
from napari_skipclick.io.export.yolo import PROVENANCE_LINE
from napari_skipclick.io.info_cli import report
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.store_summary import summarise
from napari_skipclick.types import FrameRecord, FrameStatus, VideoInfo

H, W = 24, 32
NAMES = ["IMG_10.jpg", "IMG_3.jpg", "IMG_9.jpg"]  # frames in natural order: 3, 9, 10


def photos(folder, names):
    """A folder of photos ``names``, each a flat grey of its own level."""
    folder.mkdir()
    for k, name in enumerate(names):
        Image.fromarray(np.full((H, W, 3), 20 * k, np.uint8)).save(folder / name)
    return folder


def annotated(tmp_path, source, frames=(1, 2)):
    """A store of ``source`` with an object on ``frames``; returns its path."""
    with open_video(source) as video:
        info = video.info
    labels = np.zeros((H, W), np.uint32)
    labels[4:9, 5:12] = 1
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", info) as store:
        for t in frames:
            store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
    return tmp_path / "s.zarr"


def info_of(folder) -> VideoInfo:
    with open_video(folder) as video:
        return video.info


def test_a_folder_store_records_its_file_names_once(tmp_path):
    """The store named no photo: only their places in an order the folder no longer keeps
    once a photo is renamed or added."""
    folder = photos(tmp_path / "same", NAMES)
    store = annotated(tmp_path, folder)
    recorded = store / "frame_files.json"
    doc = json.loads(recorded.read_text())
    assert doc["files"] == ["IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg"]
    assert doc["fingerprint"] == info_of(folder).fingerprint
    assert "frame_files" not in json.loads((store / "skipclick.json").read_text())["video"]
    with AnnotationStore.open(store) as opened:
        assert opened.frame_files() == ("IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg")
    before = recorded.stat().st_mtime_ns
    os.utime(recorded, ns=(before - 10**9, before - 10**9))
    with AnnotationStore.open_or_create(store, info_of(folder)):
        pass  # resumed: the record is not written again
    assert recorded.stat().st_mtime_ns == before - 10**9
    # a photo's store records no names (its path names it)
    with AnnotationStore.open_or_create(
        tmp_path / "one.zarr", info_of(folder / "IMG_3.jpg")
    ) as one:
        assert one.frame_files() is None
    assert not (tmp_path / "one.zarr" / "frame_files.json").exists()


def test_a_store_without_the_record_gets_it_from_its_folder(tmp_path):
    """A store made before the names were recorded reads as none, and records them when
    opened for annotation on its folder; a damaged or another folder's record reads as none."""
    folder = photos(tmp_path / "same", NAMES)
    store = annotated(tmp_path, folder)
    (store / "frame_files.json").unlink()
    with AnnotationStore.open(store) as opened:
        assert opened.frame_files() is None
    with AnnotationStore.open_or_create(store, info_of(folder)) as opened:
        assert opened.frame_files() == ("IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg")
    doc = json.loads((store / "frame_files.json").read_text())
    (store / "frame_files.json").write_text(json.dumps({**doc, "fingerprint": "other"}))
    with AnnotationStore.open(store) as opened:
        assert opened.frame_files() is None
    (store / "frame_files.json").write_text('{"files": [')
    with AnnotationStore.open(store) as opened:
        assert opened.frame_files() is None
        assert export_store(opened, "coco", tmp_path / "out", with_images=False)


def test_exports_name_each_frames_original_photo(tmp_path):
    """A trainer could pair ``images/000002.jpg`` with its photo only by sorting the folder
    again as the tool does, wrong once a photo was renamed or added."""
    folder = photos(tmp_path / "same", NAMES)
    store = AnnotationStore.open(annotated(tmp_path, folder))
    originals = {"1": "IMG_9.jpg", "2": "IMG_10.jpg"}

    export_store(store, "coco", tmp_path / "coco")
    doc = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    pairs = [(i["file_name"], i["original_file_name"]) for i in doc["images"]]
    assert pairs == [("images/000001.jpg", "IMG_9.jpg"), ("images/000002.jpg", "IMG_10.jpg")]
    assert doc["info"]["videos"][0]["original_file_names"] == originals

    export_store(store, "yolo-seg", tmp_path / "yolo")
    yaml = (tmp_path / "yolo" / "data.yaml").read_text().splitlines()
    line = next(k for k in yaml if k.startswith(PROVENANCE_LINE))
    provenance = json.loads(line[len(PROVENANCE_LINE) :])
    assert provenance["videos"][0]["original_file_names"] == originals

    for fmt in ("png", "davis", "numpy", "yolo-seg"):  # yolo-seg: not in a comment alone
        export_store(store, fmt, tmp_path / fmt)
        doc = json.loads((tmp_path / fmt / "objects.json").read_text())
        assert [(f["frame"], f["original_file_name"]) for f in doc["frames"]] == [
            (1, "IMG_9.jpg"),
            (2, "IMG_10.jpg"),
        ]
        assert doc["info"]["videos"][0]["original_file_names"] == originals
    labels = {
        f["original_file_name"]: tmp_path / "yolo-seg" / "labels" / f"{f['frame']:06d}.txt"
        for f in doc["frames"]
    }
    assert all(path.is_file() for path in labels.values())  # each label file, its photo


def test_a_video_files_export_names_no_original(tmp_path):
    video = VideoInfo("/videos/run1.mp4", 3, H, W, 25.0, "sha256:run1")
    labels = np.zeros((H, W), np.uint32)
    labels[2:5, 2:5] = 1
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", video) as store:
        store.commit_frame(0, labels, FrameRecord(FrameStatus.CLICKED, {}))
        export_store(store, "coco", tmp_path / "coco", with_images=False)
        export_store(store, "png", tmp_path / "png")
    doc = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    assert "original_file_name" not in doc["images"][0]
    assert "original_file_names" not in doc["info"]["videos"][0]
    doc = json.loads((tmp_path / "png" / "objects.json").read_text())
    assert "original_file_name" not in doc["frames"][0]


def test_the_folder_changed_warning_names_the_frames_now_another_photo(tmp_path):
    """ "a frame may now be another photo" could not say which."""
    folder = photos(tmp_path / "same", NAMES)
    store = annotated(tmp_path, folder)
    (folder / "IMG_9.jpg").rename(folder / "IMG_99.jpg")
    with pytest.warns(UserWarning) as warned:
        export_store(AnnotationStore.open(store), "coco", tmp_path / "a")
    text = str(warned[0].message)
    assert "2 frame(s) are now another file: frame 1 was IMG_9.jpg, is IMG_10.jpg; " in text
    assert "frame 2 was IMG_10.jpg, is IMG_99.jpg" in text and "IMG_3" not in text
    # the names as annotated, a photo edited: said so
    (folder / "IMG_99.jpg").rename(folder / "IMG_9.jpg")
    Image.fromarray(np.full((H, W, 3), 200, np.uint8)).save(folder / "IMG_3.jpg", quality=50)
    with pytest.warns(UserWarning, match="every frame has the file name it was annotated on"):
        export_store(AnnotationStore.open(store), "coco", tmp_path / "b")


def test_the_warning_counts_the_changed_frames_past_five(tmp_path):
    folder = photos(tmp_path / "many", [f"a{k}.jpg" for k in range(8)])
    store = annotated(tmp_path, folder, frames=(0,))
    for k in range(8):
        (folder / f"a{k}.jpg").rename(folder / f"b{k}.jpg")
    with pytest.warns(UserWarning) as warned:
        export_store(AnnotationStore.open(store), "coco", tmp_path / "a")
    text = str(warned[0].message)
    assert "8 frame(s) are now another file: frame 0 was a0.jpg, is b0.jpg;" in text
    assert "frame 4 was a4.jpg, is b4.jpg; and 3 more" in text and "a5.jpg" not in text


def test_info_shows_the_first_and_last_photo(tmp_path):
    folder = photos(tmp_path / "same", NAMES)
    with AnnotationStore.open(annotated(tmp_path, folder)) as store:
        summary = summarise(store)
    assert (summary["video"]["first_file"], summary["video"]["last_file"]) == (
        "IMG_3.jpg",
        "IMG_10.jpg",
    )
    assert "files   IMG_3.jpg … IMG_10.jpg" in report(summary)


def test_a_damaged_record_is_written_again_and_the_napari_writer_copies_the_names(tmp_path):
    """A damaged record read as none for good (it was never written again), and a store saved
    from the reader's layer with napari's writer recorded no names."""
    from napari_skipclick._reader import read_store
    from napari_skipclick._writer import write_labels

    folder = photos(tmp_path / "same", NAMES)
    store = annotated(tmp_path, folder)
    (store / "frame_files.json").write_text('{"files": [')
    with AnnotationStore.open_or_create(store, info_of(folder)) as opened:
        assert opened.frame_files() == ("IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg")
    [(data, meta, _)] = read_store(str(store))
    write_labels(str(tmp_path / "new.zarr"), data, meta)
    with AnnotationStore.open(tmp_path / "new.zarr") as new:
        assert new.frame_files() == ("IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg")
