"""``skipclick import-labels``: bad input says why and writes nothing; splits keep blocks whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.cli import main
from napari_skipclick.io.export.split import parse_split, split_frames, split_videos
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run.mp4", 6, 20, 30, 25.0, "fp-import")


def new_store(path: Path, video: VideoInfo = VIDEO) -> Path:
    with AnnotationStore.open_or_create(path, video) as store:
        labels = np.zeros((20, 30), np.uint32)
        labels[2:5, 2:5] = 1
        store.commit_frame(5, labels, FrameRecord(FrameStatus.CLICKED, {}))
    return path


def coco(path: Path, anns: list[dict], categories=({"id": 1, "name": "ski"},)) -> Path:
    images = [{"id": 1, "file_name": "frames/000002.jpg", "height": 20, "width": 30}]
    doc = {"images": images, "annotations": anns, "categories": list(categories)}
    path.write_text(json.dumps(doc))
    return path


def box(y0: int, x0: int, y1: int, x1: int) -> list[list[float]]:
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def run_import(store: Path, source: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["import-labels", str(store), "--from", str(source), "--quiet", *extra])
    return code, capsys.readouterr().err


def unchanged(store: Path) -> bool:
    with AnnotationStore.open(store) as s:
        return s.annotated_frames() == [5] and s.objects() == []


def test_coco_polygons_import_by_category_and_frame_number(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "segmentation": box(1, 1, 6, 12), "area": 55},
        {"id": 2, "image_id": 1, "category_id": 2, "segmentation": box(10, 3, 15, 6), "area": 15},
    ]
    categories = ({"id": 1, "name": "ski"}, {"id": 2, "name": "pole"})
    code, _ = run_import(store, coco(tmp_path / "a.json", anns, categories), capsys)
    assert code == 0
    with AnnotationStore.open(store) as s:
        labels = s.read_labels(2)  # the frame number comes from the file name
        assert s.statuses()[2] == FrameStatus.IMPORTED
        assert {(o.name, o.class_name) for o in s.objects()} == {
            ("ski 1", "ski"),
            ("pole 1", "pole"),
        }
    assert labels[3, 5] != 0 and labels[12, 4] != 0 and labels[3, 5] != labels[12, 4]


def test_unknown_category_is_refused(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    anns = [{"id": 1, "image_id": 1, "category_id": 7, "segmentation": box(1, 1, 6, 12)}]
    code, err = run_import(store, coco(tmp_path / "a.json", anns), capsys)
    assert code == 1 and "category id 7" in err
    assert unchanged(store)


def test_overlapping_instances_are_reported_and_refused(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "segmentation": box(1, 1, 10, 20), "area": 171},
        {"id": 2, "image_id": 1, "category_id": 1, "segmentation": box(5, 5, 8, 8), "area": 9},
    ]
    source = coco(tmp_path / "a.json", anns)
    code, err = run_import(store, source, capsys)
    assert code == 1 and "overlap on 1 frame(s)" in err and "frame 2" in err
    assert "--allow-overlaps" in err
    assert unchanged(store)
    code, dry = run_import(store, source, capsys, "--dry-run")  # says what the import would
    assert code == 1 and dry == err
    assert run_import(store, source, capsys, "--dry-run", "--allow-overlaps")[0] == 0
    code, _ = run_import(store, source, capsys, "--allow-overlaps")
    assert code == 0
    with AnnotationStore.open(store) as s:
        labels = s.read_labels(2)
    assert labels[6, 6] != labels[2, 2] != 0  # the smaller instance keeps the pixels


def test_shape_mismatch_is_refused(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    np.save(tmp_path / "l.npy", np.zeros((6, 21, 30), np.uint16))
    code, err = run_import(store, tmp_path / "l.npy", capsys)
    assert code == 1 and "shape (21, 30)" in err and "(20, 30)" in err
    assert unchanged(store)


def test_store_of_another_video_is_refused(tmp_path, capsys):
    other = VideoInfo("/videos/other.mp4", 6, 20, 30, 25.0, "fp-other")
    store = new_store(tmp_path / "s.zarr", other)
    from napari_skipclick.io import open_video

    sample = Path(__file__).parents[2] / "src" / "napari_skipclick" / "sample_data"
    np.save(tmp_path / "l.npy", np.zeros((127, 480, 854), np.uint8))
    code, err = run_import(
        store, tmp_path / "l.npy", capsys, "--video", str(sample / "giant_slalom.mp4")
    )
    assert code == 1 and "other.mp4" in err
    with AnnotationStore.open(store) as s:
        assert s.video == other and s.annotated_frames() == [5]
    assert open_video(sample / "giant_slalom.mp4").shape[0] == 127


def test_frames_already_labelled_need_replace(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[5, 0:3, 0:3] = 4
    np.save(tmp_path / "l.npy", labels)
    code, err = run_import(store, tmp_path / "l.npy", capsys)
    assert code == 1 and "already holds labels on frames [5]" in err and "--replace" in err
    assert unchanged(store)
    assert run_import(store, tmp_path / "l.npy", capsys, "--dry-run") == (code, err)
    assert run_import(store, tmp_path / "l.npy", capsys, "--dry-run", "--replace")[0] == 0
    assert run_import(store, tmp_path / "l.npy", capsys, "--replace")[0] == 0
    with AnnotationStore.open(store) as s:
        assert s.read_labels(5).max() == 4 and [o.name for o in s.objects()] == ["object 4"]


def test_replace_names_the_objects_it_erases_before_and_after(tmp_path, capsys):
    """Replacing a frame erases the store's objects there that the labels do not hold: the
    refusal says which (frames, pixels) before --replace, and the summary after it."""
    store = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(store, VIDEO) as s:
        skier, poles = (
            ObjectInfo(i, n, "object", (0, 0, 0)) for i, n in ((1, "skier"), (2, "poles"))
        )
        s.write_objects([skier, poles], ["object"])
        for t, width in ((3, 4), (5, 6)):
            labels = np.zeros((20, 30), np.uint32)
            labels[0:2, 0:2] = 1
            labels[10:12, 0:width] = 2
            s.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[[3, 5], 5:9, 5:9] = 1
    np.save(tmp_path / "l.npy", labels)
    code, err = run_import(store, tmp_path / "l.npy", capsys)
    erased = "the labels do not hold there: poles (id 2) on frames 3, 5, 20 px"
    assert code == 1 and f"--replace would erase the store's objects {erased}" in err
    assert "add the labels' objects beside the store's (--merge)" in err
    assert "skier" not in err
    code = main(
        ["import-labels", str(store), "--from", str(tmp_path / "l.npy"), "--quiet", "--replace"]
    )
    out = capsys.readouterr().out
    assert (
        code == 0
        and f"replaced the store's labels on frames 3, 5: erased the store's objects {erased}"
        in out
    )
    with AnnotationStore.open(store) as s:
        assert all(set(np.unique(s.read_labels(t))) == {0, 1} for t in (3, 5))


def test_missing_source_and_missing_store_say_so(tmp_path, capsys):
    code, err = run_import(tmp_path / "s.zarr", tmp_path / "nothing", capsys)
    assert code == 1 and "no store yet" in err and "--video" in err
    store = new_store(tmp_path / "t.zarr")
    code, err = run_import(store, tmp_path / "nothing", capsys)
    assert code == 1 and "does not exist" in err


def test_split_parsing_and_blocks():
    assert parse_split("train=0.8,val=0.2") == {"train": 0.8, "val": 0.2}
    for bad in ("train=0.8", "train=0.5,train=0.5", "train=x,val=1", "0.8,0.2"):
        with pytest.raises(ValueError):
            parse_split(bad)
    frames = list(range(100))
    [split] = split_frames([frames], {"train": 0.8, "val": 0.2}, seed=1)
    assert sum(v == "val" for v in split.values()) == 20
    # every run of one split is at least one whole block (100 frames / 20 blocks = 5 frames)
    changes = [t for t in frames[1:] if split[t] != split[t - 1]]
    runs = np.diff([0, *changes, len(frames)])
    assert runs.min() >= 5
    assert split_frames([frames], {"train": 0.8, "val": 0.2}, seed=1) == [split]
    assert split_frames([frames], {"train": 0.8, "val": 0.2}, seed=2) != [split]
    videos = split_videos(["a", "b", "c", "d", "e"], {"train": 0.6, "val": 0.4}, seed=0)
    assert sorted(videos.values()) == ["train", "train", "train", "val", "val"]


def test_zarr_array_import(tmp_path, capsys):
    import zarr

    store = new_store(tmp_path / "s.zarr")
    labels = zarr.create_array(str(tmp_path / "l.zarr"), shape=(6, 20, 30), dtype="uint16")
    labels[1, 4:9, 4:9] = 2
    code, err = run_import(store, tmp_path / "l.zarr", capsys)
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        assert s.annotated_frames() == [1, 5] and (s.read_labels(1) == 2).sum() == 25
        assert s.statuses()[1] == FrameStatus.IMPORTED


def test_an_import_keeps_a_deletion_still_to_finish(tmp_path, capsys):
    from napari_skipclick.types import ObjectInfo

    store = new_store(tmp_path / "s.zarr")
    with AnnotationStore.open(store, readonly=False) as s:  # a crash left object 1 half deleted
        s.write_objects([ObjectInfo(1, "ski", "ski", (1, 2, 3))], ["ski"], leaving=[1])
    ann = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": box(1, 1, 6, 12)}
    code, err = run_import(store, coco(tmp_path / "a.json", [{**ann, "track_id": 2}]), capsys)
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        assert len(s.objects()) == 2 and s.leaving() == [1]


def frame_folder(path: Path, n: int = 6) -> Path:
    """A video of ``n`` 20x30 frames as a folder of PNGs."""
    from PIL import Image

    path.mkdir()
    for t in range(n):
        Image.fromarray(np.full((20, 30, 3), 10 * t, np.uint8)).save(path / f"{t:05d}.png")
    return path


def test_a_failed_import_into_a_new_store_leaves_no_store(tmp_path, capsys):
    video = frame_folder(tmp_path / "video")
    labels = np.zeros((6, 20, 30), np.int32)
    labels[2, 3:6, 3:6] = -3
    np.save(tmp_path / "neg.npy", labels)
    store = tmp_path / "new.zarr"
    code, err = run_import(store, tmp_path / "neg.npy", capsys, "--video", str(video))
    assert code == 1 and "frame 2: it holds the label -3" in err and "IDs are 1 to" in err
    assert not store.exists()  # a later annotate --store new.zarr is not told it exists
    code, err = run_import(store, tmp_path / "nothing", capsys, "--video", str(video))
    assert code == 1 and "does not exist" in err and not store.exists()
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "noise.npy").write_bytes(b"\x93NUMPY" + bytes(range(200)))
    for bad in ("objects.npy", "noise.npy"):  # refused, never unpickled
        code, err = run_import(store, tmp_path / bad, capsys, "--video", str(video))
        assert code == 1 and f"{bad} is not a readable .npy array of labels" in err
        assert "Traceback" not in err and not store.exists()
    labels[2, 3:6, 3:6] = 4
    np.save(tmp_path / "good.npy", labels)
    assert run_import(store, tmp_path / "good.npy", capsys, "--video", str(video))[0] == 0
    with AnnotationStore.open(store) as s:
        assert s.annotated_frames() == [2] and s.video.path == str(video)


def test_labels_beyond_the_video_end_are_named_and_empty_ones_left_out(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    labels = np.zeros((9, 20, 30), np.uint16)  # the video has 6 frames
    labels[1, 4:9, 4:9] = 2
    np.save(tmp_path / "long.npy", labels)
    code, err = run_import(store, tmp_path / "long.npy", capsys)
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        assert s.annotated_frames() == [1, 5]
    labels[7, 0, 0] = 3
    np.save(tmp_path / "past.npy", labels)
    code, err = run_import(store, tmp_path / "past.npy", capsys, "--replace")
    assert code == 1 and "frames [7] hold labels" in err and "has 6 frames (0..5)" in err


def test_values_a_label_cannot_hold_are_refused(tmp_path, capsys):
    store = new_store(tmp_path / "s.zarr")
    labels = np.zeros((6, 20, 30), np.uint64)
    labels[3, 0, 0] = 2**32 + 1  # it would wrap around to object 1
    np.save(tmp_path / "big.npy", labels)
    code, err = run_import(store, tmp_path / "big.npy", capsys)
    assert code == 1 and f"frame 3: it holds the label {2**32 + 1}" in err
    assert unchanged(store)
    labels[3, 0, 0] = 65_536  # a uint32 label, but past what napari can draw
    np.save(tmp_path / "big.npy", labels)
    code, err = run_import(store, tmp_path / "big.npy", capsys)
    assert "it holds the label 65536; object IDs are 1 to 65535" in err
    assert code == 1 and "relabel_sequential" in err and unchanged(store)


def test_an_unreadable_png_is_named(tmp_path, capsys):
    from PIL import Image

    store = new_store(tmp_path / "s.zarr")
    folder = tmp_path / "labels"
    folder.mkdir()
    for t in (1, 2):
        Image.fromarray(np.full((20, 30), t, np.uint8)).save(folder / f"{t:05d}.png")
    data = (folder / "00002.png").read_bytes()
    (folder / "00002.png").write_bytes(data[: len(data) // 2])
    code, err = run_import(store, folder, capsys)
    assert code == 1 and "00002.png: not a readable PNG" in err
    assert unchanged(store)


def test_per_object_mask_files_import_as_objects_on_their_frame(tmp_path, capsys):
    """``FRAME_objID_NAME.png`` (one binary mask per object, as DAVIS-style data sets ship
    them): each file is object ID of frame FRAME, named NAME; 255 is void."""
    from PIL import Image

    store = new_store(tmp_path / "s.zarr")
    folder = tmp_path / "masks"
    folder.mkdir()
    skier = np.zeros((20, 30), np.uint8)
    skier[2:12, 5:15] = 1
    skier[0, 0] = 255  # void
    pole = np.zeros((20, 30), np.uint8)
    pole[8, 3:20] = 1  # crosses the skier
    Image.fromarray(skier).save(folder / "00002_obj3_skier.png")
    Image.fromarray(pole).save(folder / "00002_obj2_poles.png")
    Image.fromarray(pole).save(folder / "00004_obj2_poles.png")
    Image.fromarray(pole).save(folder / "00001_obj9.png")  # unnamed: of the default class
    code, err = run_import(store, folder, capsys)
    assert code == 1 and "overlap on 1 frame(s)" in err
    code, err = run_import(store, folder, capsys, "--allow-overlaps")
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        assert [(o.id, o.name, o.class_name) for o in s.objects()] == [
            (2, "poles", "poles"),
            (3, "skier", "skier"),
            (9, "object 9", "object"),  # its class was "object 9": a class per object
        ]
        assert s.annotated_frames() == [1, 2, 4, 5]
        labels = s.read_labels(2)
        assert labels[8, 10] == 2 and labels[5, 10] == 3 and labels[0, 0] == 0
        assert (s.read_labels(4) == 2).sum() == 17


def test_void_in_davis_style_masks_is_background_when_said(tmp_path, capsys):
    """Masks of 0/1/255 (255 void, as the evaluation data): 255 became object 255, a training
    object; a note says so, and ``--void 255`` reads it as background."""
    from PIL import Image

    folder = tmp_path / "masks"
    folder.mkdir()
    mask = np.zeros((20, 30), np.uint8)
    mask[4:9, 4:9] = 1
    mask[0:2, :] = 255
    Image.fromarray(mask).save(folder / "00002.png")
    main(["import-labels", str(tmp_path / "a.zarr"), "--from", str(folder), "--quiet",
          "--video", str(frame_folder(tmp_path / "video"))])  # fmt: skip
    assert "label 255 is an object here; if it marks void" in capsys.readouterr().out
    store = new_store(tmp_path / "b.zarr")
    code, _ = run_import(store, folder, capsys, "--void", "255")
    assert code == 0
    with AnnotationStore.open(store) as s:
        assert [o.id for o in s.objects()] == [1]
        assert set(np.unique(s.read_labels(2))) == {0, 1}


def cut_at_frame_4(tmp_path: Path, monkeypatch, error: BaseException):
    """Labels of frames 1-5 in ``l.npy``, whose import raises ``error`` at frame 4; returns
    the store's own ``commit_frame``."""
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[1:6, 0:3, 0:3] = 4
    np.save(tmp_path / "l.npy", labels)
    return commit_fails_at(monkeypatch, 4, error)


def commit_fails_at(patch, frame: int, error: BaseException):
    """The store's ``commit_frame`` made to raise ``error`` on ``frame``; returns the real one."""
    real = AnnotationStore.commit_frame

    def cut(self, t, *args, **kwargs):
        if t == frame:
            raise error
        return real(self, t, *args, **kwargs)

    patch.setattr(AnnotationStore, "commit_frame", cut)
    return real


def test_an_import_that_fails_midway_names_the_frames_it_changed(tmp_path, capsys, monkeypatch):
    """It said "the previous version of the frame is kept" of the frame that failed, and
    nothing of the frames before it, which it had replaced."""
    from napari_skipclick.io.store import StoreError

    store = new_store(tmp_path / "s.zarr")
    cut_at_frame_4(tmp_path, monkeypatch, StoreError("could not save frame 4: No space left"))
    code, err = run_import(store, tmp_path / "l.npy", capsys, "--replace")
    assert code != 0 and "No space left" in err
    assert "frames 1-3 were imported" in err and "frames 4-5 were not" in err


def test_an_export_of_several_videos_is_refused_not_mixed(tmp_path, capsys):
    """A numpy or COCO export of two stores imported into one: frames of the other video
    replaced this one's (numpy), or were refused for "overlaps" (COCO)."""
    store = tmp_path / "s.zarr"
    AnnotationStore.open_or_create(store, VIDEO).close()
    labels = np.zeros((2, 20, 30), np.uint32)
    labels[:, 2:5, 2:5] = 1
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "frames.npy", np.array([3, 3]))  # frame 3 of two videos
    code, err = run_import(store, tmp_path / "labels.npy", capsys)
    assert code != 0 and "lists frames [3] more than once: an export of several videos" in err
    images = [
        {"id": i, "file_name": f"images/{v}/000003.jpg", "height": 20, "width": 30,
         "frame_index": 3, "video": v}
        for i, v in ((1, "run1"), (2, "run2"))
    ]  # fmt: skip
    doc = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "ski"}]}
    (tmp_path / "two.json").write_text(json.dumps(doc))
    code, err = run_import(store, tmp_path / "two.json", capsys)
    assert code != 0 and "holds frames of several videos (run1, run2)" in err
    with AnnotationStore.open(store) as kept:
        assert kept.annotated_frames() == []


def test_a_coco_crowd_region_is_no_object(tmp_path, capsys):
    """``iscrowd`` regions became objects, exported again as instances (iscrowd 0)."""
    store = tmp_path / "s.zarr"
    AnnotationStore.open_or_create(store, VIDEO).close()
    crowd = {"id": 2, "image_id": 1, "category_id": 1, "segmentation": box(10, 10, 18, 28),
             "iscrowd": 1}  # fmt: skip
    ski = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": box(2, 2, 6, 8)}
    assert run_import(store, coco(tmp_path / "c.json", [ski, crowd]), capsys)[0] == 0
    with AnnotationStore.open(store) as back:
        assert [o.name for o in back.objects()] == ["ski 1"]
        assert set(np.unique(back.read_labels(2))) == {0, 1}


def test_a_dry_run_with_the_video_writes_nothing_and_takes_no_lock(tmp_path, capsys):
    """With --video it opened the store for writing: it rewrote the manifest, and failed
    while an annotator had the store open."""
    from PIL import Image

    from napari_skipclick.io import open_video

    folder = tmp_path / "frames"
    folder.mkdir()
    for t in range(6):
        Image.fromarray(np.full((20, 30, 3), 10 * t, np.uint8)).save(folder / f"{t:05d}.png")
    with open_video(folder) as video:
        info = video.info
    store = tmp_path / "s.zarr"
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[2, 0:3, 0:3] = 4
    np.save(tmp_path / "l.npy", labels)
    with AnnotationStore.open_or_create(store, info):  # an annotator has it open
        manifest = (store / "skipclick.json").read_bytes()
        args = ("--video", str(folder), "--dry-run")
        code, _ = run_import(store, tmp_path / "l.npy", capsys, *args)
    assert code == 0 and (store / "skipclick.json").read_bytes() == manifest


def test_unnamed_labels_of_a_stores_ids_are_its_objects(tmp_path, capsys):
    """Masks fixed in another tool and saved as plain label PNGs (no names) could not replace
    the frames of the store they came from: "ids already name other objects"."""
    from PIL import Image

    store = new_store(tmp_path / "s.zarr")
    with AnnotationStore.open(store, readonly=False) as s:
        s.write_objects([ObjectInfo(1, "skis", "ski", (1, 2, 3))], ["ski"])
    folder = tmp_path / "fixed"
    folder.mkdir()
    fixed = np.zeros((20, 30), np.uint8)
    fixed[2:9, 2:5] = 1
    Image.fromarray(fixed).save(folder / "00005.png")
    code, err = run_import(store, folder, capsys, "--replace")
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        assert [(o.id, o.name, o.class_name) for o in s.objects()] == [(1, "skis", "ski")]
        np.testing.assert_array_equal(s.read_labels(5), fixed)


def test_an_import_cut_short_is_named_by_the_store_until_finished(tmp_path, capsys, monkeypatch):
    """A process killed midway left frames *imported* and nothing to say the import was
    unfinished: the store names it, with the command that finishes it, from any folder (it
    named the labels as typed, relative to the folder the import was started in)."""
    import shlex

    store = new_store(tmp_path / "s.zarr")
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[1:6, 0:3, 0:3] = 4
    labels[1:6, 5, 5] = 255
    np.save(tmp_path / "l.npy", labels)
    real = AnnotationStore.commit_frame

    class Killed(BaseException):
        """The process ends here (kill -9, the power gone): nothing after it runs."""

    def killed_at_4(self, t, *args, **kwargs):
        if t == 4:
            raise Killed
        return real(self, t, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(AnnotationStore, "commit_frame", killed_at_4)
        patch.chdir(tmp_path)
        with pytest.raises(Killed):
            run_import(Path("s.zarr"), Path("l.npy"), capsys, "--replace", "--void", "255")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with AnnotationStore.open(store) as s:
        (problem,) = [p for p in s.problems if "cut short" in p]
    assert "into frames 1-5 was cut short" in problem
    command = problem.split("`")[1]
    assert command.endswith("--void 255 --replace")
    assert main([*shlex.split(command)[1:], "--quiet"]) == 0
    capsys.readouterr()
    with AnnotationStore.open(store) as s:
        assert s.problems == []
        assert all(s.statuses()[t] == FrameStatus.IMPORTED for t in range(1, 6))


def test_labels_exported_from_another_video_are_refused(tmp_path, capsys):
    """An export of video B imported into A's store without a word (only the size was
    checked): its objects.json says which video its masks are of."""
    from napari_skipclick.io.export import export_store

    other = VideoInfo("/videos/other.mp4", 6, 20, 30, 25.0, "fp-other")
    with AnnotationStore.open_or_create(tmp_path / "b.zarr", other) as store:
        labels = np.zeros((20, 30), np.uint32)
        labels[2:5, 2:5] = 1
        store.commit_frame(1, labels, FrameRecord(FrameStatus.CLICKED, {}))
    with AnnotationStore.open(tmp_path / "b.zarr") as store:
        export_store(store, "png", tmp_path / "exported", with_images=False)
        export_store(store, "coco", tmp_path / "coco", with_images=False)
        export_store(store, "yolo-seg", tmp_path / "yolo", with_images=False)
    store = new_store(tmp_path / "a.zarr")
    for source in (tmp_path / "exported" / "labels", tmp_path / "coco" / "annotations.json",
                   tmp_path / "yolo"):  # fmt: skip
        code, err = run_import(store, source, capsys, "--allow-overlaps")
        assert code != 0 and "holds labels of /videos/other.mp4" in err, source
        assert unchanged(store)
    run_import(new_store(tmp_path / "b2.zarr", other), tmp_path / "exported" / "labels", capsys)
    with AnnotationStore.open(tmp_path / "b2.zarr") as store:
        assert 1 in store.annotated_frames()  # its own video's store takes them


def test_ctrl_c_says_so_in_one_line_and_keeps_the_frames_imported(tmp_path, capsys, monkeypatch):
    """It printed a KeyboardInterrupt traceback; then a new store cut short was removed, while
    the message of a failure there said its frames were kept for --replace to finish."""
    real = cut_at_frame_4(tmp_path, monkeypatch, KeyboardInterrupt())

    def ctrl_c_import(store: Path, *extra: str) -> tuple[int | None, str]:
        try:
            return run_import(store, tmp_path / "l.npy", capsys, *extra)
        except KeyboardInterrupt:  # out of skipclick: the traceback
            return None, ""

    video = frame_folder(tmp_path / "video")
    stores = {tmp_path / "new.zarr": ("--video", str(video)), new_store(tmp_path / "s.zarr"): ()}
    for store, extra in stores.items():
        code, err = ctrl_c_import(store, *extra, "--replace")
        assert code == 130 and err.count("\n") == 1, err
        assert "interrupted: the frames imported are kept" in err and "--replace" in err
        with AnnotationStore.open(store) as s:  # the store names what was cut short
            assert any("was cut short" in p for p in s.problems)
            assert {1, 2, 3} <= set(s.annotated_frames())
    monkeypatch.setattr(AnnotationStore, "commit_frame", real)
    assert run_import(tmp_path / "new.zarr", tmp_path / "l.npy", capsys, "--replace")[0] == 0


def test_a_failed_import_removes_only_a_store_it_made_itself(tmp_path, capsys, monkeypatch):
    """Two imports into one new store name: the one that failed removed the store the other
    had just made and filled (it decided "new" before it took the lock)."""
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[1:6, 0:3, 0:3] = 4
    np.save(tmp_path / "l.npy", labels)
    video = frame_folder(tmp_path / "video")
    target = tmp_path / "race.zarr"
    real_open = AnnotationStore.open_or_create

    def other_process_first(path, info, **kwargs):  # the other import made it meanwhile
        if not target.exists():
            with real_open(target, VIDEO) as other:  # another video's store, with a frame
                other.commit_frame(
                    5, np.ones((20, 30), np.uint32), FrameRecord(FrameStatus.CLICKED, {})
                )
        return real_open(path, info, **kwargs)

    monkeypatch.setattr(AnnotationStore, "open_or_create", other_process_first)
    code, err = run_import(target, tmp_path / "l.npy", capsys, "--video", str(video))
    assert code == 1 and "error" in err
    assert target.exists()  # not this import's to remove
    monkeypatch.setattr(AnnotationStore, "open_or_create", real_open)
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    fresh = tmp_path / "fresh.zarr"  # a store it made, refused before a frame: removed
    assert run_import(fresh, tmp_path / "bad.npy", capsys, "--video", str(video))[0] == 1
    assert not fresh.exists()
    kept = tmp_path / "project"  # a folder of hidden entries may become a store: they stay
    (kept / ".git").mkdir(parents=True)
    (kept / ".notes").write_text("mine")
    assert run_import(kept, tmp_path / "bad.npy", capsys, "--video", str(video))[0] == 1
    assert sorted(e.name for e in kept.iterdir()) == [".git", ".notes"]


def test_an_import_into_a_store_records_when_and_by_which_version(tmp_path, capsys):
    """It wrote frames but left the manifest's ``modified`` and ``package_version`` as a
    session had left them."""
    import json

    from napari_skipclick import __version__

    store = new_store(tmp_path / "s.zarr")
    manifest = json.loads((store / "skipclick.json").read_text())
    manifest.update(modified="2020-01-01T00:00:00.000Z", package_version="0.0.1")
    (store / "skipclick.json").write_text(json.dumps(manifest))
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[1, 0:3, 0:3] = 4
    np.save(tmp_path / "l.npy", labels)
    assert run_import(store, tmp_path / "l.npy", capsys)[0] == 0
    manifest = json.loads((store / "skipclick.json").read_text())
    assert manifest["modified"] > "2020-01-01T00:00:00.000Z"
    assert manifest["package_version"] == __version__


def test_merge_adds_objects_beside_the_stores_which_keep_their_pixels(tmp_path, capsys):
    """Two annotators' objects on the same frames: refused, or --replace erased the store's."""
    store = new_store(tmp_path / "s.zarr")  # object 1 at [2:5, 2:5] of frame 5, clicked
    with AnnotationStore.open(store, readonly=False) as s:
        s.write_objects([ObjectInfo(1, "skier", "skier", (1, 2, 3))], ["skier"])
        mine = s.read_labels(5)
        clicks = {1: [(3.0, 3.0, True, 1.0)]}
        record = FrameRecord(FrameStatus.NEEDS_REVIEW, clicks, carried=[1], review={1: "shrank"})
        s.commit_frame(5, mine, record)
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[5, 10:15, 10:20] = 4
    labels[4, 10:15, 10:20] = 4
    np.save(tmp_path / "l.npy", labels)
    code, err = run_import(store, tmp_path / "l.npy", capsys, "--merge")
    assert code == 0, err
    with AnnotationStore.open(store) as s:
        both = s.read_labels(5)
        assert (both[2:5, 2:5] == 1).all() and (both[10:15, 10:20] == 4).all()
        assert s.statuses() == {4: FrameStatus.IMPORTED, 5: FrameStatus.NEEDS_REVIEW}
        assert s.review_reasons() == {5: {1: "shrank"}} and s.clicks(5)[1][0][:2] == (3.0, 3.0)
    over = np.zeros((6, 20, 30), np.uint8)
    over[3, 0:3, 0:3] = 7
    over[5, 4:8, 4:8] = 7  # on object 1's pixel (4, 4)
    np.save(tmp_path / "over.npy", over)
    code = main(["import-labels", str(store), "--from", str(tmp_path / "over.npy"), "--merge"])
    assert code == 0 and "frame 5: object 7 under skier (1 px)" in capsys.readouterr().out
    with AnnotationStore.open(store) as s:
        five = s.read_labels(5)
        assert five[4, 4] == 1 and (five[4:8, 5:8] == 7).all() and (five[5:8, 4] == 7).all()
        assert s.statuses()[3] == FrameStatus.IMPORTED
    code, err = run_import(store, tmp_path / "over.npy", capsys, "--merge")  # 7 there already
    assert code == 1 and "objects already have a mask in" in err and "frame 5: object 7" in err


def test_another_stores_objects_take_new_ids_whatever_their_names(tmp_path, capsys):
    """Every store numbers its objects from 1: another annotator's export was refused ("object
    ids [1] already name other objects"); one with the same name would have merged."""
    from PIL import Image

    store = new_store(tmp_path / "A.zarr")  # object 1 on frame 5
    with AnnotationStore.open(store, readonly=False) as s:
        s.write_objects([ObjectInfo(1, "skier 1", "skier", (1, 2, 3))], ["skier"])
    folder = tmp_path / "B-export" / "labels"
    folder.mkdir(parents=True)
    for t in (2, 5):
        labels = np.zeros((20, 30), np.uint8)
        labels[10:15, 10:20] = 1
        labels[15:18, 0:5] = 2
        Image.fromarray(labels).save(folder / f"{t:06d}.png")
    objects = [{"id": 1, "name": "skier 1", "class_name": "skier"}]
    objects.append({"id": 2, "name": "ski 2", "class_name": "ski"})
    info = {"videos": [{"name": "run", "store": str(tmp_path / "B.zarr"), "video": {}}]}
    doc = {"objects": objects, "categories": [], "info": info}
    (tmp_path / "B-export" / "objects.json").write_text(json.dumps(doc))
    code = main(["import-labels", str(store), "--from", str(folder), "--quiet", "--merge"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "IDs the store gave other objects took new ones: 1 → 3" in out.out
    with AnnotationStore.open(store) as s:
        named = sorted((o.id, o.name) for o in s.objects())
        assert named == [(1, "skier 1"), (2, "ski 2"), (3, "skier 1")]
        five = s.read_labels(5)
        assert (five[2:5, 2:5] == 1).all() and (five[10:15, 10:20] == 3).all()
        assert (five[15:18, 0:5] == 2).all() and (s.read_labels(2)[10:15, 10:20] == 3).all()


def test_a_merge_cut_short_is_finished_by_the_same_merge(tmp_path, capsys, monkeypatch):
    """It said to finish with --replace, which erases the store's objects on the frames left;
    the same --merge refused the frames it had merged (their objects already there)."""
    import shlex

    store = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(store, VIDEO) as s:
        s.write_objects([ObjectInfo(1, "skier", "object", (0, 0, 0))], ["object"])
        for t in (3, 4, 5):
            mine = np.zeros((20, 30), np.uint32)
            mine[2:5, 2:5] = 1
            s.commit_frame(t, mine, FrameRecord(FrameStatus.CLICKED, {}))
    labels = np.zeros((6, 20, 30), np.uint8)
    labels[3:6, 10:15, 10:20] = 4
    np.save(tmp_path / "l.npy", labels)
    with monkeypatch.context() as patch:
        commit_fails_at(patch, 4, KeyboardInterrupt())
        code, err = run_import(store, tmp_path / "l.npy", capsys, "--merge")
    assert code == 130 and "to merge the frames left" in err and "--replace" not in err
    with AnnotationStore.open(store) as s:
        (problem,) = [p for p in s.problems if "cut short" in p]
    assert "frames 4-5 are left to merge" in problem
    command = problem.split("`")[1]
    assert command.endswith("--merge")
    assert main([*shlex.split(command)[1:], "--quiet"]) == 0, capsys.readouterr().err
    with AnnotationStore.open(store) as s:
        assert not [p for p in s.problems if "cut short" in p]
        for t in (3, 4, 5):
            both = s.read_labels(t)
            assert (both[2:5, 2:5] == 1).all() and (both[10:15, 10:20] == 4).all()
