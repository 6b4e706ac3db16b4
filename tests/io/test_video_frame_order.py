"""Frame ``t`` is the ``t``-th frame PyAV decodes, whatever the file's timestamps say: frames that
share a timestamp, B-frames in containers without presentation timestamps, MPEG-TS seeking."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from napari_skipclick.io import VideoError, open_video

W, H = 128, 96


def numbered(i: int) -> np.ndarray:
    """A frame showing ``i`` as six black or white 20-pixel blocks in its top 16 rows."""
    frame = np.zeros((H, W, 3), np.uint8)
    for bit in range(6):
        frame[:16, bit * 20 : (bit + 1) * 20] = 255 * ((i >> bit) & 1)
    frame[16:, :, 1] = (i * 9) % 256
    return frame


def number_of(frame: np.ndarray) -> int:
    """The number ``numbered`` wrote into ``frame``."""
    return sum(1 << bit for bit in range(6) if frame[8, bit * 20 + 10].mean() > 128)


def write_numbered(
    path: Path, n: int, *, rate: int = 25, fmt: str | None = None, **options: str
) -> Path:
    """H.264 frames 0..n-1 (x264 ``options``, e.g. ``bf``, ``g``) in the container of ``path``."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=Fraction(rate))
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"x264-params": "scenecut=0", **options}
        for i in range(n):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(numbered(i), format="rgb24")))
        container.mux(stream.encode(None))
    return path


def decoded_numbers(path: Path) -> list[int]:
    """The frames PyAV decodes from the start, in its order."""
    with av.open(str(path)) as container:
        return [number_of(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


def assert_reads_every_frame(path: Path, n: int) -> None:
    """Sequential, backward and random reads all show frame ``t`` as the ``t``-th decoded."""
    assert decoded_numbers(path) == list(range(n))
    video = open_video(path, cache_bytes=0)
    assert len(video) == n
    assert [number_of(video[t]) for t in range(n)] == list(range(n))
    assert video.n_seeks == 1 and video.n_decoded <= n + 4  # playback: each frame decoded once
    backward = open_video(path, cache_bytes=0)
    assert [number_of(backward[t]) for t in reversed(range(n))] == list(reversed(range(n)))
    jumps = np.random.default_rng(7).permutation(n).tolist()
    jumping = open_video(path, cache_bytes=0)
    assert [number_of(jumping[t]) for t in jumps] == jumps


@pytest.mark.parametrize("gop", ["12", "1"])  # keyframes every 12 frames; every frame a keyframe
def test_frames_that_share_a_timestamp_are_all_read(tmp_path, gop):
    """A 2400 fps clip in Matroska (millisecond timestamps): two or three frames per
    timestamp; 11 of 24 frames were shown, the others dropped."""
    path = write_numbered(tmp_path / "highspeed.mkv", 24, rate=2400, bf="0", g=gop)
    with av.open(str(path)) as container:
        stamps = [p.pts for p in container.demux(video=0) if p.size]
    assert len(set(stamps)) < len(stamps)
    assert_reads_every_frame(path, 24)
    assert open_video(path).fps == 2400.0


@pytest.mark.parametrize("name", ["cam.MTS", "open_gop.ts"])
def test_mpeg_ts_with_b_frames_reads_every_frame(tmp_path, name):
    """MPEG-TS seeks by decode timestamps, to any packet: seeking to the first frame's pts
    landed on frame 12's keyframe, and frames 0-12 all showed frame 12."""
    options = {"bf": "3", "g": "12"}
    if name == "open_gop.ts":
        options["x264-params"] = "scenecut=0:open-gop=1"
    path = write_numbered(tmp_path / name, 30, fmt="mpegts", **options)
    assert_reads_every_frame(path, 30)


@pytest.mark.parametrize("x264", ["scenecut=0", "scenecut=0:open-gop=1"])
def test_h264_with_b_frames_in_avi_reads_every_frame(tmp_path, x264):
    """AVI stores no presentation timestamps: its packets' pts count them in decode order, and
    frames matched by pts came out as 0, 0, 0, 1, 3, 4, 4, 5, ..."""
    path = write_numbered(tmp_path / "h264_b.avi", 30, bf="3", g="12", **{"x264-params": x264})
    with av.open(str(path)) as container:
        stamps = [p.pts for p in container.demux(video=0) if p.size]
    assert stamps == sorted(stamps)  # decode order, though frames are shown in another
    assert_reads_every_frame(path, 30)


def test_a_losslessly_trimmed_mp4_is_not_called_truncated(tmp_path):
    """``ffmpeg -ss 0.2 -c copy`` keeps the packets before the cut (the keyframe they need) and
    an edit list hides them: the header's 30 frames are not a sign of damage."""
    full = write_numbered(tmp_path / "full.mp4", 30)
    trimmed = tmp_path / "trimmed.mp4"
    with av.open(str(full)) as source, av.open(str(trimmed), "w") as target:
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(video=0):
            if packet.size:
                packet.pts -= 5 * 512  # five frames of 1/12800 s ticks
                packet.dts -= 5 * 512
                packet.stream = stream
                target.mux(packet)
    with av.open(str(trimmed)) as container:
        assert container.streams.video[0].frames == 30
    video = open_video(trimmed)
    assert decoded_numbers(trimmed) == list(range(5, 30))
    assert [number_of(video[t]) for t in range(len(video))] == list(range(5, 30))
    assert video.notes == []


def test_an_mp4_cut_inside_its_index_says_it_ends_early(tmp_path):
    """An MP4 with its index first (``+faststart``) cut after 40-300 bytes opens with no video
    stream: 'the file has no video stream' sent users looking for a codec problem."""
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i in range(5):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(numbered(i), format="rgb24")))
        container.mux(stream.encode(None))
    data = path.read_bytes()
    assert data[36:40] == b"moov"
    for size in (40, 100, 200, 300):
        (tmp_path / "cut.mp4").write_bytes(data[:size])
        with pytest.raises(VideoError, match=r"cut\.mp4: the file ends before any video data"):
            open_video(tmp_path / "cut.mp4")


def test_a_jump_to_a_keyframe_decodes_from_that_keyframe(tmp_path):
    """Jumps seek to the keyframe itself, not to one before it (B-frames make an MP4's first
    decode timestamp negative: seeking by decode timestamps landed a whole GOP early)."""
    path = write_numbered(tmp_path / "clip.mp4", 36, bf="3", g="12")
    video = open_video(path, cache_bytes=0)
    for t in (24, 12, 30):
        decoded = video.n_decoded
        assert number_of(video[t]) == t
        assert video.n_decoded - decoded <= (1 if t % 12 == 0 else t % 12 + 4)
