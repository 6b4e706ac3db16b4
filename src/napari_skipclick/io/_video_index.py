"""The frame index of a video file: every packet's timestamp and keyframe flag, no decoding."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._frame_sources import VideoError, reason


def scan_timestamps(container, stream, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Demux (without decoding) every packet: frame pts in presentation order and keyframe
    frame indices. Frames that share a timestamp (a 2400 fps clip in Matroska's milliseconds)
    are all kept, in decode order."""
    import av

    stamps: list[int] = []
    keys: list[int] = []  # packet numbers
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                raise VideoError(f"{name}: video packets carry no timestamps; remux the file")
            if packet.is_keyframe:
                keys.append(len(stamps))
            stamps.append(ts)
    except av.FFmpegError as exc:
        if not stamps:
            raise VideoError(f"{name}: not a readable video ({reason(exc)})") from exc
    if not stamps:
        raise VideoError(f"{name}: the video has no frames")
    packet_pts = np.asarray(stamps, dtype=np.int64)
    order = np.argsort(packet_pts, kind="stable")
    frame_of_packet = np.empty_like(order)
    frame_of_packet[order] = np.arange(len(order))
    keyframes = np.unique(np.concatenate([[0], frame_of_packet[keys]])).astype(np.int64)
    return packet_pts[order], keyframes


def frame_rate(stream, pts: np.ndarray) -> float:
    """The nominal rate if the timestamps agree with it, else 1 / the median timestamp step.
    Timestamps coarser than the frames (frames that share a tick) are measured over their
    whole span and agree with a nominal rate whose frames span as many ticks, give or take one."""
    tick = float(stream.time_base or Fraction(1, 1))
    measured = span = None
    if len(pts) > 1:
        steps = np.diff(pts)
        if (steps == 0).any():
            span = float(pts[-1] - pts[0])
        step = (span / (len(pts) - 1) if span is not None else float(np.median(steps))) * tick
        measured = 1.0 / step if step > 0 else None
    for nominal in (stream.guessed_rate, stream.average_rate, stream.base_rate):
        if not nominal or float(nominal) <= 0:
            continue
        if span is not None:
            agrees = abs((len(pts) - 1) / float(nominal) / tick - span) <= 1
        else:
            agrees = measured is None or abs(float(nominal) - measured) <= 0.01 * measured
        if agrees:
            return float(nominal)
    return measured if measured is not None else 25.0  # a single frame without a rate
