"""The time slider past the annotated video's end (a longer layer in the viewer)."""

from __future__ import annotations

import numpy as np
import pytest

from support.widget import click

pytestmark = [pytest.mark.gui]


def test_past_the_videos_end_no_clicks_show_and_the_panel_says_so(annotator, qtbot):
    """The last frame's clicks showed over frame 150 of the longer layer, and the panel said
    "Frame 126 / 126"."""
    viewer, widget = annotator
    controller = widget.controller
    viewer.dims.set_current_step(0, 126)
    click(qtbot, controller, 144, 335)
    assert len(controller.layers.prompts.data) == 1
    viewer.add_image(np.zeros((200, 480, 854), np.uint8), name="longer", opacity=0.0)
    viewer.dims.set_current_step(0, 150)
    assert len(controller.layers.prompts.data) == 0
    text = widget.frame_panel.frame_label.text()
    assert text == "Frame 150: past the video's end (frames 0–126)"
    viewer.dims.set_current_step(0, 126)  # back on the video: its clicks again
    assert len(controller.layers.prompts.data) == 1
    assert widget.frame_panel.frame_label.text().startswith("Frame 126 / 126")
