"""``skipclick import-labels`` onto frames the store holds: what ``--replace`` erases when the
labels' IDs take new ones, and what a ``--merge`` cut short by a full disk changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.cli import main
from napari_skipclick.io.store import AnnotationStore, StoreError
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run.mp4", 6, 20, 30, 25.0, "fp-import")


def skier_on(path: Path, frames: tuple[int, ...]) -> Path:
    """A store whose object 1, "skier", covers [2:5, 2:5] of ``frames``."""
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects([ObjectInfo(1, "skier", "object", (0, 0, 0))], ["object"])
        for t in frames:
            labels = np.zeros((20, 30), np.uint32)
            labels[2:5, 2:5] = 1
            store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
    return path


def test_replace_erases_the_object_whose_id_the_labels_gave_up(tmp_path, capsys):
    """Another store's export holds object 1 too, renumbered 1 → 2 on import: the store's
    object 1 is erased on the frames replaced, and the report names it."""
    store = skier_on(tmp_path / "A.zarr", (3, 5))
    folder = tmp_path / "B-export" / "labels"
    folder.mkdir(parents=True)
    for t in (3, 5):
        labels = np.zeros((20, 30), np.uint8)
        labels[10:15, 10:20] = 1
        Image.fromarray(labels).save(folder / f"{t:06d}.png")
    info = {"videos": [{"name": "run", "store": str(tmp_path / "B.zarr"), "video": {}}]}
    doc = {"objects": [{"id": 1, "name": "skier", "class_name": "object"}], "info": info}
    (tmp_path / "B-export" / "objects.json").write_text(json.dumps(doc))
    args = ["import-labels", str(store), "--from", str(folder), "--quiet"]
    erased = "the labels do not hold there: skier (id 1) on frames 3, 5, 18 px"
    assert main(args) == 1
    assert f"--replace would erase the store's objects {erased}" in capsys.readouterr().err
    assert main([*args, "--replace"]) == 0
    out = capsys.readouterr().out
    assert "IDs the store gave other objects took new ones: 1 → 2" in out
    assert f"erased the store's objects {erased}" in out
    with AnnotationStore.open(store) as s:
        for t in (3, 5):
            labels = s.read_labels(t)
            assert set(np.unique(labels)) == {0, 2} and (labels[10:15, 10:20] == 2).all()


def test_replace_says_it_overwrites_the_frames_statuses_and_clicks(tmp_path, capsys):
    """--replace named the objects it erased but not the frames' clicks and review status it
    overwrote: a frame in review came back *imported*, accepted, its clicks gone, unsaid."""
    store = skier_on(tmp_path / "s.zarr", (3, 5))
    with AnnotationStore.open(store, readonly=False) as s:
        labels = s.read_labels(3)
        clicks = {1: [(3.0, 3.0, True, 10.0), (4.0, 4.0, True, 11.0)]}
        s.commit_frame(3, labels, FrameRecord(FrameStatus.NEEDS_REVIEW, clicks, review={1: "x"}))
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[3:6, 2:5, 2:5] = 1  # the skier's own masks, fixed in another tool
    np.save(tmp_path / "l.npy", labels)
    args = ["import-labels", str(store), "--from", str(tmp_path / "l.npy"), "--quiet"]
    said = "statuses (needs review on frame 3, with its reasons; clicked on frame 5) and 2 click(s)"
    assert main(args) == 1
    assert f"would overwrite their {said}) or import" in capsys.readouterr().err
    assert main([*args, "--replace", "--dry-run"]) == 0
    assert f"would overwrite their {said}" in capsys.readouterr().out
    assert main([*args, "--replace"]) == 0
    out = capsys.readouterr().out
    assert "erased no object" in out and f"; overwrote their {said}" in out
    with AnnotationStore.open(store) as s:
        assert s.statuses() == {t: FrameStatus.IMPORTED for t in (3, 4, 5)}
        assert s.clicks(3) == {} and s.review_reasons().get(3, {}) == {}


def test_a_merge_cut_short_by_a_full_disk_says_to_merge_the_frames_left(
    tmp_path, capsys, monkeypatch
):
    """Frames 3 merged, 4-5 not: the same --merge finishes (--replace would erase the store's
    objects there)."""
    store = skier_on(tmp_path / "s.zarr", (3, 4, 5))
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[3:6, 10:15, 10:20] = 4
    np.save(tmp_path / "l.npy", labels)
    real = AnnotationStore.commit_frame

    def full_at_4(self, t, *args, **kwargs):
        if t == 4:
            raise StoreError("could not save frame 4: No space left on device")
        return real(self, t, *args, **kwargs)

    monkeypatch.setattr(AnnotationStore, "commit_frame", full_at_4)
    args = ["import-labels", str(store), "--from", str(tmp_path / "l.npy"), "--quiet", "--merge"]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "No space left on device; the merge stopped there: frame 3 was merged" in err
    assert "frames 4-5 were not" in err and "(with --merge) to merge those left" in err
    assert "were imported" not in err and "--replace" not in err
    with AnnotationStore.open(store) as s:
        three, four = s.read_labels(3), s.read_labels(4)
        assert (three[2:5, 2:5] == 1).all() and (three[10:15, 10:20] == 4).all()
        assert (four[2:5, 2:5] == 1).all() and not (four == 4).any()
