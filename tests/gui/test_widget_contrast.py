"""A 16-bit layer's contrast limits, changed during a session, are what the engine sees."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick.engines import create_engine
from support.scenes import iou
from support.widget import click, labels_of, wait_idle

pytestmark = [pytest.mark.gui]

YY, XX = np.mgrid[:120, :160]
DISC = (YY - 60) ** 2 + (XX - 80) ** 2 < 400


def _faint_disc_session(viewer, qtbot, cache) -> tuple:
    """(layer, controller): a 16-bit video whose disc is 150 grey levels above its ground,
    invisible through the limits (0, 65535) the session starts with."""
    video = np.full((3, 120, 160), 1000, np.uint16)
    video[:, DISC] = 1150
    video += np.random.default_rng(0).integers(0, 20, video.shape, dtype=np.uint16)
    layer = viewer.add_image(video, name="thermal16", contrast_limits=(0, 65535))
    viewer.dims.set_current_step(0, 0)
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    widget.controller.start_session(layer, create_engine("embedded"), cache=cache)
    wait_idle(qtbot, widget.controller)
    return layer, widget


def test_a_contrast_change_is_used_for_the_next_click(make_napari_viewer, qtbot, feature_cache):
    """The limits of the session's start stayed: the disc's mask had IoU 0.05 (1.00 as seen)."""
    layer, widget = _faint_disc_session(make_napari_viewer(), qtbot, feature_cache)
    controller = widget.controller
    layer.contrast_limits = (950, 1200)
    qtbot.waitUntil(lambda: "Contrast 950–1200" in controller.last_message, timeout=5000)
    wait_idle(qtbot, controller)
    click(qtbot, controller, 60, 80)
    assert iou(labels_of(controller, 0) == controller.current_object, DISC) > 0.9
    controller.close_session()


def test_apply_reads_the_contrast_limits_again(make_napari_viewer, qtbot, feature_cache):
    layer, widget = _faint_disc_session(make_napari_viewer(), qtbot, feature_cache)
    controller = widget.controller
    flat = controller.session.image(1)
    assert np.ptp(flat) <= 1  # 1000..1170 of 0..65535: one grey
    layer.contrast_limits = (950, 1200)
    # Apply (the engine built), before the change has settled
    widget.setup_panel.start_requested.emit(layer, create_engine("embedded"), "")
    seen = controller.session.image(1)[..., 0]
    assert seen[DISC].mean() - seen[~DISC].mean() > 100
    assert not controller.session.has_features(1)  # its features are those of the new pixels
    wait_idle(qtbot, controller)
    controller.close_session()
