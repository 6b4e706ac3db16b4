"""``skipclick precompute``: the videos it finds in folders, what it leaves out, and a worker's
open videos."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from napari_skipclick._reader import napari_get_reader
from napari_skipclick.cli import main
from napari_skipclick.io import VideoError, open_video
from napari_skipclick.io.video import is_frame_folder
from support.precompute import cached_frames, frame_folder, video_file

RULE = "a folder holding more images than videos is a frame folder, else a folder of videos"


def test_a_data_set_folder_gives_its_clips_not_their_mask_folders(tmp_path, precompute):
    """``precompute DATA`` on a data set laid out as clip/frames + clip/masks encodes the
    frames only, and names the clips it found and the label folders it left out."""
    for clip in ("hockey", "tennis"):
        frame_folder(tmp_path / "data" / clip / "frames")
        masks = tmp_path / "data" / clip / "masks"
        masks.mkdir()
        for t in range(5):
            labels = np.zeros((48, 64), np.uint8)
            labels[10:30, 4 + 5 * t : 24 + 5 * t] = 1
            labels[0, 0] = 255  # void, as in davis2016_video
            Image.fromarray(labels).save(masks / f"{t:05d}.png")
    cache = tmp_path / "cache"
    status, out, err = precompute(
        str(tmp_path / "data"), "--engine", "embedded", "--cache", str(cache)
    )
    assert status == 0 and "10 frame(s) encoded" in out
    assert "videos: 2 (hockey/frames, tennis/frames)" in err
    assert "left out 2 folder(s) of label images" in err and "hockey/masks" in err


def test_a_folder_of_videos_with_a_cover_image_gives_its_videos(tmp_path, precompute):
    """A folder of two videos and one JPEG was taken for a video of one frame: "videos: 1",
    "1 already cached", the videos never encoded."""
    day = tmp_path / "season" / "day1"
    day.mkdir(parents=True)
    videos = [video_file(day / "tennis.mp4", 3), video_file(day / "snow.mp4", 4, shade=60)]
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(day / "cover.jpg")
    cache = tmp_path / "cache"
    status, out, err = precompute(
        str(tmp_path / "season"), "--engine", "embedded", "--cache", str(cache)
    )
    assert status == 0 and "7 frame(s) encoded, 0 already cached" in out
    assert "videos: 2 (snow.mp4, tennis.mp4)" in err
    assert f"left out 1 image(s) beside videos ({RULE}): {day / 'cover.jpg'}" in err
    assert [cached_frames(cache, v) for v in videos] == [[True] * 3, [True] * 4]
    with pytest.raises(VideoError, match="a folder of videos, not of frames"):
        open_video(day)


def test_videos_with_only_the_root_in_common_are_named_in_full(capsys):
    from napari_skipclick.precompute_inputs import Found, say_found

    say_found(Found(["/data/a/x.mp4", "/tmp/b/y.mp4"]))  # it said "data/a/x.mp4, tmp/b/y.mp4"
    assert "videos: 2 (/data/a/x.mp4, /tmp/b/y.mp4)" in capsys.readouterr().err


def test_a_worker_opens_a_video_replaced_on_disk_again(tmp_path):
    """A long-lived worker kept its open copy of a replaced video: a 10-frame video replaced by
    a 12-frame one was planned as 10 frames and encoded from the old content."""
    from napari_skipclick.engines.precompute import Chunk, EngineSpec, encode_chunk, video_length

    video, cache = video_file(tmp_path / "ok.mp4", 10), tmp_path / "cache"
    assert video_length(str(video)) == 10
    os.replace(video_file(tmp_path / ".new.mp4", 12, shade=60), video)  # cp new .tmp; mv .tmp
    assert video_length(str(video)) == 12
    result = encode_chunk(Chunk(str(video), 0, 12), EngineSpec.of("embedded"), str(cache))
    assert (result.encoded, result.cached) == (12, 0)
    assert cached_frames(cache, video) == [True] * 12
    with video.open("r+b") as rewritten:  # rewritten in place: same inode, other size
        rewritten.truncate(video.stat().st_size // 2)
    with pytest.raises(VideoError):
        video_length(str(video))


def test_a_frame_folder_holding_its_source_video_is_read_as_its_frames(tmp_path, precompute):
    """ffmpeg run in a video's own folder writes the frames beside it: such a folder was taken
    for a folder of videos, so a store made of it could not be exported with images, labels
    not imported into it (``--video``), and napari's reader refused it."""
    clip = frame_folder(tmp_path / "clip", 5)
    video_file(clip / "source.mp4", 3)
    assert is_frame_folder(clip) and napari_get_reader(str(clip)) is not None
    with open_video(clip) as video:
        assert len(video) == 5 and video.notes == [
            "clip: 1 video file(s) left out, only .jpg/.jpeg/.png files are frames: source.mp4"
        ]
    labels = np.zeros((5, 48, 64), np.int32)
    labels[2, 3:6, 3:6] = 1
    np.save(tmp_path / "labels.npy", labels)
    command = ["import-labels", str(tmp_path / "s.zarr"), "--from", str(tmp_path / "labels.npy")]
    assert main([*command, "--video", str(clip), "--quiet"]) == 0
    cache = tmp_path / "cache"
    status, out, err = precompute(str(clip), "--engine", "embedded", "--cache", str(cache))
    assert status == 0 and "5 frame(s) encoded" in out and "videos: 1 (" in err
    assert f"left out 1 video file(s) beside frames ({RULE}): {clip / 'source.mp4'}" in err
    assert cached_frames(cache, clip) == [True] * 5


def test_a_folder_of_frame_folders_with_a_cover_image_gives_its_clips(tmp_path, precompute):
    """A folder of one image and two clips' frame folders was taken for a video of one frame:
    "videos: 1", 1 frame encoded, exit 0, the clips never encoded."""
    top = tmp_path / "N"
    clips = [frame_folder(top / "clipA", 3), frame_folder(top / "clipB", 4, (40, 64))]
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(top / "cover.jpg")
    assert not is_frame_folder(top) and napari_get_reader(str(top)) is None
    with pytest.raises(VideoError, match="a folder of videos, not of frames"):
        open_video(top)
    cache = tmp_path / "cache"
    status, out, err = precompute(str(top), "--engine", "embedded", "--cache", str(cache))
    assert status == 0 and "7 frame(s) encoded, 0 already cached" in out
    assert "videos: 2 (clipA, clipB)" in err
    assert f"left out 1 image(s) beside videos ({RULE}): {top / 'cover.jpg'}" in err
    assert [cached_frames(cache, c) for c in clips] == [[True] * 3, [True] * 4]
