"""The frame index of a video file: every packet's timestamp and keyframe flag, no decoding."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._frame_sources import VideoError, reason


@dataclass(frozen=True)
class VideoIndex:
    """What the demux scan found: enough to find any frame without decoding the others."""

    #: each frame's pts, in presentation order (frames that share one in decode order)
    pts: np.ndarray
    #: frame numbers of the keyframes, ascending (frame 0 always among them)
    keyframes: np.ndarray
    #: each keyframe's decode timestamp (its pts where it has none): MPEG-TS seeks by these
    key_dts: np.ndarray
    #: a timestamp at or before every packet: seeking there lands on the first packet
    start: int
    #: the codec reorders frames but the packets' pts are their decode order (H.264 with
    #: B-frames in AVI): frames are counted as they come out of the decoder, not matched by pts
    counted: bool
    #: packets an edit list leaves out (a losslessly trimmed MP4): decoded, never shown
    discarded: int


def scan_timestamps(container, stream, name: str) -> VideoIndex:
    """Demux (without decoding) every packet into a ``VideoIndex``. Frames that share a
    timestamp (a 2400 fps clip in Matroska's milliseconds) are all kept, in decode order."""
    import av

    stamps: list[int] = []
    keys: list[tuple[int, int, bool]] = []  # (packet number, decode timestamp, closed GOP)
    start = None
    delays: set[int] = set()  # pts - dts
    discarded = 0
    codec = stream.codec_context.name if stream.codec_context.has_b_frames else None
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            start = min((t for t in (packet.pts, packet.dts, start) if t is not None), default=None)
            if packet.is_discard:
                discarded += 1
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                raise VideoError(f"{name}: video packets carry no timestamps; remux the file")
            if packet.pts is not None and packet.dts is not None:
                delays.add(packet.pts - packet.dts)
            if packet.is_keyframe:
                dts = packet.dts if packet.dts is not None else ts
                keys.append((len(stamps), dts, _starts_closed_gop(packet, codec)))
            stamps.append(ts)
    except av.FFmpegError as exc:
        if not stamps:
            raise VideoError(f"{name}: not a readable video ({reason(exc)})") from exc
    if not stamps:
        raise VideoError(f"{name}: the video has no frames")
    counted = codec is not None and len(delays) <= 1
    packet_pts = np.asarray(stamps, dtype=np.int64)
    order = np.argsort(packet_pts, kind="stable")
    frame_of_packet = np.empty_like(order)
    frame_of_packet[order] = np.arange(len(order))
    # counting frames needs a keyframe that nothing after it precedes on screen
    key_frames = {int(frame_of_packet[n]): dts for n, dts, closed in keys if closed or not counted}
    key_frames.setdefault(0, start)  # no keyframe first: decode from the first packet
    keyframes = np.asarray(sorted(key_frames), dtype=np.int64)
    key_dts = np.asarray([key_frames[k] for k in keyframes], dtype=np.int64)
    return VideoIndex(packet_pts[order], keyframes, key_dts, int(start), counted, discarded)


def _starts_closed_gop(packet, codec: str | None) -> bool:
    """False for an H.264/HEVC keyframe (in Annex B, as AVI stores it) that is not an IDR
    picture: frames after it in the file may be shown before it (an open GOP), which a decoder
    that starts there drops, so frames could not be counted from it."""
    if codec not in ("h264", "hevc"):
        return True
    data = memoryview(packet)[:4096].tobytes()
    at = data.find(b"\x00\x00\x01")
    if at < 0:
        return True  # length-prefixed (MP4, Matroska): their pts say the order
    while 0 <= at < len(data) - 3:
        header = data[at + 3]
        if codec == "h264" and 1 <= header & 0x1F <= 5:  # the first slice
            return header & 0x1F == 5
        if codec == "hevc" and (header >> 1) & 0x3F < 32:
            return 16 <= (header >> 1) & 0x3F <= 20  # BLA or IDR
        at = data.find(b"\x00\x00\x01", at + 3)
    return False


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
