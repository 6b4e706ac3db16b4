"""The feature loader: a frame change runs without a progress bar, a long run shows one."""

from __future__ import annotations

import pytest
from napari.utils import progress as napari_progress

from napari_skipclick._qt.feature_loader import PROGRESS_FROM, FeatureLoader
from napari_skipclick.session import AnnotationSession
from support.engines import ColourEngine, moving_squares

pytestmark = [pytest.mark.gui]


@pytest.mark.parametrize(("frames", "progress"), [(4, False), (PROGRESS_FROM, True)])
def test_only_long_runs_show_a_progress_bar_in_the_activity_dock(qtbot, frames, progress):
    session = AnnotationSession(moving_squares(PROGRESS_FROM + 2), ColourEngine())
    loader = FeatureLoader()
    loader.set_session(session)
    ready: list[int] = []
    loader.ready.connect(ready.append)
    with qtbot.waitSignal(loader.busy_changed, timeout=30_000, check_params_cb=lambda b: not b):
        loader.request(range(frames))
        bars = [bar for bar in napari_progress._all_instances if "frame features" in bar.desc]
        assert len(bars) == int(progress)
    assert sorted(ready) == list(range(frames))
    assert all(session.has_features(t) for t in range(frames))
