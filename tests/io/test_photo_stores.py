"""Stores of photos, a folder's or one photo's: a folder changed since it was annotated
(exported with a warning, refused with what changed), stores of one photo each (split as one
pool)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.io import open_video
from napari_skipclick.io.export import ExportError, export_store
from napari_skipclick.io.export_cli import run
from napari_skipclick.io.label_sources import LabelsImportError, read_labels_source
from napari_skipclick.io.labels_import import import_labels
from napari_skipclick.io.store import AnnotationStore, StoreMismatchError
from napari_skipclick.types import FrameRecord, FrameStatus

H, W = 24, 32


def photos(folder, names):
    """A folder of photos, ``names`` in order, each a flat grey of its own level."""
    folder.mkdir()
    for k, name in enumerate(names):
        Image.fromarray(np.full((H, W, 3), 20 * k, np.uint8)).save(folder / name)
    return folder


def annotated(tmp_path, source, name="s.zarr"):
    """A store ``name`` of ``source`` with its last frame annotated; returns its path."""
    with open_video(source) as video:
        info = video.info
    labels = np.zeros((H, W), np.uint32)
    labels[4:9, 5:12] = 1
    with AnnotationStore.open_or_create(tmp_path / name, info) as store:
        store.commit_frame(info.n_frames - 1, labels, FrameRecord(FrameStatus.CLICKED, {}))
    return tmp_path / name


def made_before(store, info):
    """Make ``store`` one made before a photo's fingerprint lost its file name: its manifest
    records the old form (``info.former``)."""
    [old] = info.former
    manifest = json.loads((store / "skipclick.json").read_text())
    manifest["video"]["fingerprint"] = old
    (store / "skipclick.json").write_text(json.dumps(manifest))


def cli(*argv) -> int:
    import argparse

    from napari_skipclick.io.export_cli import configure

    parser = argparse.ArgumentParser()
    configure(parser)
    return run(parser.parse_args([str(a) for a in argv]))


def test_a_folder_whose_photo_was_renamed_exports_with_a_warning(tmp_path, capsys):
    """``mv IMG_9.jpg IMG_99.jpg`` in an annotated folder: the export paired IMG_9's mask
    with IMG_10, silently; the store's own folder is now checked as a folder given is."""
    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg"])
    store = annotated(tmp_path, folder)
    assert cli(store, tmp_path / "a", "--format", "coco") == 0
    assert "warning" not in capsys.readouterr().err  # unchanged: no warning
    (folder / "IMG_9.jpg").rename(folder / "IMG_99.jpg")
    assert cli(store, tmp_path / "b", "--format", "coco") == 0
    err = capsys.readouterr().err
    assert "is not the folder of photos s.zarr was annotated on" in err
    assert "a frame may now be another photo than the one annotated" in err
    with pytest.warns(UserWarning, match="a frame may now be another photo"):
        export_store(AnnotationStore.open(store, readonly=True), "coco", tmp_path / "c")


def test_a_frame_split_divides_the_frames_of_several_single_photo_stores(tmp_path):
    """One store per photo (photos of different sizes), ``--split`` by frames: every store
    was split alone with one seed, each photo went to train and the export failed, "the
    split 'val' would get no frames"."""
    folder = photos(tmp_path / "photos", [f"IMG_{k}.jpg" for k in range(10)])
    stores = [annotated(tmp_path, folder / f"IMG_{k}.jpg", f"{k}.zarr") for k in range(10)]
    out = tmp_path / "out"
    export_store(stores, "coco", out, with_images=False, split="train=0.8,val=0.2")
    counts = {
        name: len(json.loads((out / f"annotations_{name}.json").read_text())["images"])
        for name in ("train", "val")
    }
    assert counts == {"train": 8, "val": 2}


def test_photos_added_after_the_last_grow_the_store_and_say_so_once(tmp_path):
    """A photo added to an annotated folder stranded the store: "take them out the 1
    photo(s)", and every export of it failed on the shape."""
    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg"])
    store = annotated(tmp_path, folder)
    with AnnotationStore.open(store) as before:
        kept = before.read_labels(2)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_11.jpg")
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_12.jpg")
    with pytest.raises(ExportError) as refused:  # before: opened read-only, not grown
        export_store(AnnotationStore.open(store), "coco", tmp_path / "early")
    assert "2 photos new in the folder since (IMG_11.jpg, IMG_12.jpg): opening the store" in str(
        refused.value
    )
    with open_video(folder) as video:
        info = video.info
    with AnnotationStore.open_or_create(store, info) as grown:
        assert grown.video.n_frames == 5 and grown.video.fingerprint == info.fingerprint
        assert grown.taken_in == [
            "2 photos new in the folder, taken in as frames 3-4: IMG_11.jpg, IMG_12.jpg"
        ]
        assert grown.repairs == grown.problems == []  # news, not a repair
        np.testing.assert_array_equal(grown.read_labels(2), kept)
        assert not grown.read_labels(4).any()
        grown.commit_frame(4, kept, FrameRecord(FrameStatus.CLICKED, {}))
    files = json.loads((store / "frame_files.json").read_text())
    assert files["files"][3:] == ["IMG_11.jpg", "IMG_12.jpg"]
    assert files["fingerprint"] == info.fingerprint
    with AnnotationStore.open_or_create(store, info) as again:
        assert again.taken_in == [] and set(again.statuses()) == {2, 4}
    export_store(AnnotationStore.open(store), "coco", tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert [im["original_file_name"] for im in doc["images"]] == ["IMG_10.jpg", "IMG_12.jpg"]


def test_a_crash_while_the_store_grows_leaves_it_growing_again(tmp_path):
    """Cut short after the labels array grew, before the manifest: the next opening grows it
    as if nothing happened; a store opened with its folder as it was is what it was."""
    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg"])
    store = annotated(tmp_path, folder)
    with open_video(folder) as video:
        old = video.info
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_11.jpg")
    with open_video(folder) as video:
        info = video.info
    manifest, files = (store / "skipclick.json").read_bytes(), store / "frame_files.json"
    names = files.read_bytes()
    with AnnotationStore.open_or_create(store, info):
        pass
    (store / "skipclick.json").write_bytes(manifest)  # the manifest never written, nor the names
    files.write_bytes(names)
    with AnnotationStore.open_or_create(store, info) as grown:
        assert grown.video.n_frames == 3 and grown.taken_in[0].startswith("1 photo new")
    (store / "skipclick.json").write_bytes(manifest)
    files.write_bytes(names)
    (folder / "IMG_11.jpg").unlink()
    with AnnotationStore.open_or_create(store, old) as back:
        assert back.video.n_frames == 2 and back.statuses() == {1: FrameStatus.CLICKED}


def test_a_folder_with_photos_gone_or_added_between_is_refused_naming_them(tmp_path):
    """The refusal said "take them out the 1 photo(s)" and "belongs to another video: /x …
    not /x", and named no photo though the store records their names."""
    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg"])
    store = annotated(tmp_path, folder)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_5.jpg")
    with open_video(folder) as video, pytest.raises(StoreMismatchError) as refused:
        AnnotationStore.open_or_create(store, video.info)
    said = str(refused.value)
    assert "1 photo new: IMG_5.jpg" in said and "to sort after IMG_10.jpg" in said
    assert said.count(str(folder)) == 1 and "napari's own reader" not in said
    for name in ("IMG_5.jpg", "IMG_3.jpg"):
        (folder / name).unlink()
    with open_video(folder) as video, pytest.raises(StoreMismatchError) as refused:
        AnnotationStore.open_or_create(store, video.info)
    said = str(refused.value)
    assert "1 photo annotated was taken out: IMG_3.jpg" in said and "Put the photos back" in said
    assert said.count(str(folder)) == 1
    assert AnnotationStore.open(store).video.n_frames == 3  # nothing written


def test_a_renamed_photo_keeps_its_store_and_old_stores_still_open(tmp_path, capsys):
    """``mv photo.jpg photo_renamed.jpg`` orphaned the photo's store: its fingerprint held
    the file name. A store made before (the name in its fingerprint) still opens, and is
    written with the fingerprint of now."""
    folder = photos(tmp_path / "photos", ["photo.jpg"])
    store = annotated(tmp_path, folder / "photo.jpg")
    (folder / "photo.jpg").rename(folder / "photo_renamed.jpg")
    with open_video(folder / "photo_renamed.jpg") as video:
        info = video.info
    with AnnotationStore.open_or_create(store, info) as opened:
        assert opened.annotated_frames() == [0]
    made_before(store, info)
    assert cli(store, tmp_path / "out", "--format", "coco") == 0
    assert "warning" not in capsys.readouterr().err  # the same photo
    with AnnotationStore.open_or_create(store, info) as opened:
        assert opened.annotated_frames() == [0]
    assert json.loads((store / "skipclick.json").read_text())["video"]["fingerprint"] == (
        info.fingerprint
    )
    assert "former" not in json.loads((store / "skipclick.json").read_text())["video"]


def _import(store, export):
    """Import the PNG export ``export`` into ``store``, replacing what it holds."""
    with AnnotationStore.open(store, readonly=False) as opened:
        import_labels(opened, read_labels_source(export / "labels", (H, W)), replace=True)


def test_a_photo_store_made_before_is_known_as_that_photo_s_by_export_and_import(tmp_path):
    """A store made before a photo's fingerprint lost its file name (the old form) and one
    made after were compared as fingerprints: export took both (the photo twice), import
    refused the old store's export as "labels of another video"."""
    folder = photos(tmp_path / "photos", ["photo.jpg", "other.jpg"])
    with open_video(folder / "photo.jpg") as video:
        info = video.info
    old, new = annotated(tmp_path, info.path, "old.zarr"), annotated(tmp_path, info.path)
    made_before(old, info)
    both = [AnnotationStore.open(p, readonly=True) for p in (old, new)]
    with pytest.raises(ExportError, match="annotate the same video"):
        export_store(both, "coco", tmp_path / "both", with_images=False)
    for source, target in ((old, new), (new, old)):
        export_store(AnnotationStore.open(source, readonly=True), "png", tmp_path / source.stem)
        _import(target, tmp_path / source.stem)  # the same photo: imported
    # another photo of the same size is still another video
    other = annotated(tmp_path, folder / "other.jpg", "other.zarr")
    with pytest.raises(LabelsImportError, match="holds labels of"):
        _import(other, tmp_path / "old")
    # a record as an export or a layer writes it (JSON) is compared the same way
    from napari_skipclick.io.fingerprints import same_video

    recorded = json.loads((old / "skipclick.json").read_text())["video"]
    assert same_video(info, recorded)
    assert same_video(recorded, AnnotationStore.open(new, readonly=True).video)
    with open_video(folder / "other.jpg") as video:
        assert not same_video(video.info, recorded)


def test_a_photo_renamed_since_a_store_of_the_old_form_was_made_keeps_that_store(tmp_path, capsys):
    """``mv photo.jpg photo_renamed.jpg`` after a store recorded the photo's fingerprint in
    the old form (its name in it): the store was refused as another video's, its labels
    orphaned. The old form made of the renamed photo under the name the store records is the
    store's fingerprint: the same photo."""
    folder = photos(tmp_path / "photos", ["photo.jpg", "other.jpg"])
    with open_video(folder / "photo.jpg") as video:
        made_before(annotated(tmp_path, video.info.path), video.info)
    store = tmp_path / "s.zarr"
    recorded = json.loads((store / "skipclick.json").read_text())["video"]
    (folder / "photo.jpg").rename(folder / "photo_renamed.jpg")
    from napari_skipclick.io.fingerprints import same_video

    with open_video(folder / "photo_renamed.jpg") as video:
        info = video.info
    assert same_video(info, recorded) and same_video(recorded, info)
    # exported with the renamed photo's frames: the photo annotated, no warning
    assert cli(store, tmp_path / "out", "--format", "coco", "--video", info.path) == 0
    assert "warning" not in capsys.readouterr().err
    # another photo, under its own name or the name the store records, is another video
    for name in ("other.jpg", "photo.jpg"):
        (folder / "other.jpg").rename(folder / name)
        with open_video(folder / name) as video:
            assert not same_video(video.info, recorded) and not same_video(recorded, video.info)
            with pytest.raises(StoreMismatchError, match="belongs to another video"):
                AnnotationStore.open_or_create(store, video.info)
        (folder / name).rename(folder / "other.jpg")
    with AnnotationStore.open_or_create(store, info) as opened:
        assert opened.annotated_frames() == [0]
    rewritten = json.loads((store / "skipclick.json").read_text())["video"]
    assert (rewritten["fingerprint"], rewritten["path"]) == (info.fingerprint, info.path)


def test_stores_of_a_photo_from_before_and_after_it_was_renamed_are_not_exported_twice(tmp_path):
    """A store of the old form (the photo's name in its fingerprint) whose photo was renamed
    since, and a store of the renamed photo: export compared the forms read from the files,
    did not know them as one photo's and exported it twice."""
    folder = photos(tmp_path / "photos", ["photo.jpg", "other.jpg"])
    with open_video(folder / "photo.jpg") as video:
        made_before(annotated(tmp_path, video.info.path, "old.zarr"), video.info)
    (folder / "photo.jpg").rename(folder / "photo_renamed.jpg")
    annotated(tmp_path, folder / "photo_renamed.jpg", "new.zarr")
    other = annotated(tmp_path, folder / "other.jpg", "other.zarr")
    for names in (("old", "other", "new"), ("new", "old")):
        stores = [AnnotationStore.open(tmp_path / f"{n}.zarr", readonly=True) for n in names]
        with pytest.raises(ExportError, match="annotate the same video"):
            export_store(stores, "coco", tmp_path / "out", with_images=False)
    # another photo of the same size beside the old store is another video: both exported
    old = AnnotationStore.open(tmp_path / "old.zarr", readonly=True)
    both = [old, AnnotationStore.open(other, readonly=True)]
    export_store(both, "coco", tmp_path / "two", with_images=False)
    assert len(json.loads((tmp_path / "two" / "annotations.json").read_text())["images"]) == 2


def test_labels_exported_before_photos_were_added_import_into_the_grown_folder(tmp_path):
    """An export of the folder as it was, imported into a store of the folder with a photo
    added: "holds labels of /x …, not of /x". Each frame's photo, named in the export, is the
    store's: imported; a photo put before them moves the frames: refused, naming them."""
    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg", "IMG_10.jpg"])
    store = annotated(tmp_path, folder)
    export_store(AnnotationStore.open(store), "png", tmp_path / "old")
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_11.jpg")
    grown = annotated(tmp_path, folder, "grown.zarr")  # frame 3 annotated
    _import(grown, tmp_path / "old")
    with AnnotationStore.open(grown) as opened, AnnotationStore.open(store) as old:
        np.testing.assert_array_equal(opened.read_labels(2), old.read_labels(2))
        assert opened.statuses()[2] == FrameStatus.IMPORTED
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_1.jpg")
    moved = annotated(tmp_path, folder, "moved.zarr")
    with pytest.raises(LabelsImportError, match=r"frame 2 was IMG_10.jpg, is IMG_9.jpg\. Put"):
        _import(moved, tmp_path / "old")


def test_a_check_of_a_folder_with_photos_added_after_says_opening_takes_them_in(tmp_path):
    """``check_same_video`` (a dry run, a restart on the same store) told to name the new
    photos to sort after the last one, which they did."""
    from napari_skipclick.io.store import check_same_video

    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg"])
    store = annotated(tmp_path, folder)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_11.jpg")
    with (
        AnnotationStore.open(store) as opened,
        open_video(folder) as video,
        pytest.raises(StoreMismatchError) as refused,
    ):
        check_same_video(store, opened.video, video.info)
    said = str(refused.value)
    assert "1 photo new: IMG_11.jpg. Opening the store for annotation takes them in" in said
    assert "to sort after" not in said


def test_a_store_that_cannot_be_written_is_not_grown_and_says_why(tmp_path, monkeypatch):
    """A full disk while growing raised a bare OSError out of opening the store."""
    from napari_skipclick.io.store import StoreError, layout

    folder = photos(tmp_path / "same", ["IMG_3.jpg", "IMG_9.jpg"])
    store = annotated(tmp_path, folder)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "IMG_11.jpg")
    with open_video(folder) as video:
        info = video.info

    def full(path, doc):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(layout, "write_json", full)
    with pytest.raises(StoreError, match=r"cannot grow the store .*No space left on device"):
        AnnotationStore.open_or_create(store, info)
    monkeypatch.undo()
    assert AnnotationStore.open(store).video.n_frames == 2
    with AnnotationStore.open_or_create(store, info) as grown:
        assert grown.video.n_frames == 3 and grown.statuses() == {1: FrameStatus.CLICKED}


def test_the_store_keeps_that_its_folder_is_separate_photos(tmp_path):
    """Opened again without --photos, the store of separate photos was a video's frames."""
    from napari_skipclick._reader import read_store

    folder = photos(tmp_path / "p", ["a.jpg", "b.jpg"])
    with open_video(folder) as video:
        info = video.info
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, info) as store:
        assert not store.photos  # a new store, as every store made before: a video's frames
        store.note_photos(True)
    assert json.loads((path / "skipclick.json").read_text())["photos"] is True
    assert read_store(str(path))[0][1]["metadata"]["photos"] is True
    with AnnotationStore.open_or_create(path, info) as store:
        assert store.photos
        store.note_photos(False)
    assert "photos" not in json.loads((path / "skipclick.json").read_text())
    assert not AnnotationStore.open(path).photos
    assert "photos" not in read_store(str(path))[0][1]["metadata"]
    with AnnotationStore.open(path) as store, pytest.raises(Exception, match="read-only"):
        store.note_photos(True)
