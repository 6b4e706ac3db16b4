"""``skipclick info``: what a store holds, which frames need review and why."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from napari_skipclick.cli import main
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 30, 24, 32, 25.0, "sha256:info")
WHY = "the engine's mask has 1,320 pixels where the object had 120"


def labels_with(*boxes: tuple[int, slice, slice]) -> np.ndarray:
    labels = np.zeros((VIDEO.height, VIDEO.width), np.uint32)
    for value, rows, cols in boxes:
        labels[rows, cols] = value
    return labels


def make_store(path) -> None:
    skier = (1, slice(2, 12), slice(3, 9))  # 60 px
    pole = (2, slice(15, 17), slice(10, 25))  # 30 px
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects(
            [
                ObjectInfo(1, "skier", "athlete", (255, 0, 0)),
                ObjectInfo(2, "pole", "gear", (0, 0, 255)),
            ],
            ["athlete", "gear"],
        )
        clicks = {
            1: [(5.0, 5.0, True, 0.0), (20.0, 20.0, False, 1.0)],
            2: [(16.0, 12.0, True, 2.0)],
        }
        store.commit_frame(0, labels_with(skier, pole), FrameRecord(FrameStatus.CLICKED, clicks))
        # propagation's derived clicks come first, at one time; a correction on frame 1 later
        derived = [(16.0, 12.0, True, 5.0), (16.0, 20.0, True, 5.0), (22.0, 2.0, False, 5.0)]
        corrected = {2: [*derived, (16.0, 24.0, True, 9.0)]}
        for t in range(1, 14):
            review = {2: f"{WHY} on frame {t}"} if t >= 2 else None
            status = FrameStatus.NEEDS_REVIEW if review else FrameStatus.PROPAGATED
            made = corrected if t == 1 else {2: derived}
            store.commit_frame(
                t,
                labels_with(skier, pole),
                FrameRecord(status, made, carried=[1, 2], review=review),
            )
        store.commit_frame(
            14,
            labels_with(skier, (9, slice(0, 2), slice(0, 2))),
            FrameRecord(FrameStatus.REVIEWED, {}),
        )


def test_info_lists_objects_statuses_and_why_frames_need_review(tmp_path, capsys):
    path = tmp_path / "run1.zarr"
    make_store(path)
    assert main(["info", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "30 frames  32x24  25 fps" in out and "classes athlete, gear" in out
    rows = {
        line.split()[1]: line.split() for line in out.splitlines() if line[:4].strip().isdigit()
    }
    assert rows["skier"] == ["1", "skier", "athlete", "15", "900", "2"]  # 15 frames x 60 px
    assert rows["pole"] == ["2", "pole", "gear", "14", "420", "2"]  # derived clicks not counted
    assert "15 of 30 annotated (clicked 1, needs review 12, propagated 1, reviewed 1)" in out
    assert "needs review: 12 frames, " in out
    assert f"frame 2: pole: {WHY} on frame 2" in out and f"frame 11: pole: {WHY}" in out
    assert "frame 12: pole" not in out and "and 2 more: 12-13 (--all lists them)" in out
    assert "label values with no object: [9]" in out
    assert main(["info", str(path), "--quiet", "--all"]) == 0
    assert f"frame 13: pole: {WHY} on frame 13" in capsys.readouterr().out


def test_info_as_json_and_a_damaged_frame_named_not_fatal(tmp_path, capsys):
    path = tmp_path / "run1.zarr"
    make_store(path)
    chunk = AnnotationStore.open(path).chunk_path(3)
    chunk.write_bytes(chunk.read_bytes()[:7])  # truncated on disk
    assert main(["info", str(path), "--quiet", "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert summary["annotated"] == 15 and summary["statuses"]["needs review"] == 12
    skier = summary["objects"][0]
    assert (skier["name"], skier["frames"], skier["pixels"]) == ("skier", 14, 840)
    assert summary["needs_review"]["3"] == {"2": f"{WHY} on frame 3"}
    assert any("frame 3" in p and "damaged or truncated" in p for p in summary["problems"])


def test_info_on_several_stores_adds_a_total_and_names_what_is_no_store(tmp_path, capsys):
    make_store(tmp_path / "run1.zarr")
    make_store(tmp_path / "run2.zarr")
    stores = [str(tmp_path / "run1.zarr"), str(tmp_path / "nothing"), str(tmp_path / "run2.zarr")]
    assert main(["info", *stores, "--quiet"]) == 2  # the others are still summarised
    captured = capsys.readouterr()
    assert "nothing does not exist" in captured.err
    assert captured.out.count("needs review: 12 frames") == 2
    total = captured.out.splitlines()[-1]
    assert total == (
        "total   2 stores: 30 of 60 frames annotated, 24 need review; "
        "objects by class: athlete 2, gear 2"
    )
    assert main(["info", str(tmp_path / "run1.zarr"), str(tmp_path / "run2.zarr"), "--json"]) == 0
    assert [s["store"] for s in json.loads(capsys.readouterr().out)] == [
        str(tmp_path / "run1.zarr"),
        str(tmp_path / "run2.zarr"),
    ]


def test_output_cut_short_by_its_reader_ends_without_a_traceback(tmp_path):
    """``skipclick info STORES --json | head -1``: the reader leaves, the command stops quietly."""
    import subprocess
    import sys

    make_store(tmp_path / "run.zarr")
    stores = [str(tmp_path / "run.zarr")] * 60  # more output than a pipe holds
    command = [sys.executable, "-m", "napari_skipclick.cli", "info", *stores, "--json", "--quiet"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stdout.readline().strip() == b"["
    run.stdout.close()  # as head does once it has its line
    assert run.wait(timeout=120) == 1
    assert b"Traceback" not in run.stderr.read()


def test_a_damaged_object_list_or_missing_chunk_is_named_once_and_the_rest_summarised(
    tmp_path, capsys
):
    """A truncated objects.json refused the whole store (exit 2, nothing summarised); a label
    chunk removed was named twice under problems."""
    path = tmp_path / "run1.zarr"
    make_store(path)
    AnnotationStore.open(path).chunk_path(4).unlink()
    objects = path / "objects.json"
    objects.write_bytes(objects.read_bytes()[:20])
    assert main(["info", str(path), "--quiet", "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert summary["annotated"] == 15 and summary["objects"] == [] and summary["classes"] == []
    assert any("objects.json" in p for p in summary["problems"])
    frame_4 = [p for p in summary["problems"] if "frame 4" in p]
    assert len(frame_4) == 1, summary["problems"]
    assert main(["info", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().out == ""  # the error alone, on stderr


def test_info_lists_the_frames_where_an_object_is_marked_not_here(tmp_path, capsys):
    path = tmp_path / "run1.zarr"
    make_store(path)
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        for t in (20, 21, 22, 25):  # the pole out of view
            store.commit_frame(t, labels_with(), FrameRecord(FrameStatus.CLICKED, {}, absent=[2]))
    assert main(["info", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "pole: marked not here on frame(s) 20-22, 25" in out and "skier: marked" not in out
    assert main(["info", str(path), "--quiet", "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert [o["absent"] for o in summary["objects"]] == [[], [20, 21, 22, 25]]


def test_a_video_not_where_the_store_recorded_it_is_marked_missing(tmp_path, capsys):
    """``info`` listed a moved video's path as if it were there."""
    path = tmp_path / "run1.zarr"
    make_store(path)  # its video, /videos/run1.mp4, is not on this machine
    assert main(["info", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert (
        "video   /videos/run1.mp4 (missing: not there now; exports with images need --video)" in out
    )
    assert main(["info", str(path), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["video"]["missing"] is True
    video = tmp_path / "run1.mp4"
    video.write_bytes(b"")
    here = dataclasses.replace(VIDEO, path=str(video))
    AnnotationStore.open_or_create(tmp_path / "here.zarr", here).close()
    assert main(["info", str(tmp_path / "here.zarr"), "--quiet"]) == 0
    assert f"video   {video}  30 frames" in capsys.readouterr().out


def test_info_lists_an_objects_frames_not_carried_after_its_stop_as_one_entry(tmp_path, capsys):
    """The frames a run wrote for the others after an object stopped in doubt were listed one
    by one (each *not carried here*), burying the other reasons under --all's limit; they are
    one entry, on the stop's frame, as **Review ▶** steps through them."""
    from napari_skipclick.session.ready import not_carried

    path = tmp_path / "stopped.zarr"
    skier, pole = (1, slice(2, 12), slice(3, 9)), (2, slice(15, 17), slice(10, 25))
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects(
            [
                ObjectInfo(1, "skier", "athlete", (255, 0, 0)),
                ObjectInfo(2, "pole", "gear", (0, 0, 255)),
            ],
            ["athlete", "gear"],
        )
        store.commit_frame(0, labels_with(skier, pole), FrameRecord(FrameStatus.CLICKED, {}))
        for t in range(1, 25):
            review = {2: WHY} if t == 3 else {2: not_carried(3, WHY, True)} if t > 3 else {}
            if t == 20:
                review[1] = f"{WHY} on frame 20"
            status = FrameStatus.NEEDS_REVIEW if review else FrameStatus.PROPAGATED
            labels = labels_with(skier, pole) if t <= 3 else labels_with(skier)
            store.commit_frame(t, labels, FrameRecord(status, {}, carried=[1, 2], review=review))
    assert main(["info", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    review = [line for line in out.splitlines() if line.startswith("  frame ")]
    assert "needs review: 22 frames, 2 to look at" in out
    assert review == [
        f"  frame 3: pole: {WHY}; not carried after it (frames 4–24)",
        f"  frame 20: skier: {WHY} on frame 20",
    ]


def test_a_folder_of_photos_or_a_labels_layer_is_given_no_frame_rate(tmp_path, capsys):
    """``info`` said *25 fps* of a folder of photos: the stand-in ``open_video`` takes for
    images, which carry no frame rate, told as a fact (and *0 fps* of a saved Labels layer)."""
    from PIL import Image

    from napari_skipclick.io.video import open_video

    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (32, 24), (40 * i, 0, 0)).save(folder / f"IMG_{i}.png")
    with open_video(folder) as video:
        AnnotationStore.open_or_create(tmp_path / "photos.zarr", video.info).close()
    labels = VideoInfo.of_labels(4, 24, 32)
    AnnotationStore.open_or_create(tmp_path / "labels.zarr", labels).close()
    stores = [str(tmp_path / "photos.zarr"), str(tmp_path / "labels.zarr")]
    assert main(["info", *stores, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"video   {folder}  3 frames  32x24\n" in out and "fps" not in out
    assert main(["info", *stores, "--quiet", "--json"]) == 0
    assert [s["video"]["fps"] for s in json.loads(capsys.readouterr().out)] == [None, None]
    make_store(tmp_path / "run1.zarr")  # a video file keeps its frame rate
    assert main(["info", str(tmp_path / "run1.zarr"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["video"]["fps"] == 25.0


def test_a_store_of_one_photo_counts_one_frame_not_1_frames(tmp_path, capsys):
    """``info`` on a photo's store said *1 frames* and *needs review: 1 frame(s)*; the counts
    agree with their number, as over several stores."""
    from PIL import Image

    from napari_skipclick.io.video import open_video

    photo = tmp_path / "IMG_1.jpg"
    Image.new("RGB", (32, 24), (90, 20, 20)).save(photo)
    path = tmp_path / "photo.zarr"
    with open_video(photo) as video, AnnotationStore.open_or_create(path, video.info) as store:
        store.write_objects([ObjectInfo(1, "skier", "athlete", (255, 0, 0))], ["athlete"])
        record = FrameRecord(FrameStatus.NEEDS_REVIEW, {}, review={1: WHY})
        store.commit_frame(0, labels_with((1, slice(2, 12), slice(3, 9))), record)
    assert main(["info", str(path), str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"video   {photo}  1 frame  32x24\n" in out
    assert "needs review: 1 frame, 1 to look at" in out
    assert "total   2 stores: 2 of 2 frames annotated, 2 need review" in out
    assert "1 frames" not in out and "frame(s)" not in out
