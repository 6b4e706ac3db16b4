"""The objects the user marked not on a frame: kept with the frame record, read back, kept by a
status change and by a copy of the frame into another store; old records hold none."""

from __future__ import annotations

import json

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.store.frame_copy import copy_frame
from napari_skipclick.types import FrameRecord, FrameStatus, VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 6, 24, 32, 25.0, "sha256:aaaa")


def labels() -> np.ndarray:
    frame = np.zeros((VIDEO.height, VIDEO.width), np.uint32)
    frame[2:8, 3:9] = 2
    return frame


def test_absent_marks_survive_reopening_a_status_change_and_a_copy(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, labels(), FrameRecord(FrameStatus.CLICKED, {}, absent=[1]))
        store.commit_frame(
            1, np.zeros_like(labels()), FrameRecord(FrameStatus.CLICKED, {}, absent=[2, 1])
        )
        store.commit_frame(2, labels(), FrameRecord(FrameStatus.PROPAGATED, {}))
        store.set_status(1, FrameStatus.REVIEWED)
        assert store.frame_record(1)["absent"] == [1, 2]
        assert store.frame_record(2)["absent"] == []
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.absent_marks() == {(0, 1), (1, 1), (1, 2)}
        # a frame holding nothing but absent marks is annotated: a negative example
        assert store.annotated_frames() == [0, 1, 2]
        with AnnotationStore.open_or_create(tmp_path / "copy", VIDEO) as copy:
            copy_frame(store, copy, 1, store.read_labels(1))
            assert copy.absent_marks() == {(1, 1), (1, 2)}


def test_a_record_from_before_absent_marks_holds_none(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, labels(), FrameRecord(FrameStatus.CLICKED, {}, absent=[1]))
    record = tmp_path / "s" / "frames" / "000000.json"
    doc = json.loads(record.read_text())
    del doc["absent"]
    record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.absent_marks() == set() and store.frame_record(0)["absent"] == []
