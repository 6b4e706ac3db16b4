"""The frame index of a video file: every packet's timestamp and keyframe flag, no decoding."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._frame_sources import VideoError, reason


def scan_timestamps(container, stream, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Demux (without decoding) every packet: sorted frame pts and keyframe frame indices."""
    import av

    stamps: list[int] = []
    keys: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                raise VideoError(f"{name}: video packets carry no timestamps; remux the file")
            stamps.append(ts)
            if packet.is_keyframe:
                keys.append(ts)
    except av.FFmpegError as exc:
        if not stamps:
            raise VideoError(f"{name}: not a readable video ({reason(exc)})") from exc
    if not stamps:
        raise VideoError(f"{name}: the video has no frames")
    pts = np.unique(np.asarray(stamps, dtype=np.int64))
    key_pts = np.asarray(keys or [pts[0]], dtype=np.int64)
    keyframes = np.unique(np.searchsorted(pts, key_pts))
    if keyframes[0] != 0:
        keyframes = np.concatenate([[0], keyframes])
    return pts, keyframes


def frame_rate(stream, pts: np.ndarray) -> float:
    """The nominal rate if the timestamps agree with it, else 1 / the median timestamp step."""
    time_base = stream.time_base or Fraction(1, 1)
    measured = None
    if len(pts) > 1:
        step = float(np.median(np.diff(pts))) * float(time_base)
        measured = 1.0 / step if step > 0 else None
    for nominal in (stream.guessed_rate, stream.average_rate, stream.base_rate):
        agrees = measured is None or abs(float(nominal or 0) - measured) <= 0.01 * measured
        if nominal and float(nominal) > 0 and agrees:
            return float(nominal)
    return measured if measured is not None else 25.0  # a single frame without a rate
