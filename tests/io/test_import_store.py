"""``skipclick import-labels A.zarr --from B.zarr``: another annotator's store imported as it
is, its frames nobody checked keeping their status, reasons for review and propagation's
clicks, as the widget's *Import labels* keeps them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_skipclick.cli import main
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run.mp4", 6, 20, 30, 25.0, "fp-import")
SHRANK = "the mask shrank"


def annotator_a(path: Path) -> Path:
    """A: the skier (object 1) clicked on frames 0-1, [2:5, 2:5]."""
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects([ObjectInfo(1, "skier", "object", (0, 0, 0))], ["object"])
        for t in (0, 1):
            labels = np.zeros((20, 30), np.uint32)
            labels[2:5, 2:5] = 1
            store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {1: [(3, 3, True, 5)]}))
    return path


def annotator_b(path: Path) -> Path:
    """B: a ski (1) and a pole (2) clicked on frame 0, propagated onto 1-3; frame 2 needs
    review for the pole, frame 3 too, saved without propagation's clicks."""
    objects = [ObjectInfo(1, "ski-B", "ski", (0, 0, 0)), ObjectInfo(2, "pole-B", "pole", (0, 0, 0))]
    derived = {1: [(11.0, 12.0, True, 50.0)], 2: [(7.0, 22.0, True, 50.0)]}
    records = {
        0: FrameRecord(FrameStatus.CLICKED, {1: [(11, 12, True, 10)], 2: [(7, 22, True, 11)]}),
        1: FrameRecord(FrameStatus.PROPAGATED, derived, carried=[1, 2]),
        2: FrameRecord(FrameStatus.NEEDS_REVIEW, derived, carried=[1, 2], review={2: SHRANK}),
        3: FrameRecord(FrameStatus.NEEDS_REVIEW, {}, carried=[1, 2], review={2: SHRANK}),
    }
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects(objects, ["ski", "pole"])
        for t, record in records.items():
            labels = np.zeros((20, 30), np.uint32)
            labels[10:13, 10:15] = 1
            labels[5:10, 20:23] = 2
            store.commit_frame(t, labels, record)
    return path


def test_another_store_merges_with_its_statuses_reasons_and_clicks(tmp_path, capsys):
    a, b = annotator_a(tmp_path / "A.zarr"), annotator_b(tmp_path / "B.zarr")
    args = ["import-labels", str(a), "--from", str(b), "--merge", "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "imported 4 frames, 2 objects" in out
    assert "IDs the store gave other objects took new ones: 1 → 3" in out  # B's ski: not A's
    assert "2 frame(s) still need review, as in" in out and ": 2-3" in out
    with AnnotationStore.open(a) as store:
        assert {o.id: o.name for o in store.objects()} == {1: "skier", 2: "pole-B", 3: "ski-B"}
        statuses = store.statuses()
        assert statuses[0] == statuses[1] == FrameStatus.CLICKED  # A's checked work
        assert statuses[2] == statuses[3] == FrameStatus.NEEDS_REVIEW
        assert store.review_reasons()[2] == store.review_reasons()[3] == {2: SHRANK}
        assert set(np.unique(store.read_labels(2))) == {0, 2, 3}
        assert store.clicks(1)[1] == [(3, 3, True, 5)]  # A's own clicks stay
        assert store.clicks(1)[3] == [(11, 12, True, 50)]  # B's ski's, renumbered
        assert sorted(store.frame_record(2)["carried"]) == [2, 3]
        derived = store.clicks(3)[2]  # none saved: derived from the pole's mask
        assert derived and len({when for *_, when in derived}) == 1
        assert store.clicks(0).keys() == {1}  # B's clicked frame joins A's, whose record it keeps
        assert store.frame_record(0)["carried"] == []


def test_a_store_imported_into_a_new_store_and_into_itself(tmp_path, capsys):
    b = annotator_b(tmp_path / "B.zarr")
    new = tmp_path / "C.zarr"
    assert main(["import-labels", str(new), "--from", str(b), "--quiet"]) == 1
    assert "give its video with --video" in capsys.readouterr().err
    with AnnotationStore.open_or_create(new, VIDEO):
        pass
    assert main(["import-labels", str(new), "--from", str(b), "--quiet"]) == 0
    with AnnotationStore.open(new) as store:
        assert store.statuses() == {
            0: FrameStatus.IMPORTED,
            1: FrameStatus.PROPAGATED,
            2: FrameStatus.NEEDS_REVIEW,
            3: FrameStatus.NEEDS_REVIEW,
        }
        assert {o.id: o.name for o in store.objects()} == {1: "ski-B", 2: "pole-B"}
    assert main(["import-labels", str(b), "--from", str(b), "--merge", "--quiet"]) == 1
    assert "is the store imported into" in capsys.readouterr().err
