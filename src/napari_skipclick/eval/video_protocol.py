"""The video protocol: first frame, then propagation with corrective clicks, through the session.

Every step goes through ``AnnotationSession`` exactly as the widget drives it (add an object,
set clicks, propagate), so the figures measure what an annotator gets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from ..engines.base import Engine, Features, carried_decode
from ..engines.cache import FeatureCache
from ..session import AnnotationSession
from ..types import Click, FrameStatus
from .clicker import Clicker
from .metrics import NOC_THRESHOLDS, iou
from .video_data import VideoClip

#: IoU the clicker reaches on the first frame (at most ``FIRST_MAX_CLICKS`` clicks)
FIRST_IOU = NOC_THRESHOLDS[90]
FIRST_MAX_CLICKS = 20
#: IoU the corrective clicks aim for on every later frame
FRAME_IOU = NOC_THRESHOLDS[85]
#: below this IoU a frame of the pure run has lost the object (review marks should find it)
LOST_IOU = 0.5


class TimedEngine:
    """Wraps an engine and records the wall time of every ``encode`` and decode (ms).

    Decodes are those of clicks (``decode``) and of propagation (``decode_carried``).

    Everything else (``key``, ``name``, optional methods) is the wrapped engine's, so caches and
    optional protocols see the same engine.
    """

    def __init__(self, engine: Engine) -> None:
        self.inner = engine
        self.name = engine.name
        self.encode_ms: list[float] = []
        self.decode_ms: list[float] = []

    @property
    def key(self) -> str:
        return self.inner.key

    def encode(self, image: np.ndarray) -> Features:
        start = time.perf_counter()
        features = self.inner.encode(image)
        self.encode_ms.append(1000.0 * (time.perf_counter() - start))
        return features

    def decode(
        self, features: Features, clicks: Sequence[Click], prev_mask: np.ndarray | None = None
    ) -> np.ndarray:
        return self._timed_decode(self.inner.decode, features, clicks, prev_mask)

    def decode_carried(
        self, features: Features, clicks: Sequence[Click], prev_mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Propagation's decode: the engine's own ``decode_carried`` if it has one, timed too."""
        return self._timed_decode(carried_decode(self.inner), features, clicks, prev_mask)

    def _timed_decode(
        self,
        decode: Callable[..., np.ndarray],
        features: Features,
        clicks: Sequence[Click],
        prev_mask: np.ndarray | None,
    ) -> np.ndarray:
        start = time.perf_counter()
        probabilities = decode(features, clicks, prev_mask)
        self.decode_ms.append(1000.0 * (time.perf_counter() - start))
        return probabilities

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class ObjectRun:
    """One object of one clip through the protocol. Frames are positions in the clip (0 its
    first, numbered ``first_frame`` in frames.csv); the per-frame lists start at frame 1."""

    clip: str
    value: int
    name: str
    first_frame: int = 0
    first_clicks: int = 0
    first_iou: float = 0.0
    j_prop: list[float] = field(default_factory=list)
    corrections: list[int] = field(default_factory=list)
    j_corrected: list[float] = field(default_factory=list)
    j_pure: list[float] = field(default_factory=list)
    review_pure: list[int] = field(default_factory=list)
    pure_reached: int = 0
    j_restart: list[float] = field(default_factory=list)
    j_fill: list[float] = field(default_factory=list)
    j_forward: list[float] = field(default_factory=list)
    step_ms: list[float] = field(default_factory=list)


def frame_iou(gt: np.ndarray, pred: np.ndarray) -> float:
    """IoU with void excluded; 1.0 when neither the object nor the prediction has pixels."""
    if not np.any(gt == 1) and not np.any(pred & (gt != 255)):
        return 1.0
    return float(iou(gt, pred))


def click_until(
    session: AnnotationSession, t: int, obj: int, gt: np.ndarray, target: float, budget: int
) -> tuple[int, float]:
    """Clicker clicks added to frame ``t``'s clicks until IoU ≥ ``target``; (corrections, IoU).

    Where the ground truth holds no pixel of the object, the user marks it absent there
    instead (``AnnotationSession.mark_absent``: one key press in the widget), one correction.
    """
    clicker = Clicker(gt)
    pred = session.labels.read(t) == obj
    score = frame_iou(gt, pred)
    used = 0
    while score < target and used < budget:
        if np.any(gt == 1):
            click = clicker.next_click(pred)
            session.set_clicks(t, obj, [*session.clicks(t, obj), click])
        else:
            session.mark_absent(t, obj)
        used += 1
        pred = session.labels.read(t) == obj
        score = frame_iou(gt, pred)
    return used, score


def _session(clip: VideoClip, engine: Engine, cache: FeatureCache) -> tuple[Any, int]:
    session = AnnotationSession(clip.frames, engine, cache=cache)
    return session, session.add_object().id


def run_object(
    clip: VideoClip,
    value: int,
    engine: TimedEngine,
    cache: FeatureCache,
    first_frame: str,
    max_corrections: int,
    tick: Callable[[], None] = lambda: None,
    restart_every: int | None = None,
    keyframes_every: int | None = None,
    from_truth: bool = False,
) -> ObjectRun:
    """Run the protocol for object ``value`` of ``clip``; ``tick`` is called once per frame.

    ``first_frame`` is ``"clicks"`` (the clicker until IoU ≥ 0.90, at most 20 clicks) or
    ``"gt"`` (the ground-truth mask is the start). Then each next frame is propagated from the
    previous one and corrected with at most ``max_corrections`` clicks until IoU ≥ 0.85; with
    ``from_truth``, from the ground truth of the previous one instead, in a session of its own
    (no clicks of earlier frames), so that each frame's corrections measure it alone. A second
    session propagates the frame-0 mask through the whole clip in one run without corrections.
    With ``restart_every`` N, the ground truth of frames 0, N, 2N, ... is also propagated for N
    frames each without corrections (``ObjectRun.j_restart``, every frame once). With
    ``keyframes_every`` N, the ground truth of frames 0, N, 2N, ... and the last are keyframes:
    the frames between each two are filled from both (``AnnotationSession.fill``,
    ``ObjectRun.j_fill``) and, for comparison, propagated from the earlier alone
    (``ObjectRun.j_forward``).
    """
    gt = clip.ground_truth(value)
    run = ObjectRun(clip.name, value, clip.objects[value], clip.first_frame)
    session, obj = _session(clip, engine, cache)
    if first_frame == "gt":
        set_start(session, obj, gt[0] == 1)
    else:
        run.first_clicks, _ = click_until(session, 0, obj, gt[0], FIRST_IOU, FIRST_MAX_CLICKS)
    start_mask = session.labels.read(0) == obj
    run.first_iou = frame_iou(gt[0], start_mask)
    tick()
    for t in range(1, len(gt)):
        if from_truth:
            session, obj = _session(clip, engine, cache)
            set_start(session, obj, gt[t - 1] == 1, t - 1)
        session.features(t)  # encoded here, so the step time is the propagation alone
        begin = time.perf_counter()
        for _ in session.propagate([obj], t - 1, n_frames=1):
            pass
        run.step_ms.append(1000.0 * (time.perf_counter() - begin))
        run.j_prop.append(frame_iou(gt[t], session.labels.read(t) == obj))
        used, score = click_until(session, t, obj, gt[t], FRAME_IOU, max_corrections)
        run.corrections.append(used)
        run.j_corrected.append(score)
        tick()
    pure, obj = _session(clip, engine, cache)
    set_start(pure, obj, start_mask)
    for step in pure.propagate([obj], 0):
        run.j_pure.append(frame_iou(gt[step.frame], pure.labels.read(step.frame) == obj))
        if step.status == FrameStatus.NEEDS_REVIEW:
            run.review_pure.append(step.frame)
        tick()
    run.pure_reached = len(run.j_pure)
    # frames the run never reached (the object stopped) count with an empty mask
    for t in range(len(run.j_pure) + 1, len(gt)):
        run.j_pure.append(frame_iou(gt[t], np.zeros(gt[t].shape, bool)))
        tick()
    if restart_every is not None:
        run.j_restart = _restarted(clip, gt, engine, cache, restart_every, tick)
    if keyframes_every is not None:
        run.j_fill, run.j_forward = _filled(clip, gt, engine, cache, keyframes_every, tick)
    return run


def keyframes(n_frames: int, every: int) -> list[int]:
    """The keyframes of a clip of ``n_frames`` frames: 0, ``every``, 2 ``every``, ... and
    the last frame."""
    keys = list(range(0, n_frames, every))
    return keys if keys[-1] == n_frames - 1 else [*keys, n_frames - 1]


def _filled(
    clip: VideoClip,
    gt: np.ndarray,
    engine: TimedEngine,
    cache: FeatureCache,
    every: int,
    tick: Callable[[], None],
) -> tuple[list[float], list[float]]:
    """IoU on the frames between keyframes (``keyframes``, the ground truth set on them),
    filled from both keyframes around them, and propagated from the earlier one alone
    (frames in order; a frame neither run reached counts as empty)."""
    filled: list[float] = []
    forward: list[float] = []
    keys = keyframes(len(gt), every)
    for start, end in pairwise(keys):
        if end - start < 2:
            continue
        both, obj = _session(clip, engine, cache)
        set_start(both, obj, gt[start] == 1, start)
        set_start(both, obj, gt[end] == 1, end)
        if obj in both.ids_on(start) or obj in both.ids_on(end):
            for _ in both.fill([obj], start, end):
                pass
        alone, lone = _session(clip, engine, cache)
        set_start(alone, lone, gt[start] == 1, start)
        for _ in alone.propagate([lone], start, n_frames=end - start - 1):
            pass
        for t in range(start + 1, end):
            filled.append(frame_iou(gt[t], both.labels.read(t) == obj))
            forward.append(frame_iou(gt[t], alone.labels.read(t) == lone))
            tick()
            tick()
    return filled, forward


def _restarted(
    clip: VideoClip,
    gt: np.ndarray,
    engine: TimedEngine,
    cache: FeatureCache,
    every: int,
    tick: Callable[[], None],
) -> list[float]:
    """IoU on frames 1.. of pure propagation restarted from the ground truth every ``every``
    frames, each run ``every`` frames long; frames a run never reached count as empty."""
    ious: list[float] = []
    for start in range(0, len(gt) - 1, every):
        session, obj = _session(clip, engine, cache)
        set_start(session, obj, gt[start] == 1, start)
        frames = min(every, len(gt) - 1 - start)
        reached = {}
        for step in session.propagate([obj], start, n_frames=frames):
            reached[step.frame] = session.labels.read(step.frame) == obj
        for t in range(start + 1, start + frames + 1):
            ious.append(frame_iou(gt[t], reached.get(t, np.zeros(gt[t].shape, bool))))
            tick()
    return ious


def review_scores(run: ObjectRun) -> tuple[float | None, float | None]:
    """How well the pure run's *needs review* marks point at frames that lost the object.

    A frame is lost when its ``J_pure`` is below ``LOST_IOU``; it is flagged when the run
    marked it for review or never reached it (the object stopped, which the user sees).
    Returns (recall: the share of lost frames flagged, precision: the share of marked frames
    lost); None where there is nothing to divide.
    """
    frames = range(1, len(run.j_pure) + 1)
    lost = {t for t in frames if run.j_pure[t - 1] < LOST_IOU}
    flagged = set(run.review_pure) | {t for t in frames if t > run.pure_reached}
    recall = len(lost & flagged) / len(lost) if lost else None
    marked = set(run.review_pure)
    precision = len(marked & lost) / len(marked) if marked else None
    return recall, precision


def set_start(session: AnnotationSession, obj: int, mask: np.ndarray, frame: int = 0) -> None:
    """Make ``mask`` the object's reviewed mask on ``frame`` (as if drawn and accepted)."""
    session.labels.set_frame(frame, np.where(mask, obj, 0).astype(session.labels.dtype))
    session.set_status(frame, FrameStatus.REVIEWED)
