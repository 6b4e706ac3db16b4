"""A skier's pole that swings as it is carried: propagation's IoU on each frame, per swing speed.

Usage::

    python tools/swinging_pole.py [--degrees 4,8,12] [--frames 10] [--turn 30]

A dark pole 2 px wide and 90 px long lies on textured snow (a still camera); its grip moves
3 px right per frame and the pole turns by ``--degrees`` per frame about it. Frame 0's pole is
a reviewed mask; propagation with the ``embedded`` engine carries it ``--frames`` frames. For
each speed the IoU with the true pole and the mask's pixels on every frame are printed, with
their mean. ``--turn`` is ``ThinSettings.turn``, the largest turn searched for a straight
part (``session/straight_parts.py``); ``--turn 0`` follows the pole tile by tile alone.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from scipy.ndimage import gaussian_filter

from napari_skipclick.engines import create_engine
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.types import FrameStatus

SHAPE = (200, 300)


def swinging_pole(t: int, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` and its pole (uint8 RGB, boolean) for a swing of ``degrees`` per frame."""
    rng = np.random.default_rng(0)
    noise = gaussian_filter(rng.normal(0, 1, SHAPE), 2.0)
    grey = np.clip(220 + 60 * noise / noise.std(), 0, 255)
    frame = np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)
    grip = np.array([60.0, 80.0 + 3 * t])
    angle = np.radians(60 - degrees * t)
    along = np.array([np.sin(angle), np.cos(angle)])
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]].astype(np.float64)
    offset = np.stack([rows - grip[0], cols - grip[1]], axis=-1)
    on = offset @ along
    across = offset @ np.array([-along[1], along[0]])
    pole = (np.abs(across) < 1.0) & (on >= 0) & (on <= 90)  # 2 px at every angle
    frame[pole] = (60, 60, 70)
    return frame, pole


def propagated(
    degrees: float, n_frames: int, turn: float
) -> tuple[AnnotationSession, int, list[np.ndarray]]:
    """The session with frame 0's pole propagated ``n_frames`` frames, the object's id and
    the true poles."""
    frames, poles = zip(*(swinging_pole(t, degrees) for t in range(n_frames + 1)), strict=True)
    session = AnnotationSession(np.stack(frames), create_engine("embedded"))
    obj = session.add_object("object", "pole").id
    session.labels.set_frame(0, np.where(poles[0], obj, 0).astype(np.uint32))
    session.set_status(0, FrameStatus.REVIEWED)
    defaults = PropagationSettings()
    settings = dataclasses.replace(defaults, thin=dataclasses.replace(defaults.thin, turn=turn))
    for _ in session.propagate([obj], 0, n_frames=n_frames, settings=settings):
        pass
    return session, obj, list(poles)


def carried(degrees: float, n_frames: int, turn: float) -> tuple[list[float], list[int]]:
    """The IoU with the true pole and the mask's pixels on frames 1..``n_frames``."""
    session, obj, poles = propagated(degrees, n_frames, turn)
    ious, sizes = [], []
    for t in range(1, n_frames + 1):
        mask = session.labels.read(t) == obj
        ious.append(float((mask & poles[t]).sum() / max((mask | poles[t]).sum(), 1)))
        sizes.append(int(mask.sum()))
    return ious, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--degrees", default="4,8,12", help="swing speeds, degrees per frame")
    parser.add_argument("--frames", type=int, default=10, help="frames to carry the pole")
    parser.add_argument("--turn", type=float, default=PropagationSettings().thin.turn)
    args = parser.parse_args()
    for degrees in (float(v) for v in args.degrees.split(",")):
        ious, sizes = carried(degrees, args.frames, args.turn)
        listed = " ".join(f"{v:.2f}" for v in ious)
        print(f"{degrees:5.1f} deg/frame  IoU {listed}  mean {np.mean(ious):.3f}", flush=True)
        print(f"{'':15s}  px  {' '.join(str(v) for v in sizes)}", flush=True)


if __name__ == "__main__":
    main()
