"""tools/occluded_clip.py: a clip whose object a flat panel hides on some frames."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.eval.video_data import load_clip
from tool_loader import ROOT, run_tool

CLIP = ROOT / "tests" / "data" / "davis_video_mini" / "hockey"


def test_the_panel_hides_the_object_and_empties_its_truth_on_those_frames_alone(tmp_path):
    clip = CLIP
    source = load_clip(clip, 5)
    out = tmp_path / "clips" / "panel"
    done = run_tool(
        "occluded_clip", "--clip", str(clip), "--out", str(out), "--frames", "5",
        "--hidden", "2-3", "--colour", "1,2,3",
    )  # fmt: skip
    assert "hidden on 2-3" in done.stdout
    made = load_clip(out)
    assert made.frames.shape == source.frames.shape and made.objects == source.objects
    for t in (2, 3):
        assert not np.isin(made.masks[t], list(source.objects)).any()
        changed = np.any(made.frames[t] != source.frames[t], axis=-1)
        assert (made.frames[t][changed] == (1, 2, 3)).all()  # the panel, one flat colour
        assert changed[np.isin(source.masks[t], list(source.objects))].all()  # over the object
    for t in (0, 1, 4):
        np.testing.assert_array_equal(made.masks[t], source.masks[t])
        np.testing.assert_array_equal(made.frames[t], source.frames[t])  # PNG: exact
    again = run_tool("occluded_clip", "--clip", str(clip), "--out", str(out), check=False)
    assert again.returncode != 0 and "exists" in again.stderr


@pytest.mark.parametrize("hidden", ["7", "0-9"])
def test_hidden_frames_past_the_copy_are_refused(tmp_path, hidden):
    clip = CLIP
    done = run_tool(
        "occluded_clip", "--clip", str(clip), "--out", str(tmp_path / "x"), "--frames", "5",
        "--hidden", hidden, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "--hidden must name frames of 0-4" in done.stderr
