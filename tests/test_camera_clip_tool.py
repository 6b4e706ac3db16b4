"""tools/camera_clip.py: a clip with a mask on every frame from one frame and a camera move."""

from __future__ import annotations

import numpy as np
from PIL import Image

from napari_skipclick.eval.video_data import load_clip
from tool_loader import load_tool, run_tool


def _frame(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    labels = np.zeros((40, 60), np.uint8)
    labels[10:20, 10:16] = 1
    labels[25:27, 20:45] = 2  # a line two pixels wide
    labels[5, 50] = 255
    Image.fromarray(image).save(tmp_path / "frame.png")
    Image.fromarray(labels).save(tmp_path / "labels.png")
    return labels


def test_a_camera_pan_moves_every_object_and_the_clip_loads_for_eval_video(tmp_path):
    labels = _frame(tmp_path)
    out = tmp_path / "clips" / "panned"
    done = run_tool(
        "camera_clip",
        *("--image", str(tmp_path / "frame.png"), "--labels", str(tmp_path / "labels.png")),
        *("--names", "box,line", "--out", str(out), "--frames", "3"),
        *("--pan", "2,3", "--zoom", "0", "--roll", "0"),
    )
    assert "wrote 3 frames" in done.stdout
    clip = load_clip(out)
    assert clip.objects == {1: "box", 2: "line"}
    assert clip.frames.shape == (3, 40, 60, 3)
    for k in range(3):
        expected = np.zeros_like(labels)
        expected[2 * k :, 3 * k :] = labels[: 40 - 2 * k, : 60 - 3 * k]
        assert np.array_equal(clip.masks[k], expected), k  # whole-pixel pans move it exactly


def test_a_zoom_grows_the_objects_and_bad_input_is_refused(tmp_path):
    _frame(tmp_path)
    args = ("--image", str(tmp_path / "frame.png"), "--labels", str(tmp_path / "labels.png"))
    out = tmp_path / "zoomed"
    run_tool("camera_clip", *args, "--names", "box,line", "--out", str(out), "--zoom", "0.1")
    clip = load_clip(out)
    areas = [int(np.count_nonzero(mask == 1)) for mask in clip.masks]
    assert areas[0] == 60 and areas[-1] > 3 * areas[0]  # 1.1 ** 19 ≈ 6.1 times as wide
    again = run_tool("camera_clip", *args, "--names", "a,b", "--out", str(out), check=False)
    assert again.returncode != 0 and "exists" in again.stderr
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    small = ("--labels", str(tmp_path / "small.png"), "--out", str(tmp_path / "new"))
    wrong = run_tool("camera_clip", *args[:2], *small, "--names", "a", check=False)
    assert wrong.returncode != 0 and "differ in size" in wrong.stderr


def test_beyond_the_image_the_labels_repeat_its_edge_as_the_frame_does(tmp_path):
    image = np.full((30, 40, 3), 200, np.uint8)
    image[10:20, :8] = 20  # a dark object cut by the image's left edge
    labels = np.zeros((30, 40), np.uint8)
    labels[10:20, :8] = 1
    out = tmp_path / "edge"
    load_tool("camera_clip").write_clip(image, labels, ["board"], out, 3, (0.0, 4.0), 0, 0)
    clip = load_clip(out)
    # the camera pans left: the frame repeats the image's left column, object and all, and
    # the truth says so (before, those columns showed the object with an empty truth)
    dark = clip.frames[2, ..., 0] < 100
    assert np.array_equal(clip.masks[2] == 1, dark)
    assert np.count_nonzero(clip.masks[2] == 1) == 10 * 16
