"""The shipped sample clip and the frame-0 test masks."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick._sample_data import giant_slalom, sample_video_path
from napari_skipclick.io import VideoArray

DATA = Path(__file__).parents[1] / "data" / "giant_slalom"


def test_sample_clip_is_small_and_complete():
    path = sample_video_path()
    assert path.is_file() and path.stat().st_size < 5e6
    assert "CC BY-NC 4.0" in (path.parent / "ATTRIBUTION.md").read_text()
    [(video, kwargs, layer_type)] = giant_slalom()
    assert isinstance(video, VideoArray) and layer_type == "image"
    assert video.shape == (127, 480, 854, 3) and video.fps == 24.0
    assert kwargs["metadata"]["video_info"].n_frames == 127


def test_sample_frame_zero_matches_the_original_jpeg():
    video = giant_slalom()[0][0]
    original = np.asarray(Image.open(DATA / "00000.jpg").convert("RGB")).astype(float)
    mse = np.mean((video[0].astype(float) - original) ** 2)
    assert 10 * np.log10(255**2 / mse) > 38  # dB
    assert not np.array_equal(video[0], video[126])


def test_frame_zero_masks_match_the_manifest():
    with open(DATA / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["object_label"] for r in rows] == ["skis", "poles", "skier"]
    union = np.zeros((480, 854), int)
    for row in rows:
        mask = np.asarray(Image.open(DATA / row["mask"]))
        assert mask.shape == (int(row["height"]), int(row["width"]))
        assert set(np.unique(mask)) <= {0, 1, 255}
        fraction = float(row["object_fraction"])
        assert abs((mask == 1).mean() - fraction) < 1e-5
        union += mask == 1
    assert union.max() == 1  # the three objects do not overlap
