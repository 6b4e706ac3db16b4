"""``skipclick precompute``: the videos it finds in folders, what it leaves out, and a worker's
open videos."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.io import VideoError, open_video
from support.precompute import cached_frames, frame_folder, video_file


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
    left_out = "left out 1 image(s) beside video files (a folder of videos is no frame folder)"
    assert f"{left_out}: {day / 'cover.jpg'}" in err
    assert [cached_frames(cache, v) for v in videos] == [[True] * 3, [True] * 4]
    with pytest.raises(VideoError, match="a folder of video files, not of frames"):
        open_video(day)


def test_videos_with_only_the_root_in_common_are_named_in_full(capsys):
    from napari_skipclick.precompute_cli import Found, _say_found

    _say_found(Found(["/data/a/x.mp4", "/tmp/b/y.mp4"]))  # it said "data/a/x.mp4, tmp/b/y.mp4"
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
