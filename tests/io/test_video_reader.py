"""Lazy video reader: exact frame counts and rates, random access, laziness, bad input."""

from __future__ import annotations

import struct
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from napari_skipclick.io import VideoArray, VideoError, frame_hash, open_video
from napari_skipclick.types import VideoInfo

W, H = 64, 48


def synthetic_frame(i: int, width: int = W, height: int = H) -> np.ndarray:
    """A frame whose content encodes ``i``: a moving bar and a brightness ramp."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 0] = (i * 7) % 256
    frame[:, (i * 3) % width] = 255
    frame[(i * 2) % height, :, 2] = 200
    return frame


def write_video(
    path: Path,
    n: int,
    *,
    codec: str = "libx264",
    rate: Fraction = Fraction(25),
    gop: int = 12,
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    x264: str = "scenecut=0",  # keyframes exactly every `gop`
) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = W, H, pix_fmt
        stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.options = {"x264-params": x264}
        if rotation:
            stream.set_display_rotation(rotation)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(synthetic_frame(i), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def decode_all(path: Path) -> list[np.ndarray]:
    """Reference: every frame decoded in order, without seeking."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    return {
        "mp4": write_video(root / "clip.mp4", 90, gop=12),
        "mkv": write_video(root / "clip.mkv", 40, gop=10),
        "webm": write_video(root / "clip.webm", 30, codec="libvpx-vp9", gop=10),
        "avi": write_video(root / "clip.avi", 30, codec="mpeg4", gop=10),
        "mov": write_video(root / "clip.mov", 20, codec="mjpeg", pix_fmt="yuvj420p"),
        "ntsc": write_video(root / "ntsc.mp4", 20, rate=Fraction(30000, 1001)),
        "portrait": write_video(root / "portrait.mp4", 10, rotation=-90),
        # B-frames shown before a keyframe but decoded after it
        "open_gop": write_video(root / "open_gop.mkv", 40, gop=10, x264="scenecut=0:open-gop=1"),
    }


@pytest.mark.parametrize("kind", ["mp4", "mkv", "webm", "avi", "mov", "open_gop"])
def test_random_access_equals_sequential_decode(videos, kind):
    reference = decode_all(videos[kind])
    video = open_video(videos[kind], cache_bytes=0)
    assert video.shape == (len(reference), H, W, 3)
    assert video.dtype == np.uint8 and video.ndim == 4 and len(video) == len(reference)
    order = np.random.default_rng(0).permutation(len(reference))
    for t in order:
        np.testing.assert_array_equal(video[int(t)], reference[t], err_msg=f"frame {t}")
    np.testing.assert_array_equal(video[-1], reference[-1])


def test_frame_count_and_rate_are_exact(videos):
    assert open_video(videos["mp4"]).info.n_frames == 90
    ntsc = open_video(videos["ntsc"])
    assert ntsc.fps == pytest.approx(30000 / 1001, abs=1e-9)
    assert open_video(videos["mkv"]).fps == 25.0


def test_variable_frame_rate_is_indexed_by_timestamp(tmp_path):
    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        pts = 0
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(synthetic_frame(i), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            pts += 100 if i % 3 == 0 else 40  # steps of 100, 40, 40 ms
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    reference = decode_all(path)
    video = open_video(path, cache_bytes=0)
    assert len(video) == len(reference) == 30
    assert video.fps == 25.0  # the nominal rate matches the median step
    for t in np.random.default_rng(1).permutation(30):
        np.testing.assert_array_equal(video[int(t)], reference[t])


def test_display_rotation_is_applied(videos):
    # stored landscape, shown turned 90 degrees clockwise (a phone held upright)
    stored = decode_all(videos["portrait"])
    video = open_video(videos["portrait"])
    assert video.shape == (10, W, H, 3)
    np.testing.assert_array_equal(video[4], np.rot90(stored[4], -1))


def test_frame_count_ignores_a_lying_header(videos, tmp_path):
    # matroska stores no frame count: it has to be counted
    with av.open(str(videos["mkv"])) as container:
        assert container.streams.video[0].frames == 0
    assert len(open_video(videos["mkv"])) == 40
    # an AVI whose main and stream headers both claim 999 frames
    data = bytearray(videos["avi"].read_bytes())
    avih, strh = data.find(b"avih"), data.find(b"strh")
    data[avih + 24 : avih + 28] = struct.pack("<I", 999)
    data[strh + 40 : strh + 44] = struct.pack("<I", 999)
    liar = tmp_path / "liar.avi"
    liar.write_bytes(bytes(data))
    with av.open(str(liar)) as container:
        assert container.streams.video[0].frames == 999
    video = open_video(liar)
    assert len(video) == 30
    np.testing.assert_array_equal(video[29], decode_all(videos["avi"])[29])
    assert video.notes == [
        "liar.avi: the file declares 999 frames, 30 can be read (truncated or damaged?): only "
        "those are shown"
    ]
    assert open_video(videos["avi"]).notes == open_video(videos["mkv"]).notes == []


def test_a_truncated_file_says_so_where_it_is_opened(videos, tmp_path, monkeypatch):
    """An mp4 cut short (a download that stopped) still opens, with the frames it holds, and
    napari's reader says that the file declares more."""
    from napari_skipclick import _reader
    from napari_skipclick._sample_data import sample_video_path

    data = sample_video_path().read_bytes()  # its index comes first: a cut file still opens
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    video = open_video(cut)
    assert 0 < len(video) < 127 and video.notes
    assert "declares 127 frames" in video.notes[0]
    shown = []
    monkeypatch.setattr("napari.utils.notifications.show_warning", shown.append)
    layer_data, _, _ = _reader.video_layer_data(cut)
    assert shown == video.notes and len(layer_data) == len(video)


def test_opening_decodes_only_the_first_frame(videos):
    video = open_video(videos["mp4"], cache_bytes=0)
    assert video.n_decoded <= 2
    video[80]  # keyframes every 12 frames: decode from frame 72, not from 0
    assert video.n_decoded <= 2 + 12 + 4
    assert video.n_seeks == 2


def test_sequential_access_does_not_seek_per_frame(videos):
    reference = decode_all(videos["mp4"])
    video = open_video(videos["mp4"], cache_bytes=0)
    seeks = video.n_seeks
    for t in range(len(video)):
        np.testing.assert_array_equal(video[t], reference[t])
    assert video.n_seeks - seeks <= 1
    assert video.n_decoded <= len(reference) + 4


def test_stepping_back_reuses_one_decode(videos):
    reference = decode_all(videos["mp4"])
    video = open_video(videos["mp4"], cache_bytes=32 * H * W * 3)
    video[83]
    seeks = video.n_seeks
    for t in range(82, 71, -1):  # keyframes every 12 frames: 72..83 is one group of pictures
        np.testing.assert_array_equal(video[t], reference[t])
    assert video._source.keyframe_before(83) == video._source.keyframe_before(72) == 72
    assert video.n_seeks - seeks == 1


def test_cache_is_bounded_and_reused(videos):
    frame_bytes = H * W * 3
    video = open_video(videos["mp4"], cache_bytes=5 * frame_bytes)
    for t in range(len(video)):
        video[t]
    assert len(video._cache) == 5
    assert video.cached_nbytes == 5 * frame_bytes
    decoded = video.n_decoded
    video[len(video) - 2]  # still cached: no decoding
    assert video.n_decoded == decoded


def test_indexing_follows_numpy(videos):
    video = open_video(videos["mp4"])
    full = np.stack(decode_all(videos["mp4"]))
    for key in [
        5,
        -3,
        slice(10, 20, 3),
        (7, slice(2, 9), slice(None), 1),
        (Ellipsis, 0),
        (slice(None), 3, 4),
        [1, 50, -1],
        np.arange(90) % 17 == 0,
        slice(5, 5),
    ]:
        np.testing.assert_array_equal(video[key], full[key], err_msg=repr(key))
    with pytest.raises(IndexError):
        video[90]
    assert not video[3].flags.writeable  # frames are shared with the cache
    np.testing.assert_array_equal(np.asarray(video), full)


def test_asarray_refuses_huge_videos(videos):
    video = open_video(videos["mp4"])
    video.max_array_bytes = 10 * H * W * 3
    with pytest.raises(VideoError, match="index frames instead"):
        np.asarray(video)
    assert video[:3].shape == (3, H, W, 3)
    # a slice of every frame (napari's 3D view) was loaded whatever its size: 7 GB, frozen
    with pytest.raises(VideoError, match=r"refusing to load \d+ frames .*view the video in 2D"):
        video[:]
    assert video[:, : H // 10].shape == (len(video), H // 10, W, 3)


def test_closed_video_refuses_reads(videos):
    with open_video(videos["mkv"]) as video:
        video[3]
    with pytest.raises(VideoError, match="has been closed"):
        video[3]


def test_concurrent_reads_are_consistent(videos):
    reference = decode_all(videos["mp4"])
    video = open_video(videos["mp4"], cache_bytes=0)
    errors: list[str] = []

    def reader(seed: int) -> None:
        for t in np.random.default_rng(seed).integers(0, len(reference), 40):
            if not np.array_equal(video[int(t)], reference[t]):
                errors.append(f"frame {t} differs")

    threads = [threading.Thread(target=reader, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors


def test_info_and_fingerprint(videos, tmp_path):
    video = open_video(videos["mp4"])
    info = video.info
    assert isinstance(info, VideoInfo)
    assert (info.n_frames, info.height, info.width, info.fps) == (90, H, W, 25.0)
    assert info.path == str(videos["mp4"])
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(videos["mp4"].read_bytes())
    assert open_video(copy).info.fingerprint == info.fingerprint
    assert open_video(videos["ntsc"]).info.fingerprint != info.fingerprint


def test_a_relative_path_is_kept_absolute(videos, tmp_path, monkeypatch):
    """A store records the video's path: given relative (``annotate clip.mp4``), it must still
    lead to the video from another working folder."""
    (tmp_path / "frames").mkdir()
    Image.fromarray(synthetic_frame(0)).save(tmp_path / "frames" / "0.png")
    monkeypatch.chdir(videos["mp4"].parent)
    assert open_video("clip.mp4").info.path == str(videos["mp4"])
    monkeypatch.chdir(tmp_path / "frames")
    assert open_video("../frames").info.path == str(tmp_path / "frames")


def test_frame_hash_depends_on_content_shape_and_dtype():
    frame = synthetic_frame(3)
    assert frame_hash(frame) == frame_hash(frame.copy())
    assert frame_hash(frame) != frame_hash(synthetic_frame(4))
    assert frame_hash(frame) != frame_hash(frame.reshape(H * 2, W // 2, 3))
    assert frame_hash(frame) != frame_hash(frame.view(np.int8))
    assert frame_hash(frame[:, ::2]) == frame_hash(np.ascontiguousarray(frame[:, ::2]))


def test_frame_folder_natural_sort(tmp_path):
    names = ["f10.png", "f2.png", "f1.jpg", "F3.png", ".hidden.png", "notes.txt"]
    for i, name in enumerate(names[:4]):
        Image.fromarray(synthetic_frame(i)).save(tmp_path / name, quality=100)
    (tmp_path / ".hidden.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    video = open_video(tmp_path, fps=30)
    assert isinstance(video, VideoArray)
    assert video.shape == (4, H, W, 3) and video.fps == 30.0
    # natural order: f1.jpg, f2.png, F3.png, f10.png -> written as frames 2, 1, 3, 0
    np.testing.assert_array_equal(video[1], synthetic_frame(1))
    np.testing.assert_array_equal(video[2], synthetic_frame(3))
    np.testing.assert_array_equal(video[3], synthetic_frame(0))
    assert np.abs(video[0].astype(int) - synthetic_frame(2)).mean() < 3  # JPEG
    Image.fromarray(synthetic_frame(0)[:, :, 0]).save(tmp_path / "f11.png")  # greyscale
    assert open_video(tmp_path)[4].shape == (H, W, 3)


def test_one_photo_is_a_video_of_one_frame(tmp_path):
    """A JPEG or PNG file opens as one frame (PyAV could not decode a still JPEG: annotate,
    and exports with images of a photo's store, failed)."""
    for name in ("photo.jpg", "photo.png"):
        Image.fromarray(synthetic_frame(4)).save(tmp_path / name, quality=100)
        video = open_video(tmp_path / name)
        assert video.shape == (1, H, W, 3) and video.info.path == str(tmp_path / name)
        assert np.abs(video[0].astype(int) - synthetic_frame(4)).mean() < 3
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(VideoError, match=r"broken\.jpg: not a readable image"):
        open_video(tmp_path / "broken.jpg")


def test_16_bit_frames_are_scaled_to_8_bits_not_clipped(tmp_path):
    grey = (np.arange(H * W).reshape(H, W) % 256).astype(np.uint16) * 257
    Image.fromarray(grey).save(tmp_path / "f0.png")  # mode I;16: clipped to white before
    frame = open_video(tmp_path)[0]
    np.testing.assert_array_equal(frame[..., 0], grey // 257)
    assert (frame[..., 0] == frame[..., 2]).all()


@pytest.mark.timeout(20)
def test_bad_inputs_raise_video_error(tmp_path, videos):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    (tmp_path / "text.mkv").write_text("not a video")
    data = videos["mp4"].read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 3])
    avi = videos["avi"].read_bytes()
    (tmp_path / "no_frames.avi").write_bytes(avi[: avi.find(b"movi") + 4])
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "mixed").mkdir()
    Image.fromarray(synthetic_frame(0)).save(tmp_path / "mixed" / "0.png")
    Image.fromarray(synthetic_frame(1, width=32)).save(tmp_path / "mixed" / "1.png")
    (tmp_path / "broken").mkdir()
    Image.fromarray(synthetic_frame(0)).save(tmp_path / "broken" / "0.png")
    (tmp_path / "broken" / "1.png").write_bytes(b"\x89PNG garbage")
    cases = {
        "missing.mp4": "does not exist",
        "empty.mp4": "the file is empty",
        "garbage.mp4": "not a readable video",
        "text.mkv": "not a readable video",
        "truncated.mp4": "damaged, truncated or not a video",
        "no_frames.avi": "no frames",
        "empty_dir": "has no .jpg/.jpeg/.png/.tif/.tiff frames",
        "mixed": "frames differ in size: 0.png is 64x48, 1.png is 32x48",
        "broken": r"1 file\(s\) are not readable images: 1.png \(",
    }
    for name, message in cases.items():
        with pytest.raises(VideoError, match=message):
            open_video(tmp_path / name)


def test_audio_only_and_unknown_codec(tmp_path, videos):
    audio = tmp_path / "audio.mkv"
    with av.open(str(audio), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), "s16", "mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(VideoError, match="no video stream"):
        open_video(audio)
    # the same AVI with its codec FourCC replaced by one no decoder knows
    data = bytearray(videos["avi"].read_bytes())
    strh, strf = data.find(b"strh"), data.find(b"strf")
    data[strh + 12 : strh + 16] = b"QQQQ"
    data[strf + 24 : strf + 28] = b"QQQQ"
    unknown = tmp_path / "unknown.avi"
    unknown.write_bytes(bytes(data))
    with pytest.raises(VideoError, match="unsupported video codec"):
        open_video(unknown)


def test_video_file_is_released_when_the_array_is_collected(tmp_path, monkeypatch):
    import gc

    from napari_skipclick.io._video_file import VideoFileSource

    closed = []
    real_close = VideoFileSource.close
    monkeypatch.setattr(VideoFileSource, "close", lambda self: (closed.append(1), real_close(self)))
    video = open_video(write_video(tmp_path / "clip.mp4", 6))
    video.frame(2)
    assert closed == []
    del video  # what happens to a layer's data once napari lets go of the removed layer
    gc.collect()
    assert closed == [1]
    explicit = open_video(write_video(tmp_path / "other.mp4", 6))
    explicit.close()
    del explicit
    gc.collect()
    assert closed == [1, 1]  # closed once, never twice


def _read_in_child(video, t: int) -> bytes:
    return video.frame(t).tobytes()


def test_a_video_read_before_a_fork_is_read_in_the_child_and_pickles_as_its_path():
    """A DataLoader worker forked after the dataset had read a frame hung for ever in FFmpeg
    (the parent's decoder, whose threads the fork had not copied); under spawn the video could
    not be pickled at all."""
    import multiprocessing
    import pickle

    from napari_skipclick._sample_data import sample_video_path

    video = open_video(sample_video_path())  # large enough for FFmpeg's decoding threads
    video.frame(3)
    fork = multiprocessing.get_context("fork")
    here, there = fork.Pipe()
    child = fork.Process(target=lambda: there.send([_read_in_child(video, t) for t in (60, 20)]))
    child.start()  # inherits ``video`` as it is, as a DataLoader worker inherits its dataset
    try:
        assert here.poll(60), "the child hung reading the video"
        read = here.recv()
    finally:
        child.join(10)
        child.kill()
    expected = {t: video.frame(t).tobytes() for t in (20, 60)}  # the parent reads on as well
    assert read == [expected[60], expected[20]]
    copy = pickle.loads(pickle.dumps(video))
    assert copy.path == video.path and copy.frame(20).tobytes() == expected[20]


def test_12_bit_camera_frames_in_16_bit_files_are_scaled_from_their_range(tmp_path):
    """A 12-bit camera's frames saved as 16-bit PNGs (0..4095) came out almost black (values
    up to 16 of 255): the engine found nothing in them."""
    for t in range(3):
        grey = ((np.arange(H * W).reshape(H, W) * (t + 1)) % 4096).astype(np.uint16)
        Image.fromarray(grey).save(tmp_path / f"f{t}.png")
    video = open_video(tmp_path)
    last = ((np.arange(H * W).reshape(H, W) * 3) % 4096).astype(np.float64)
    np.testing.assert_array_equal(video[2][..., 0], np.rint(last * 255 / 4095).astype(np.uint8))
    assert any("16-bit frames holding 12-bit data" in note for note in video.notes)
    # a dim 12-bit video (sampled frames up to 1500) is scaled as 12-bit: a flash keeps detail
    for t in range(9):
        grey = np.full((H, W), 1500 if t != 3 else 3000, np.uint16)
        grey[0, 0] = 0
        Image.fromarray(grey).save(tmp_path / f"f{t}.png")
    dim = open_video(tmp_path)
    assert dim[3][5, 5, 0] == round(3000 * 255 / 4095) and dim[0][5, 5, 0] < dim[3][5, 5, 0]


def test_floating_point_frames_are_refused_not_read_black(tmp_path):
    Image.fromarray(np.full((H, W), 0.5, np.float32)).save(tmp_path / "f32.tif")
    with pytest.raises(VideoError, match=r"f32\.tif: floating-point pixels"):
        open_video(tmp_path / "f32.tif")
