"""Exports checked against the stored labels: COCO RLE, indexed PNG, numpy; and the CLI."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from napari_skipclick.colors import color_for
from napari_skipclick.io import export_cli
from napari_skipclick.io.export import ExportCancelled, ExportError, export_store
from napari_skipclick.io.store import AnnotationStore, StoreCorruptError
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/gs.mp4", 5, 30, 40, 24.0, "fp-export")
OBJECTS = [
    ObjectInfo(1, "skis", "ski", (200, 10, 10)),
    ObjectInfo(2, "poles", "pole", (10, 200, 10)),
    ObjectInfo(3, "skier", "person", (10, 10, 200)),
]


def labels_for(t: int, ids=(1, 2, 3)) -> np.ndarray:
    rng = np.random.default_rng(t)
    labels = np.zeros((30, 40), np.uint32)
    for oid in ids:
        y, x = rng.integers(0, 20), rng.integers(0, 30)
        labels[y : y + rng.integers(3, 10), x : x + rng.integers(3, 10)] = oid
    labels[rng.random((30, 40)) < 0.02] = ids[-1]  # scattered pixels: holes and islands
    return labels


@pytest.fixture
def store(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "gs.zarr", VIDEO) as s:
        s.write_objects(OBJECTS, ["person", "ski", "pole"])
        s.commit_frame(0, labels_for(0), FrameRecord(FrameStatus.REVIEWED, {}))
        s.commit_frame(2, labels_for(2), FrameRecord(FrameStatus.PROPAGATED, {}))
        s.commit_frame(3, np.zeros((30, 40), np.uint32), FrameRecord(FrameStatus.REVIEWED, {}))
        s.commit_frame(
            4, labels_for(4, ids=(3, 9)), FrameRecord(FrameStatus.CLICKED, {})
        )  # 9: no object
    return AnnotationStore.open(tmp_path / "gs.zarr")


def export_coco(store, out, **options):
    return export_store(store, "coco", out, with_images=False, **options)


def export_png(store, out, **options):
    return export_store(store, "png", out, **options)


def export_numpy(store, out, **options):
    return export_store(store, "numpy", out, **options)


def test_coco_rle_decodes_to_the_labels(store, tmp_path):
    [path] = export_coco(store, tmp_path / "coco")
    doc = json.loads(path.read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    assert [c["name"] for c in doc["categories"]] == ["person", "ski", "pole", "unlabelled"]
    assert [im["frame_index"] for im in doc["images"]] == [0, 2, 3, 4]
    seen = set()
    frame_of = {im["id"]: im["frame_index"] for im in doc["images"]}
    for ann in doc["annotations"]:
        t = frame_of[ann["image_id"]]
        mask = mask_utils.decode(ann["segmentation"])
        np.testing.assert_array_equal(mask.astype(bool), store.read_labels(t) == ann["object_id"])
        assert ann["area"] == mask.sum() and ann["iscrowd"] == 0
        x, y, w, h = ann["bbox"]
        ys, xs = np.nonzero(mask)
        assert (x, y) == (xs.min(), ys.min())
        assert (w, h) == (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        expected = {1: "ski", 2: "pole", 3: "person", 9: "unlabelled"}[ann["object_id"]]
        assert names[ann["category_id"]] == expected
        seen.add((t, ann["object_id"]))
    assert seen == {(0, 1), (0, 2), (0, 3), (2, 1), (2, 2), (2, 3), (4, 3), (4, 9)}
    coco = COCO(str(path))  # the reference API loads it
    assert len(coco.getAnnIds(imgIds=[1])) == 3 and coco.getImgIds() == [1, 2, 3, 4]
    assert doc["images"][1]["file_name"] == "images/000002.jpg"
    assert doc["info"]["videos"][0]["video"]["fingerprint"] == VIDEO.fingerprint
    assert doc["info"]["videos"][0]["frame_statuses"] == {
        "clicked": 1,
        "propagated": 1,
        "reviewed": 2,
    }


def test_png_palette_indices_are_the_ids(store, tmp_path):
    written = export_png(store, tmp_path / "png", statuses=["reviewed", "propagated"])
    assert [p.name for p in written] == ["000000.png", "000002.png", "000003.png", "objects.json"]
    assert not (tmp_path / "png" / "images").exists()  # png: labels only unless asked
    for t in (0, 2, 3):
        image = Image.open(tmp_path / "png" / "labels" / f"{t:06d}.png")
        assert image.mode == "P"
        np.testing.assert_array_equal(np.array(image), store.read_labels(t))
        palette = np.array(image.getpalette()[: 3 * 4]).reshape(4, 3)
        assert [tuple(c) for c in palette[1:]] == [color_for(o.id) for o in OBJECTS]
    meta = json.loads((tmp_path / "png" / "objects.json").read_text())
    assert meta["png_mode"] == "palette"
    assert [f["frame"] for f in meta["frames"]] == [0, 2, 3]
    assert meta["info"]["statuses_included"] == ["reviewed", "propagated"]
    assert meta["objects"][2] == {
        "id": 3,
        "name": "skier",
        "class_name": "person",
        "color": [10, 10, 200],
        "category_id": 1,
        "video": "gs",
    }


def test_png_falls_back_to_16_bit_for_large_ids(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as s:
        s.commit_frame(1, labels_for(1, ids=(5, 300, 65535)), FrameRecord(FrameStatus.CLICKED, {}))
        s.commit_frame(2, labels_for(2, ids=(70000,)), FrameRecord(FrameStatus.CLICKED, {}))
        export_png(s, tmp_path / "png", frames=[1])
        image = Image.open(tmp_path / "png" / "labels" / "000001.png")
        assert image.mode.startswith("I")
        np.testing.assert_array_equal(np.array(image), s.read_labels(1))
        with pytest.raises(ExportError, match="70000"):
            export_png(s, tmp_path / "png2")


def test_numpy_equals_the_labels(store, tmp_path):
    export_numpy(store, tmp_path / "np")
    labels = np.load(tmp_path / "np" / "labels.npy")
    frames = np.load(tmp_path / "np" / "frames.npy")
    assert labels.dtype == np.uint32 and frames.tolist() == [0, 2, 3, 4]
    for i, t in enumerate(frames):
        np.testing.assert_array_equal(labels[i], store.read_labels(int(t)))
    assert not list((tmp_path / "np").glob(".skipclick-export-*"))  # no stage left


def test_existing_export_is_kept_and_cancel_cleans_up(store, tmp_path):
    export_numpy(store, tmp_path / "np")
    with pytest.raises(ExportError, match="already holds"):
        export_numpy(store, tmp_path / "np")
    export_numpy(store, tmp_path / "np", overwrite=True)
    calls = []
    with pytest.raises(ExportCancelled):
        export_png(
            store,
            tmp_path / "png",
            progress=lambda d, n: calls.append((d, n)),
            cancel=lambda: len(calls) >= 2,
        )
    assert calls == [(1, 4), (2, 4)]
    assert not list((tmp_path / "png").rglob("*.png"))
    with pytest.raises(ValueError, match="unknown export format"):
        export_store(store, "tiff", tmp_path / "x")


def cli(argv: list[str]) -> int:
    """``skipclick export ARGV`` through the subcommand module (as ``cli.main`` dispatches)."""
    parser = argparse.ArgumentParser(prog="skipclick export")
    export_cli.configure(parser)
    return export_cli.run(parser.parse_args(argv))


def test_cli_export(store, tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        cli([str(store.path), "--format", "coco", str(out), "--frames", "0-2", "--no-images"]) == 0
    )
    captured = capsys.readouterr()
    assert str(out / "annotations.json") in captured.out
    assert "export coco" in captured.err  # progress on stderr
    doc = json.loads((out / "annotations.json").read_text())
    assert [im["frame_index"] for im in doc["images"]] == [0, 2]
    assert cli([str(store.path), "--format", "numpy", str(tmp_path / "end"), "--frames", "3-"]) == 0
    assert np.load(tmp_path / "end" / "frames.npy").tolist() == [3, 4]  # to the video's end
    assert cli([str(tmp_path / "nowhere"), "--format", "png", str(out)]) == 1
    assert "nowhere does not exist" in capsys.readouterr().err
    (tmp_path / "photos").mkdir()
    assert cli([str(tmp_path / "photos"), "--format", "png", str(out)]) == 1
    assert "photos is not a napari-skipclick store" in capsys.readouterr().err
    clicked = tmp_path / "clicked"
    assert cli([str(store.path), "--format", "numpy", str(clicked), "--status", "clicked"]) == 0
    assert np.load(clicked / "frames.npy").tolist() == [4]
    with pytest.raises(SystemExit):
        cli([str(store.path), "--format", "numpy", str(clicked), "--frames", "a-b"])


def test_cli_module_is_light():
    code = (
        "import sys, napari_skipclick.io.export_cli; "
        "print(any(m in sys.modules for m in ('torch', 'napari', 'zarr', 'qtpy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_failed_export_leaves_nothing(store, tmp_path, monkeypatch):
    chunk = store.chunk_path(2)
    good = chunk.read_bytes()
    chunk.write_bytes(good[:-7])
    with pytest.raises(StoreCorruptError, match=r"c\.2\.0\.0"):
        export_png(store, tmp_path / "png")
    assert not (tmp_path / "png").exists()  # nor the folder it made
    (tmp_path / "kept").mkdir()
    with pytest.raises(StoreCorruptError):
        export_png(store, tmp_path / "kept")
    assert (tmp_path / "kept").is_dir() and not list((tmp_path / "kept").iterdir())
    chunk.write_bytes(good)

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", full)
    with pytest.raises(ExportError, match="No space left"):
        export_numpy(store, tmp_path / "np")
    monkeypatch.undo()
    assert not (tmp_path / "np").exists()
    export_numpy(store, tmp_path / "np")  # and the retry works
    assert np.load(tmp_path / "np" / "frames.npy").tolist() == [0, 2, 3, 4]


def test_an_overwrite_replaces_the_earlier_export_only_once_it_is_done(store, tmp_path):
    """A failed or cancelled ``--overwrite`` deleted the earlier export's files it had begun
    to replace (annotations.json listing images that were gone); a complete one left the
    frames it no longer held (Ultralytics trained on frames left out on purpose)."""
    out = tmp_path / "yolo"
    export_store(store, "yolo-seg", out, with_images=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert len([p for p in before if p.parts[0] == "labels"]) == 4
    calls = []
    with pytest.raises(ExportCancelled):
        export_store(
            store, "yolo-seg", out, with_images=False, overwrite=True,
            progress=lambda d, n: calls.append(d), cancel=lambda: len(calls) >= 2,
        )  # fmt: skip
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the earlier export whole, nothing of the cancelled one
    export_store(store, "yolo-seg", out, with_images=False, overwrite=True, frames=[0, 2])
    assert sorted(p.name for p in (out / "labels").iterdir()) == ["000000.txt", "000002.txt"]
    # no stage left; the record of what the export wrote
    assert sorted(p.name for p in out.iterdir()) == [
        ".skipclick-export.json",
        "data.yaml",
        "labels",
        "objects.json",
    ]


@pytest.mark.parametrize(
    ("first", "second", "stale"),
    [
        ("coco", "coco", ["annotations_train.json", "annotations_val.json"]),
        ("numpy", "numpy", ["train_labels.npy", "val_labels.npy", "val_frames.npy"]),
        ("coco", "png", ["annotations_train.json"]),
    ],
)
def test_an_overwrite_takes_the_earlier_exports_other_files_with_it(
    store, tmp_path, first, second, stale
):
    """An export with a train/val split overwritten by one without left
    ``annotations_train.json`` and ``train_labels.npy`` beside the new export, naming frames
    it no longer held: a training script read the old split."""
    out = tmp_path / "out"
    export_store(store, first, out, with_images=False, split={"train": 0.5, "val": 0.5})
    assert all((out / name).exists() for name in stale)
    with pytest.raises(ExportError, match="already holds"):  # not a word said before
        export_store(store, second, out, with_images=False, frames=[0, 2])
    export_store(store, second, out, with_images=False, frames=[0, 2], overwrite=True)
    assert not [name for name in stale if (out / name).exists()]
    (out / "notes.txt").write_text("mine")  # not the export's: never touched
    export_store(store, second, out, with_images=False, frames=[0], overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_numpy_export_onto_a_full_disk_fails_with_a_message(store, tmp_path, monkeypatch):
    """Its memory map was written onto a full disk: the process died (SIGBUS), the widget's
    napari with it. The file's blocks are taken first, so a full disk is an error."""

    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.posix_fallocate", full, raising=False)
    with pytest.raises(ExportError, match="No space left"):
        export_numpy(store, tmp_path / "np")
    assert not (tmp_path / "np").exists()


def test_skipclick_export_dispatch(store, tmp_path):
    from napari_skipclick.cli import main

    assert main(["export", str(store.path), "--format", "png", str(tmp_path / "o"), "--quiet"]) == 0
    assert (tmp_path / "o" / "labels" / "000004.png").is_file()


def test_ctrl_c_says_so_in_one_line_and_leaves_nothing(store, tmp_path, capsys, monkeypatch):
    """It printed a KeyboardInterrupt traceback."""
    from napari_skipclick.cli import main
    from napari_skipclick.io.export.run import ExportRun

    def ctrl_c(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExportRun, "step", ctrl_c)
    out = tmp_path / "o"
    try:
        code = main(["export", str(store.path), "--format", "png", str(out), "--quiet"])
    except KeyboardInterrupt:  # out of skipclick: the traceback
        code = None
    assert (code, capsys.readouterr().err) == (130, "skipclick export: interrupted\n")
    assert not out.exists()


def test_yolo_data_yaml_is_found_from_any_folder_and_names_each_split(store, tmp_path):
    """Ultralytics takes the yaml's own folder as the root when it has no ``path`` (``path: .``
    is the folder training runs from); ``val`` is a split of its own wherever there is one."""
    import yaml

    out = tmp_path / "plain"
    export_store(store, "yolo-seg", out, with_images=False)
    text = (out / "data.yaml").read_text()
    data = yaml.safe_load(text)
    assert "path" not in data and data["train"] == data["val"] == "images"
    assert "# :" not in text
    out = tmp_path / "ab"
    export_store(store, "yolo-seg", out, with_images=False, split="a=0.5,b=0.5", seed=1)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"]) == ("images/a", "images/b")
    # no split to train on: train and val were both images/val, without a word
    out = tmp_path / "valtest"
    with pytest.raises(ExportError, match=r"the splits val, test leave no images to train on"):
        export_store(store, "yolo-seg", out, with_images=False, split="val=0.5,test=0.5")
    assert not out.exists()
    export_store(store, "yolo-seg", out, with_images=False, split="val=0.5,b=0.5", seed=1)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"]) == ("images/b", "images/val")
    for file in (out / "labels").rglob("*.txt"):  # objects on the image's edge: still 0..1
        for line in file.read_text().splitlines():
            xy = np.asarray(line.split()[1:], float)
            assert xy.min() >= 0 and xy.max() <= 1


def test_the_default_class_no_object_has_is_not_exported(tmp_path):
    """Classes added in the widget come after a new store's default *object*: COCO and YOLO
    got a category and class 0 that nothing is labelled with; one an object has stays."""
    import yaml

    for owner in ("skier", "object"):
        path = tmp_path / f"{owner}.zarr"
        with AnnotationStore.open_or_create(path, VIDEO) as s:
            s.write_objects([ObjectInfo(1, "a", owner, (200, 10, 10))], ["object", "skier"])
            s.commit_frame(0, labels_for(0, ids=(1,)), FrameRecord(FrameStatus.REVIEWED, {}))
        store = AnnotationStore.open(path)
        [coco] = export_coco(store, tmp_path / f"coco-{owner}")
        doc = json.loads(coco.read_text())
        expected = ["skier"] if owner == "skier" else ["object", "skier"]
        assert [c["name"] for c in doc["categories"]] == expected
        names = {c["id"]: c["name"] for c in doc["categories"]}
        assert {names[a["category_id"]] for a in doc["annotations"]} == {owner}
        out = tmp_path / f"yolo-{owner}"
        export_store(store, "yolo-seg", out, with_images=False)
        data = yaml.safe_load((out / "data.yaml").read_text())
        assert list(data["names"].values()) == expected


def test_exports_that_would_mislead_are_refused(store, tmp_path, capsys):
    """A store given twice, frames past the video's end, a choice that matches no frame, a split
    that gets no frame and a range written backwards: each says why, and nothing is written."""
    out = tmp_path / "out"
    cases = {
        "given twice": [str(store.path), str(store.path)],
        "--frames 2-7 is out of range: the video has 5 frames (0 to 4)": ["--frames", "2-7"],
        # it said "nothing to export: no annotated frame": the open range came to no frame;
        # then "frames [8] are past the end": not the range written
        "--frames 8- is out of range: the video has 5 frames (0 to 4)": ["--frames", "8-"],
        "nothing to export: no annotated frame among the frames": ["--frames", "1"],
        "split 'val' would get no frames": ["--split", "train=0.8,val=0.2", "--split-by", "video"],
    }
    for words, extra in cases.items():
        args = [*extra, str(out)] if words == "given twice" else [str(store.path), str(out), *extra]
        assert cli([*args, "--format", "numpy"]) == 1, words
        err = capsys.readouterr().err
        assert words in err
        assert "export numpy" not in err  # no empty progress bar before the refusal
        assert not out.exists()
    with pytest.raises(SystemExit):
        cli([str(store.path), "--format", "numpy", str(out), "--frames", "5-2"])
    assert "--frames: 5-2 runs backwards: write it as 2-5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli([str(store.path), "--format", "coco", str(out), "--quality", "0"])
    assert "JPEG quality is an integer in 1..100, not '0'" in capsys.readouterr().err
    assert cli([str(store.path), "--format", "numpy", str(out)]) == 0
    assert cli([str(store.path), "--format", "numpy", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err


def test_two_stores_of_one_video_are_not_exported_as_two_videos(store, tmp_path, capsys):
    """They were named "A" and "A-2": the same frames went into train and val with other
    labels, without a word."""
    import shutil

    copy = tmp_path / "second.zarr"
    shutil.copytree(store.path, copy)
    out = tmp_path / "out"
    assert cli([str(store.path), str(copy), str(out), "--format", "numpy"]) == 1
    assert "annotate the same video" in capsys.readouterr().err and not out.exists()


def test_videos_are_named_after_their_clip_not_a_generic_frame_folder(tmp_path):
    from napari_skipclick.io.export.common import video_names

    stores = []
    for k, path in enumerate(["/data/hockey/frames", "/data/tennis/frames", "/v/run1.mp4"]):
        video = VideoInfo(path, 2, 30, 40, 25.0, f"fp-{k}")
        stores.append(AnnotationStore.open_or_create(tmp_path / f"{k}.zarr", video))
    try:
        assert video_names(stores) == ["hockey", "tennis", "run1"]
        labels = np.zeros((30, 40), np.uint32)
        labels[3:9, 4:12] = 1
        for store in stores:
            store.commit_frame(1, labels, FrameRecord(FrameStatus.CLICKED, {}))
        export_store(stores, "png", tmp_path / "png")
        names = sorted(
            p.relative_to(tmp_path / "png" / "labels")
            for p in (tmp_path / "png" / "labels").rglob("*.png")
        )
        assert [p.parts[0] for p in names] == ["hockey", "run1", "tennis"]
    finally:
        for store in stores:
            store.close()


def test_a_video_given_that_is_not_the_annotated_one_is_warned_of(tmp_path, capsys, monkeypatch):
    """``--video`` of the same size but another file (another clip, or the same frames encoded
    again: no way to tell) exports with a warning; a moved copy of the file, without one."""
    import shutil

    from napari_skipclick.io import open_video

    def folder(name: str, level: int):
        path = tmp_path / name
        path.mkdir()
        for t in range(5):
            Image.fromarray(np.full((30, 40, 3), level + t, np.uint8)).save(path / f"{t}.png")
        return path

    annotated, other = folder("clip", 10), folder("other", 90)
    with open_video(annotated) as video:
        info = video.info
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", info) as s:
        s.commit_frame(1, labels_for(1), FrameRecord(FrameStatus.CLICKED, {}))
    moved = tmp_path / "moved"
    shutil.copytree(annotated, moved)
    store = str(tmp_path / "s.zarr")
    assert (
        cli([store, str(tmp_path / "a"), "--format", "png", "--with-images", "--video", str(moved)])
        == 0
    )
    assert "warning" not in capsys.readouterr().err
    assert (
        cli([store, str(tmp_path / "b"), "--format", "png", "--with-images", "--video", str(other)])
        == 0
    )
    assert "is not the folder of photos s.zarr was annotated on" in capsys.readouterr().err
    from napari_skipclick.io import video as video_module

    opened = []
    real_open = video_module.open_video
    monkeypatch.setattr(
        video_module, "open_video", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k)
    )
    cli([store, str(tmp_path / "c"), "--format", "png", "--with-images", "--video", str(other)])
    assert opened == [str(other)]  # once: its long index is not scanned twice


def test_a_damaged_object_list_is_named_once(store, tmp_path, capsys):
    (store.path / "objects.json").write_text("{bad")
    assert cli([str(store.path), str(tmp_path / "out"), "--format", "numpy"]) == 1
    err = capsys.readouterr().err
    assert err.count("objects.json") == 1 and "damaged" in err
    assert "error: the damage named above stops it" in err
    assert not (tmp_path / "out").exists()


def test_a_moved_video_is_named_with_the_option_that_gives_its_new_place(tmp_path, capsys):
    """The refusal said "give the video's new place" without naming --video."""
    path = tmp_path / "moved.zarr"
    with AnnotationStore.open_or_create(
        path, VideoInfo("/gone/run.mp4", 5, 30, 40, 25.0, "fp")
    ) as s:
        s.commit_frame(1, labels_for(1), FrameRecord(FrameStatus.CLICKED, {}))
    assert cli([str(path), str(tmp_path / "out"), "--format", "coco"]) == 1
    err = capsys.readouterr().err
    assert "cannot read the frames of moved.zarr from /gone/run.mp4" in err
    assert (
        "if it moved, give its new place (--video), or export without images (--no-images)" in err
    )
    assert not (tmp_path / "out").exists()


def test_images_come_from_the_frames_given_and_a_store_without_a_video_says_so(tmp_path):
    """A store saved from a plain labels layer records no video: its export with images is
    refused with the reason (it read whatever images the working folder held); frames
    given as an array (the widget's session) are written as they are."""
    path = tmp_path / "plain.zarr"
    with AnnotationStore.open_or_create(path, VideoInfo.of_labels(5, 30, 40)) as s:
        s.commit_frame(1, labels_for(1), FrameRecord(FrameStatus.CLICKED, {}))
    with pytest.raises(ExportError, match=r"records no video file .* give the video"):
        export_store(path, "coco", tmp_path / "c1")
    assert not (tmp_path / "c1").exists()
    frames = np.random.default_rng(0).integers(0, 256, (5, 30, 40, 3), dtype=np.uint8)
    export_store(
        path,
        "png",
        tmp_path / "c2",
        with_images=True,
        image_format="png",
        videos={str(path): frames},
    )
    (image,) = (tmp_path / "c2" / "images").glob("*.png")
    np.testing.assert_array_equal(np.asarray(Image.open(image)), frames[1])


def test_an_export_never_writes_into_a_store(store, tmp_path, capsys):
    """``export a.zarr b.zarr --format png --overwrite`` (the output folder forgotten) made
    the second store the output: its labels array was replaced by PNGs, and it said done."""
    import shutil

    other = tmp_path / "b.zarr"
    shutil.copytree(store.path, other)
    before = {p.relative_to(other) for p in other.rglob("*")}
    for out in (other, other / "exports", store.path):
        assert cli([str(store.path), str(out), "--format", "png", "--overwrite"]) == 1
        assert "an export never writes into a store" in capsys.readouterr().err
    assert {p.relative_to(other) for p in other.rglob("*")} == before
    with AnnotationStore.open(other) as kept:
        np.testing.assert_array_equal(kept.read_labels(0), labels_for(0))
    with pytest.raises(ExportError, match="is a SkipClick annotation store"):
        export_numpy(store, store.path, overwrite=True)


def test_yolo_class_names_past_the_basic_plane_read_back(store, tmp_path):
    """An emoji in a class name was written as a JSON surrogate pair, which YAML reads as two
    broken characters (or refuses): the import of the export then failed."""
    import yaml

    from napari_skipclick.io.label_instances import yolo_source

    names = ["滑雪者 🎿", 'a "quoted" \\ name', "ski"]
    objects = [ObjectInfo(o.id, o.name, n, o.color) for o, n in zip(OBJECTS, names, strict=True)]
    with AnnotationStore.open_or_create(tmp_path / "e.zarr", VIDEO) as s:
        s.write_objects(objects, names)
        s.commit_frame(0, labels_for(0), FrameRecord(FrameStatus.REVIEWED, {}))
    out = tmp_path / "yolo"
    export_store(tmp_path / "e.zarr", "yolo-seg", out, with_images=False)
    text = (out / "data.yaml").read_text(encoding="utf-8")
    assert list(yaml.safe_load(text)["names"].values()) == names
    assert yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["names"][0]
    assert yolo_source(out, (30, 40)).classes == names


@pytest.mark.parametrize("key", ["gs.zarr", "relative Path", "absolute"])
def test_videos_are_keyed_by_the_store_path_as_given(store, tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    key = {"gs.zarr": "gs.zarr", "relative Path": Path("gs.zarr")}.get(key, tmp_path / "gs.zarr")
    frames = np.random.default_rng(0).integers(0, 255, (5, 30, 40, 3), dtype=np.uint8)
    export_store(
        "gs.zarr", "png", "out", with_images=True, image_format="png", videos={key: frames}
    )
    np.testing.assert_array_equal(np.array(Image.open("out/images/000002.png")), frames[2])
    with pytest.raises(ExportError, match=r"other\.zarr, which is none of the stores"):
        export_store("gs.zarr", "png", "out2", with_images=True, videos={"other.zarr": frames})
    assert not (tmp_path / "out2").exists()


def test_python_callers_give_one_status_or_the_frames_as_text(store, tmp_path):
    """``statuses="reviewed"`` said *'r' is not a valid FrameStatus*, ``frames="0-3"`` raised
    a TypeError."""
    from napari_skipclick.io.dataset import SkipClickDataset

    export_numpy(store, tmp_path / "a", statuses="reviewed", frames="0-3")
    assert np.load(tmp_path / "a" / "frames.npy").tolist() == [0, 3]
    export_numpy(store, tmp_path / "b", frames="2-")
    assert np.load(tmp_path / "b" / "frames.npy").tolist() == [2, 3, 4]
    assert SkipClickDataset(store, statuses="reviewed", frames="0-3").frames == [0, 3]
    with pytest.raises(ValueError, match=r"statuses are among clicked, .*; not 'revewed'"):
        export_numpy(store, tmp_path / "c", statuses="revewed")
    with pytest.raises(ValueError, match="frames: must look like 0-10,15"):
        export_numpy(store, tmp_path / "c", frames="first three")
    assert not (tmp_path / "c").exists()


def test_a_damaged_object_list_stops_an_export_saying_the_way_forward(store, tmp_path, capsys):
    """It said only *the damage named above stops it*."""
    (store.path / "objects.json").write_text('{"objects": [')
    assert cli([str(store.path), str(tmp_path / "o"), "--format", "png", "--quiet"]) == 1
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith("skipclick export: error: the damage named above stops it. Open")
    assert "Open gs.zarr for annotation" in error
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--format", "png", "--image-format", "png"], "--image-format choose how images"),
        (["--format", "numpy", "--quality", "50"], "(numpy without --with-images)"),
        (["--format", "coco", "--no-images", "--quality", "50"], "writes none (--no-images)"),
        (["--format", "coco", "--image-format", "png", "--quality", "5"], "PNG images are"),
    ],
)
def test_image_options_an_export_would_not_use_are_refused(store, tmp_path, capsys, options, said):
    """They were ignored without a word: no images, or a PNG's quality."""
    assert cli([str(store.path), str(tmp_path / "o"), *options, "--quiet"]) == 1
    assert said in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_frames_of_another_length_are_refused_saying_labels_export_without_images(store, tmp_path):
    trimmed = np.zeros((3, 30, 40, 3), np.uint8)
    with pytest.raises(ExportError, match=r"holds 3 frames .*\(--no-images\) to write the labels"):
        export_store(store, "coco", tmp_path / "o", videos={store.path: trimmed})
    export_store(store, "coco", tmp_path / "o", with_images=False, videos={store.path: trimmed})


def test_frames_turned_a_quarter_are_said_in_one_order_with_the_store_size(store, tmp_path):
    """The shape (height first) beside the store's size (width first) read as the same size:
    "(1, 480, 640, 3) … 1 frames of 480x640"."""
    v = store.video
    turned = np.zeros((v.n_frames, v.width, v.height, 3), np.uint8)
    with pytest.raises(ExportError) as refused:
        export_store(store, "coco", tmp_path / "o", videos={store.path: turned})
    said = str(refused.value)
    given, annotated = f"of {v.height}x{v.width} (width x height)", f"of {v.width}x{v.height} ("
    assert given in said and annotated in said.split("annotated on")[1]
    assert "turned a quarter" in said and not (tmp_path / "o").exists()
