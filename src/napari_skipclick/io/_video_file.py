"""A video file read through PyAV: one index scan on open, seek + decode forward on read."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np

from ._frame_sources import VideoError, reason
from ._video_index import frame_rate, scan_timestamps

_MIB = 2**20
#: seeking costs about as much as decoding this many frames; closer targets decode forward
_SEEK_COST_FRAMES = 4


class VideoFileSource:
    """A video file read through PyAV: one index scan on open, seek + decode forward on read."""

    def __init__(self, path: Path) -> None:
        import av

        self.path = path
        #: this source's own colour converter: PyAV's default one is kept per thread, and a
        #: forked child (a DataLoader worker) that used the parent's hung in its dead threads
        self._reformatter = av.video.reformatter.VideoReformatter()
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
                f"{name}: not a readable video ({reason(exc)}); the file is damaged, "
                "truncated or not a video"
            ) from exc
        try:
            self._stream = _pick_video_stream(self._container, name)
            self._codec = _open_decoder(self._stream, name)
            self._index = scan_timestamps(self._container, self._stream, name)
            self._pts, self._keyframes = self._index.pts, self._index.keyframes
            self._key_pts = self._pts[self._keyframes]
            self._seek_by_dts = False  # MPEG-TS: seeking to a pts lands on a later packet
            self.n_frames = len(self._pts)
            declared = int(self._stream.frames or 0)
            self.notes: list[str] = []
            if declared > self.n_frames + self._index.discarded:  # not an edit list's cut
                self.notes.append(
                    f"{name}: the file declares {declared} frames, {self.n_frames} can be read "
                    "(truncated or damaged?): only those are shown"
                )
            self.fps = frame_rate(self._stream, self._pts)
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
        """The keyframe where decoding frame ``index`` starts."""
        return int(self._keyframes[self._start_key(index)])

    def _start_key(self, index: int) -> int:
        """The keyframe (its number in ``_keyframes``) to seek to for frame ``index``: the last
        one at or before every frame that shares the frame's timestamp, so that the frame can be
        told from them by counting; one that shares its timestamp with another keyframe is
        passed over (the demuxer may land on either)."""
        first = int(np.searchsorted(self._pts, self._pts[index]))
        key = int(np.searchsorted(self._keyframes, first, side="right")) - 1
        key_pts = self._key_pts
        while key > 0 and (
            key_pts[key - 1] == key_pts[key]
            or (key + 1 < len(key_pts) and key_pts[key + 1] == key_pts[key])
        ):
            key -= 1
        return key

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

    def former_fingerprints(self) -> tuple[str, ...]:
        """None: a video file's fingerprint never changed."""
        return ()

    def frame_files(self) -> tuple[str, ...]:
        """None: a video file's frames are no files."""
        return ()

    def close(self) -> None:
        self._frames = iter(())
        self._container.close()

    def _to_rgb(self, frame) -> np.ndarray:
        height, width = self._raw_size
        # a frame of another size (a stream whose size changes) is scaled to the first's
        rgb = self._reformatter.reformat(
            frame, width=width, height=height, format="rgb24"
        ).to_ndarray()
        if self._quarter_turns:
            rgb = np.ascontiguousarray(np.rot90(rgb, self._quarter_turns))
        return rgb

    def _decode_to(self, index: int):
        """Decoded frame ``index``: the frame with that frame's pts (the n-th of those that
        share it), else the last frame decoded before it (a corrupt packet)."""
        if self._index.counted:
            return self._count_to(index)
        target = int(self._pts[index])
        first = int(np.searchsorted(self._pts, target))  # the first frame with that pts
        key = self._start_key(index)
        position = self._position
        seeked = (
            position is None
            or index <= position
            or int(self._keyframes[key]) > position + _SEEK_COST_FRAMES
        )
        if seeked:
            self._seek(key)
        while True:
            # frames with the target's pts still to come before it
            rank = index - (first if seeked else max(first, position + 1))
            frame, late = self._decode_forward(target, rank)
            if not late:
                self._position = index
                return frame
            if seeked and key == 0:  # from the first packet on, nothing came out before it
                raise VideoError(f"{self.path.name}: frame {index} could not be decoded")
            # the decoder started past the target (open GOP, corrupt packets): start earlier
            key = key - 1 if seeked else key
            self._seek(key)
            seeked = True

    def _count_to(self, index: int):
        """Decoded frame ``index`` where frames are counted: the ``index``-th the decoder gives
        from the start. After a seek the first frame must be the keyframe landed on (its pts,
        its packet's); else counting starts from the first packet."""
        key = self._start_key(index)
        position = self._position
        far = position is None or self._keyframes[key] > position + _SEEK_COST_FRAMES
        if far or index <= position:
            for start in dict.fromkeys([key, 0]):
                ordinal = self._seek(start)
                frame = self._next_frame()
                if frame is not None and frame.pts == self._pts[ordinal]:
                    break
            else:
                raise VideoError(f"{self.path.name}: frame {index} could not be decoded")
        else:
            ordinal, frame = position + 1, self._next_frame()
        while frame is not None and ordinal < index:
            ordinal, frame = ordinal + 1, self._next_frame()
        if frame is None:
            raise VideoError(f"{self.path.name}: frame {index} could not be decoded")
        self._position = index
        return frame

    def _decode_forward(self, target: int, rank: int):
        """Decode up to pts ``target``; return (frame, late).

        ``frame`` is the frame with pts == target after ``rank`` others with it, else the last
        one before it (``late`` False); if the first frame decoded is already past the target,
        or none is left, ``late`` is True.
        """
        self._target = target
        previous = None
        while (frame := self._next_frame()) is not None:
            pts = frame.pts if frame.pts is not None else frame.dts
            if pts is None or (pts == target and rank == 0):
                return frame, False
            if pts > target:
                if previous is None:
                    return frame, True
                self._pending = frame
                return previous, False
            rank -= pts == target
            previous = frame
        return previous, previous is None

    def _next_frame(self):
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        return next(self._frames, None)

    def _seek(self, key: int) -> int:
        """Seek to keyframe number ``key``, or to one before it: the demuxer must land on a
        keyframe at or before it (MPEG-TS seeks by decode timestamps, to any packet). Returns
        the frame landed on where frames are counted."""
        import av

        index = self._index
        by_pts, by_dts = int(self._key_pts[key]), int(index.key_dts[key])
        tries = [by_pts, by_dts, index.start][1 if self._seek_by_dts else 0 :]
        self.n_seeks += 1
        self._pending = None
        self._position = None
        for stamp in [index.start] if key == 0 else tries:
            try:
                self._container.seek(stamp, stream=self._stream, backward=True)
            except av.FFmpegError:
                continue
            self._codec.flush_buffers()
            packets = self._container.demux(self._stream)
            landed = next((packet for packet in packets if packet.size), None)
            if landed is not None and landed.is_keyframe:
                at = landed.pts if landed.pts is not None else landed.dts
                ordinal = int(np.searchsorted(self._pts, at)) if at is not None else 0
                known = not index.counted or (ordinal < len(self._pts) and self._pts[ordinal] == at)
                if at is not None and at <= by_pts and known:
                    self._seek_by_dts |= key > 0 and stamp == by_dts != by_pts
                    self._frames = self._decoded_frames(itertools.chain([landed], packets))
                    return ordinal
        frame = int(self._keyframes[key])
        raise VideoError(f"{self.path.name}: seeking does not find the keyframe of frame {frame}")

    def _decoded_frames(self, packets):
        """Frames decoded from ``packets`` on; corrupt packets are skipped."""
        import av

        skipping = None  # the decoder's setting may be left over from before the seek
        counted = self._index.counted  # a frame the decoder drops would not be counted
        for packet in packets:
            # frames shown before the target are not needed: let the decoder drop the
            # non-reference ones (B-frames) instead of decoding them
            skip = packet.pts is not None and packet.pts < self._target and not counted
            if skip != skipping:
                self._codec.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
            try:
                frames = self._codec.decode(packet)
            except av.FFmpegError:
                continue
            self.n_decoded += len(frames)
            yield from frames


def _pick_video_stream(container, name: str):
    streams = [s for s in container.streams.video if not _is_cover_art(s)]
    if not streams and not (container.streams.audio or container.streams.subtitles):
        # an MP4 cut inside its index (moov) before the video track: no stream, or a data one
        raise VideoError(f"{name}: the file ends before any video data (empty or truncated)")
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
