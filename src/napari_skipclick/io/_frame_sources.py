"""Frame sources behind ``VideoArray``: a PyAV video file and a folder of JPEG/PNG frames.

Sources are not thread-safe; ``VideoArray`` serialises calls to ``read``.
"""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

_MIB = 2**20
#: seeking costs about as much as decoding this many frames; closer targets decode forward
_SEEK_COST_FRAMES = 4


class VideoError(ValueError):
    """A video or frame folder that cannot be read, with the reason in the message."""


class FrameSource(Protocol):
    """What ``VideoArray`` needs from a backend."""

    path: Path
    n_frames: int
    height: int
    width: int
    fps: float
    n_decoded: int
    n_seeks: int
    notes: list[str]  # what a user should know of the file (frames that cannot be read)

    def read(self, index: int) -> np.ndarray: ...

    def keyframe_before(self, index: int) -> int: ...

    def fingerprint(self) -> str: ...

    def close(self) -> None: ...


def natural_key(name: str) -> list:
    """Sort key that orders ``frame2`` before ``frame10`` (case-insensitive)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class VideoFileSource:
    """A video file read through PyAV: one index scan on open, seek + decode forward on read."""

    def __init__(self, path: Path) -> None:
        import av

        self.path = path
        self.n_decoded = 0
        self.n_seeks = 0
        name = path.name
        try:
            self._container = av.open(str(path), "r")
        except av.error.EOFError as exc:
            raise VideoError(
                f"{name}: the file ends before any video data (empty or truncated)"
            ) from exc
        except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise VideoError(
                f"{name}: not a readable video ({_reason(exc)}); the file is damaged, "
                "truncated or not a video"
            ) from exc
        try:
            self._stream = _pick_video_stream(self._container, name)
            self._codec = _open_decoder(self._stream, name)
            self._pts, self._keyframes = _scan_timestamps(self._container, self._stream, name)
            self.n_frames = len(self._pts)
            declared = int(self._stream.frames or 0)
            self.notes: list[str] = []
            if declared > self.n_frames:
                self.notes.append(
                    f"{name}: the file declares {declared} frames, {self.n_frames} can be read "
                    "(truncated or damaged?): only those are shown"
                )
            self.fps = _frame_rate(self._stream, self._pts)
            self._position: int | None = None  # last frame index decoded; None: seek first
            self._frames = iter(())
            self._pending = None
            self._target = 0
            first = self._decode_to(0)
            # display rotation (phone videos): quarter turns counter-clockwise, as players show it
            self._quarter_turns = round((getattr(first, "rotation", 0) or 0) / 90) % 4
            self._raw_size = (first.height, first.width)
            turned = self._quarter_turns % 2 == 1
            self.height, self.width = self._raw_size[::-1] if turned else self._raw_size
        except BaseException:
            self._container.close()
            raise
        self._first_rgb: np.ndarray | None = self._to_rgb(first)

    def read(self, index: int) -> np.ndarray:
        """Decode frame ``index`` (presentation order) as an ``(H, W, 3) uint8`` array."""
        if index == 0 and self._first_rgb is not None:  # decoded on open; handed over once
            rgb, self._first_rgb = self._first_rgb, None
            return rgb
        return self._to_rgb(self._decode_to(index))

    def keyframe_before(self, index: int) -> int:
        """The last keyframe at or before ``index``: where decoding frame ``index`` starts."""
        return int(self._keyframes[np.searchsorted(self._keyframes, index, side="right") - 1])

    def fingerprint(self) -> str:
        """sha256 over size, frame count, frame size and the file's first and last MiB."""
        size = self.path.stat().st_size
        digest = hashlib.sha256(b"napari-skipclick video v1\0")
        digest.update(f"{size}|{self.n_frames}|{self.height}|{self.width}\0".encode())
        with open(self.path, "rb") as fh:
            digest.update(fh.read(_MIB))
            fh.seek(max(0, size - _MIB))
            digest.update(fh.read(_MIB))
        return digest.hexdigest()

    def close(self) -> None:
        self._frames = iter(())
        self._container.close()

    def _to_rgb(self, frame) -> np.ndarray:
        height, width = self._raw_size
        if (frame.height, frame.width) != (height, width):
            rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
        else:
            rgb = frame.to_ndarray(format="rgb24")
        if self._quarter_turns:
            rgb = np.ascontiguousarray(np.rot90(rgb, self._quarter_turns))
        return rgb

    def _decode_to(self, index: int):
        """Decoded frame ``index``: the last frame whose pts is at most that frame's pts."""
        target = int(self._pts[index])
        key = int(np.searchsorted(self._keyframes, index, side="right")) - 1
        position = self._position
        seeked = (
            position is None
            or index <= position
            or int(self._keyframes[key]) > position + _SEEK_COST_FRAMES
        )
        if seeked:
            self._seek(int(self._keyframes[key]))
        while True:
            frame, late = self._decode_forward(target)
            if not late:
                self._position = index
                return frame
            if seeked and key == 0:
                if frame is None:
                    raise VideoError(f"{self.path.name}: frame {index} could not be decoded")
                self._position = None
                return frame
            # the decoder started past the target (open GOP, corrupt packets): start earlier
            key = key - 1 if seeked else key
            self._seek(int(self._keyframes[key]))
            seeked = True

    def _decode_forward(self, target: int):
        """Decode up to pts ``target``; return (frame, late).

        ``frame`` is the frame with pts == target, else the last one before it (``late`` False);
        if the first frame decoded is already past the target, or none is left, ``late`` is True.
        """
        self._target = target
        previous = None
        while (frame := self._next_frame()) is not None:
            pts = frame.pts if frame.pts is not None else frame.dts
            if pts is None or pts == target:
                return frame, False
            if pts > target:
                if previous is None:
                    return frame, True
                self._pending = frame
                return previous, False
            previous = frame
        return previous, previous is None

    def _next_frame(self):
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        return next(self._frames, None)

    def _seek(self, keyframe_index: int) -> None:
        self._container.seek(int(self._pts[keyframe_index]), stream=self._stream, backward=True)
        self._codec.flush_buffers()
        self.n_seeks += 1
        self._frames = self._decoded_frames()
        self._pending = None
        self._position = None

    def _decoded_frames(self):
        """Frames decoded from the current demux position on; corrupt packets are skipped."""
        import av

        skipping = None  # the decoder's setting may be left over from before the seek
        for packet in self._container.demux(self._stream):
            # frames shown before the target are not needed: let the decoder drop the
            # non-reference ones (B-frames) instead of decoding them
            skip = packet.pts is not None and packet.pts < self._target
            if skip != skipping:
                self._codec.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
            try:
                frames = self._codec.decode(packet)
            except av.FFmpegError:
                continue
            self.n_decoded += len(frames)
            yield from frames


def rgb8(image: Any) -> np.ndarray:
    """A PIL image as ``(H, W, 3) uint8`` (the one rule for photos, frames and evaluation
    images: grey repeated, alpha dropped, a palette looked up). 16-bit grey (PNG, TIFF) is
    scaled from its full
    range (``value / 257``), the same for every frame: PIL's own conversion clips it at 255,
    white wherever the frame is not almost black."""
    if image.mode.startswith("I"):  # "I;16", "I;16B", "I" (32-bit integers)
        grey = np.asarray(image).astype(np.float64) / 257.0
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"))


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(": '")[0].strip() or type(exc).__name__


def _pick_video_stream(container, name: str):
    streams = [s for s in container.streams.video if not _is_cover_art(s)]
    if not streams:
        raise VideoError(f"{name}: the file has no video stream")
    return streams[0]


def _is_cover_art(stream) -> bool:
    try:
        import av

        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def _open_decoder(stream, name: str):
    codec = stream.codec_context
    codec_name = getattr(codec, "name", None) if codec is not None else None
    if not codec_name or codec_name == "none":
        raise VideoError(f"{name}: unsupported video codec (no decoder available)")
    codec.thread_type = "AUTO"
    return codec


def _scan_timestamps(container, stream, name: str) -> tuple[np.ndarray, np.ndarray]:
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
            raise VideoError(f"{name}: not a readable video ({_reason(exc)})") from exc
    if not stamps:
        raise VideoError(f"{name}: the video has no frames")
    pts = np.unique(np.asarray(stamps, dtype=np.int64))
    key_pts = np.asarray(keys or [pts[0]], dtype=np.int64)
    keyframes = np.unique(np.searchsorted(pts, key_pts))
    if keyframes[0] != 0:
        keyframes = np.concatenate([[0], keyframes])
    return pts, keyframes


def _frame_rate(stream, pts: np.ndarray) -> float:
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


class FrameFolderSource:
    """A folder of JPEG/PNG frames, naturally sorted by file name; all frames the same size.
    A single image file (``path`` a file) is a video of one frame."""

    def __init__(self, path: Path, suffixes: tuple[str, ...], *, fps: float) -> None:
        from PIL import Image, UnidentifiedImageError

        self.path = path
        self.fps = float(fps)
        self.n_decoded = 0
        self.n_seeks = 0
        self.notes: list[str] = []
        try:
            files = (
                [path]
                if path.is_file()
                else [
                    p
                    for p in path.iterdir()
                    if p.suffix.lower() in suffixes and not p.name.startswith(".") and p.is_file()
                ]
            )
        except OSError as exc:
            raise VideoError(f"{path}: cannot list the folder ({_reason(exc)})") from exc
        if not files:
            raise VideoError(f"{path}: the folder has no {'/'.join(suffixes)} frames")
        self._files = sorted(files, key=lambda p: natural_key(p.name))
        self.n_frames = len(self._files)
        sizes = []
        for file in self._files:
            try:
                with Image.open(file) as image:
                    sizes.append(image.size)
            except (OSError, UnidentifiedImageError) as exc:
                raise VideoError(f"{file.name}: not a readable image ({_reason(exc)})") from exc
        width, height = sizes[0]
        for file, size in zip(self._files, sizes, strict=True):
            if size != (width, height):
                raise VideoError(
                    f"{path}: frames differ in size: {self._files[0].name} is {width}x{height}, "
                    f"{file.name} is {size[0]}x{size[1]}"
                )
        self.height, self.width = height, width

    def read(self, index: int) -> np.ndarray:
        from PIL import Image

        file = self._files[index]
        try:
            with Image.open(file) as image:
                rgb = rgb8(image)
        except OSError as exc:
            raise VideoError(f"{file.name}: not a readable image ({_reason(exc)})") from exc
        self.n_decoded += 1
        return rgb

    def keyframe_before(self, index: int) -> int:
        """Every image decodes on its own."""
        return index

    def fingerprint(self) -> str:
        """sha256 over frame count, size, every file's name and byte size, first and last file."""
        digest = hashlib.sha256(b"napari-skipclick frames v1\0")
        digest.update(f"{self.n_frames}|{self.height}|{self.width}\0".encode())
        for file in self._files:
            digest.update(f"{file.name}|{file.stat().st_size}\0".encode())
        for file in dict.fromkeys([self._files[0], self._files[-1]]):
            digest.update(file.read_bytes())
        return digest.hexdigest()

    def close(self) -> None:
        """Nothing to release: files are opened per read."""
