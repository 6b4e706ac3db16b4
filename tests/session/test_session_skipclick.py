"""A session with the SkipClick engine (tiny checkpoint) on each device: start, propagate, undo.

On a GPU this is the path a user with CUDA takes: features, clicks and the prior go to the
device and back, and the engine's object hint joins the motion (``ObjectMatcher``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from support.sessions import started_session
from support.tiny import ARCH, TINY

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
        ],
    ),
]


def moving_square(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: grey noise with a red square moving 4 px right per frame."""
    rng = np.random.default_rng(t)
    frame = rng.integers(90, 160, (112, 160, 3), dtype=np.uint8)
    mask = np.zeros((112, 160), bool)
    mask[30:70, 20 + 4 * t : 60 + 4 * t] = True
    frame[mask] = (230, 30, 30)
    return frame, mask


@pytest.mark.parametrize("device", DEVICES)
def test_a_skipclick_session_propagates_and_undoes_on_the_device(device):
    from napari_skipclick.engines.skipclick import SkipClickEngine

    engine = SkipClickEngine(TINY / "checkpoint.pth", device, input_size=112, backbone_arch=ARCH)
    frames = np.stack([moving_square(t)[0] for t in range(4)])
    session, obj = started_session(frames, moving_square(0)[1], engine)
    steps = list(session.propagate([obj], 0, n_frames=3))
    assert [s.frame for s in steps] == [1, 2, 3] and not any(s.stopped for s in steps)
    for t in range(1, 4):
        truth, found = moving_square(t)[1], session.labels[t] == obj
        assert (found & truth).sum() / (found | truth).sum() > 0.8, t
    session.undo()  # the whole run is one step of the history
    assert not any((session.labels[t] == obj).any() for t in range(1, 4))
