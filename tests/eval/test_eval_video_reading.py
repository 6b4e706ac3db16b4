"""``eval-video`` reads a clip's frames as the widget reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.eval.video_data import VideoDataError, load_clip
from napari_skipclick.io import open_video

MINI = Path(__file__).parents[1] / "data" / "davis_video_mini"


def copy_mini(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "set")
    return tmp_path / "set" / "hockey"


def _rewrite(path: Path, change) -> None:
    path.write_bytes(change(path.read_text()).encode("utf-8"))


def test_frames_stored_sideways_are_turned_upright_as_the_widget_reads_them(tmp_path):
    """A clip from a phone (frames stored turned, EXIF orientation 6) was read as stored:
    "mask size 214x120 differs from image size 120x214"."""
    from support.scenes import save_sideways

    clip = copy_mini(tmp_path)
    upright = np.asarray(Image.open(clip / "frames" / "00001.jpg").convert("RGB"))
    save_sideways(clip / "frames" / "sideways.png", upright)
    _rewrite(clip / "frames.csv", lambda t: t.replace("frames/00001.jpg", "frames/sideways.png"))
    loaded = load_clip(clip, 3)
    np.testing.assert_array_equal(loaded.frames[1], upright)


def test_16_bit_frames_are_scaled_from_the_range_the_widget_finds_for_the_clip(tmp_path):
    """eval-video read a 12-bit camera's frames in 16-bit files as value / 257 (almost
    black), while the widget scales a folder of them from 0..4095, the same for every frame."""
    clip = copy_mini(tmp_path)
    deep = clip / "deep"
    deep.mkdir()
    names = sorted(p.name for p in (clip / "frames").glob("*.jpg"))
    for k, name in enumerate(names):
        grey = np.asarray(Image.open(clip / "frames" / name).convert("L"), np.uint16)
        # 12-bit data, the last frame the brightest: the range is the clip's, not a frame's own
        Image.fromarray(grey * (12 + (k == len(names) - 1) * 4)).save(deep / f"{k:05d}.png")
    _rewrite(clip / "frames.csv", lambda t: t.replace("frames/", "deep/").replace(".jpg", ".png"))
    widget = open_video(deep)
    assert any("12-bit data" in note for note in widget.notes)
    for n_frames in (3, None):  # the first frames alone are read as in the whole clip
        loaded = load_clip(clip, n_frames)
        np.testing.assert_array_equal(loaded.frames, widget[: len(loaded.frames)])
    assert loaded.frames[0].max() > 128  # not the near-black value / 257


def test_a_damaged_16_bit_frame_is_named(tmp_path):
    """A 16-bit frame damaged inside (bytes overwritten, not cut short) escaped the clip's
    range sampling as a bare traceback naming no file."""
    clip = copy_mini(tmp_path)
    deep = clip / "deep"
    deep.mkdir()
    for k, name in enumerate(sorted(p.name for p in (clip / "frames").glob("*.jpg"))):
        grey = np.asarray(Image.open(clip / "frames" / name).convert("L"), np.uint16)
        Image.fromarray(grey * 16).save(deep / f"{k:05d}.png")
    _rewrite(clip / "frames.csv", lambda t: t.replace("frames/", "deep/").replace(".jpg", ".png"))
    data = bytearray((deep / "00000.png").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 40] = b"\x55" * 40
    (deep / "00000.png").write_bytes(bytes(data))
    with pytest.raises(
        VideoDataError, match=r"clip hockey: cannot read image file\(s\) 00000.png \("
    ):
        load_clip(clip)
