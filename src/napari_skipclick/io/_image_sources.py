"""Image frame sources behind ``VideoArray``: a folder of JPEG/PNG (or TIFF) frames, one photo,
a TIFF."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._folders import TIFF_SUFFIXES, Folder
from ._frame_sources import VideoError, reason
from ._tiff_ends import tiff_cut_short

_EXIF_ORIENTATION = 0x0112
#: image files whose pages are frames (a TIFF stack from a microscope or a camera)
PAGED_SUFFIXES = TIFF_SUFFIXES
#: images a frame folder does not read (TIFFs: beside JPEG/PNG frames), named in its notes
_OTHER_IMAGE_SUFFIXES = (".bmp", ".tif", ".tiff", ".gif", ".webp")
#: how a whole file of each format ends (JPEG's end-of-image marker, PNG's IEND chunk)
_FILE_ENDS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}
#: what to do with a folder of photos of different sizes
_ONE_BY_ONE = (
    ": photos of different sizes are one store each, open them one by one "
    "(skipclick annotate PHOTO --store PHOTO.zarr)"
)


def natural_key(name: str) -> list:
    """Sort key that orders ``frame2`` before ``frame10`` (case-insensitive). Numbers are runs
    of ASCII digits: ``²``, ``①`` or ``٣`` are text (``int()`` refused some, a crash)."""
    parts = re.split(r"([0-9]+)", name)
    return [int(part) if k % 2 else part.lower() for k, part in enumerate(parts)]


def rgb8(image: Any, full: int = 65535) -> np.ndarray:
    """A PIL image as ``(H, W, 3) uint8`` (the one rule for photos, frames and evaluation
    images: grey repeated, alpha dropped, a palette looked up). 16-bit grey (PNG, TIFF) is
    scaled from ``0..full`` (default the full 16-bit range, ``value / 257``), the same for every
    frame: PIL's own conversion clips it at 255, white wherever the frame is not almost black."""
    if image.mode.startswith("I"):  # "I;16", "I;16B", "I" (32-bit integers)
        grey = np.asarray(image).astype(np.float64) * (255.0 / full)
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"))


def depth_range(brightest: int) -> int:
    """The range ``2**bits - 1`` of the camera depth (10, 12, 14 or 16 bits) that 16-bit data
    whose brightest value is ``brightest`` use: a 12-bit camera's frames in 16-bit files
    (0..4095) scaled from 0..65535 came out almost black."""
    return 2 ** next((b for b in (10, 12, 14) if brightest.bit_length() <= b), 16) - 1


def wide_range(frames: Sequence[tuple[Path, int]]) -> tuple[int, int, list[tuple[str, str]]]:
    """The range (``depth_range``) that the 16-bit frames ``frames`` (file, page; in frame
    order) of one video share, the brightest value sampled, and the sampled frames that do not
    decode (``(name, why)``: damaged inside, left out of the range for the caller to name):
    found from five of them spread over the video, so a brighter frame (a flash) keeps its
    detail and a dim video is not stretched. The one rule for a frame folder and an
    evaluation clip."""
    from PIL import Image

    picks = sorted({round(k * (len(frames) - 1) / 4) for k in range(5)})
    brightest = 0
    unreadable: list[tuple[str, str]] = []
    for file, page in (frames[k] for k in picks):
        try:
            with Image.open(file) as image:
                image.seek(page)
                brightest = max(brightest, int(np.asarray(image).max()))
        except (OSError, EOFError) as exc:  # corrupt compressed data, bytes overwritten
            unreadable.append((_name(file, page), reason(exc)))
    return depth_range(brightest), brightest, unreadable


def photo_rgb(image: Any) -> np.ndarray:
    """One photo (a PIL image) as the widget reads it: upright, ``rgb8``, 16-bit grey scaled
    from its camera depth (``depth_range`` of its own brightest value)."""
    wide = image.mode.startswith("I")
    return rgb8(upright(image), depth_range(int(np.asarray(image).max())) if wide else 65535)


def is_label_image(file: Path) -> bool:
    """True for a label image, not a frame: a palette or bilevel PNG, or a single-channel one
    with at most 16 values (object IDs, as in DAVIS ``Annotations/`` and ``masks/`` folders)."""
    from PIL import Image

    try:
        with Image.open(file) as image:
            if image.mode in ("P", "1"):
                return True
            return image.mode in ("L", "I", "I;16") and len(np.unique(np.asarray(image))) <= 16
    except (OSError, ValueError):  # unreadable: left to the reader to report
        return False


def upright(image: Any) -> Any:
    """``image`` turned as its EXIF orientation says (phone photos), as viewers and training
    tools show it; unchanged without one."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(image) if _orientation(image) != 1 else image


def _upright_size(image: Any) -> tuple[int, int]:
    """``(width, height)`` of ``image`` once upright (read from the header, not decoded)."""
    width, height = image.size
    return (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)


def _left_out_note(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    """A note naming the files in ``folder`` that are not frames, if any: images of other
    suffixes, and video files beside the frames (``Folder.left_out``: ffmpeg's frames of a
    video, written beside it)."""
    images = [
        p.name
        for p in folder.iterdir()
        if p.suffix.lower() in _OTHER_IMAGE_SUFFIXES and p.suffix.lower() not in suffixes
    ]
    held = Folder.of(folder)
    videos = [p.name for p in held.left_out] if held is not None and held.is_frames else []
    left_out = sorted(images, key=natural_key) + sorted(videos, key=natural_key)
    if not left_out:
        return []
    counts = ((len(images), "image"), (len(videos), "video"))
    what = " and ".join(f"{n} {kind} file(s)" for n, kind in counts if n)
    names = ", ".join(left_out[:5]) + (
        f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    )
    return [f"{folder.name}: {what} left out, only {'/'.join(suffixes)} files are frames: {names}"]


def _unreadable_text(path: Path, unreadable: list[tuple[str, str]]) -> str:
    """The refusal of a photo, or a frame folder holding files that cannot be read (``(name,
    why)``): the first five named, then a count, and what to do."""
    if path.is_file():
        return f"{unreadable[0][0]}: not a readable image ({unreadable[0][1]})"
    names = "; ".join(f"{name} ({why})" for name, why in unreadable[:5])
    more = f"; and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
    return (
        f"{path}: {len(unreadable)} file(s) are not readable images: {names}{more}. Move them "
        "out of the folder (or repair them) and open it again"
    )


def _check_whole(file: Path, image: Any) -> None:
    """``OSError`` if ``file`` (opened as ``image``, a JPEG, PNG or TIFF) was cut short (a copy
    interrupted). A TIFF: a page's IFD or pixel data end past the file's end (its IFDs read,
    nothing decoded). A JPEG or PNG: its format's end is not at the file's end (zero padding
    aside) and decoding it fails. Reads 64 bytes; decodes only a file with data past its end
    (a phone's motion photo, its video after the picture), which is whole when it decodes."""
    if image.format == "TIFF":
        cut = tiff_cut_short(file)
        if cut is not None:
            raise OSError(f"the file is truncated: {cut}")
        return
    end = _FILE_ENDS.get(image.format)
    if end is None:
        return
    with file.open("rb") as raw:
        raw.seek(max(0, file.stat().st_size - 64))
        if raw.read().rstrip(b"\0").endswith(end):
            return
    image.load()  # a cut-short file: "image file is truncated"


def _name(file: Path, page: int) -> str:
    return f"{file.name} page {page + 1}" if page else file.name


def _orientation(image: Any) -> int:
    """``image``'s EXIF orientation, 1 without one. A PNG is not decoded for it: Pillow
    decodes the pixels to look for an eXIf chunk after them, so only a PNG whose chunk list
    holds one (``_png_has_exif``) is asked."""
    if image.format == "PNG" and "exif" not in image.info and not _png_has_exif(image):
        return 1
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except (OSError, ValueError, TypeError, SyntaxError):  # a damaged EXIF block: as stored
        return 1


def _png_has_exif(image: Any) -> bool:
    """Whether the PNG file ``image`` was opened from has an eXIf chunk: its chunk headers
    read (8 bytes each), nothing decoded. True when the list cannot be read, to ask Pillow."""
    name = getattr(image, "filename", "")
    if not name:
        return True
    try:
        with open(name, "rb") as raw:
            raw.seek(8)  # the PNG signature
            while header := raw.read(8):
                if len(header) < 8:
                    return False
                kind = header[4:]
                if kind == b"eXIf":
                    return True
                if kind == b"IEND":
                    return False
                raw.seek(int.from_bytes(header[:4], "big") + 4, 1)  # data and CRC
    except OSError:
        return True
    return False


def files_fingerprint(
    files: Sequence[Path], size: tuple[int, int, int], named: bool, name: str | None = None
) -> str:
    """The fingerprint of frames ``size`` (count, height, width) read from ``files`` in order:
    sha256 over the size, every file's byte size (with its name when ``named``; ``name`` for
    one photo's), the first and last file (a file gone raises ``OSError``)."""
    kind = b"frames" if named else b"image"
    digest = hashlib.sha256(b"napari-skipclick " + kind + b" v1\0")
    digest.update("{}|{}|{}\0".format(*size).encode())
    for file in files:
        label = f"{name or file.name}|" if named else ""
        digest.update(f"{label}{file.stat().st_size}\0".encode())
    for file in dict.fromkeys([files[0], files[-1]]):
        digest.update(file.read_bytes())
    return digest.hexdigest()


class FrameFolderSource:
    """A folder of frames (files of ``suffixes``: JPEG/PNG, or TIFF, each page a frame),
    naturally sorted by file name; all frames the same size.
    A single image file (``path`` a file) is a video of one frame, a TIFF a video of its
    pages. Frames are turned upright as their EXIF orientation says."""

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
            raise VideoError(f"{path}: cannot list the folder ({reason(exc)})") from exc
        if not files:
            raise VideoError(f"{path}: the folder has no {'/'.join(suffixes)} frames")
        if path.is_dir():
            self.notes.extend(_left_out_note(path, suffixes))
        self._files = sorted(files, key=lambda p: natural_key(p.name))
        self._frames: list[tuple[Path, int]] = []  # (file, page)
        sizes: list[tuple[int, int]] = []
        wide: list[int] = []  # the 16-bit frames among them
        unreadable: list[tuple[str, str]] = []  # (name, why)
        for file in self._files:
            try:
                with Image.open(file) as image:
                    paged = file.suffix.lower() in PAGED_SUFFIXES
                    _check_whole(file, image)
                    for page in range(getattr(image, "n_frames", 1) if paged else 1):
                        image.seek(page)
                        self._frames.append((file, page))
                        sizes.append(_upright_size(image))
                        if image.mode.startswith("I"):
                            wide.append(len(self._frames) - 1)
                        if image.mode == "F":  # read as black by Pillow's RGB conversion
                            raise VideoError(
                                f"{_name(file, page)}: floating-point pixels (a measurement, "
                                "not a picture): save the frames as 8- or 16-bit images"
                            )
            except (OSError, UnidentifiedImageError, EOFError) as exc:
                unreadable.append((file.name, reason(exc)))
        if unreadable:
            raise VideoError(_unreadable_text(path, unreadable))
        self.n_frames = len(self._frames)
        width, height = sizes[0]
        for frame, size in zip(self._frames, sizes, strict=True):
            if size != (width, height):
                raise VideoError(
                    f"{path}: frames differ in size: {_name(*self._frames[0])} is "
                    f"{width}x{height}, {_name(*frame)} is {size[0]}x{size[1]}"
                    + (_ONE_BY_ONE if path.is_dir() else "")
                )
        self.height, self.width = height, width
        self._full = self._data_range(wide) if wide else 65535  # what 16-bit frames span

    def read(self, index: int) -> np.ndarray:
        from PIL import Image

        file, page = self._frames[index]
        try:
            with Image.open(file) as image:
                image.seek(page)
                rgb = rgb8(upright(image), self._full)
        except (OSError, EOFError) as exc:
            raise VideoError(f"{_name(file, page)}: not a readable image ({reason(exc)})") from exc
        self.n_decoded += 1
        return rgb

    def _data_range(self, wide: list[int]) -> int:
        """The range the 16-bit frames ``wide`` use (``wide_range``; 8-bit frames beside them
        are not sampled: their 255 made a 16-bit photo's range 0..1023, white). A sampled
        frame that does not decode is refused as other unreadable files are."""
        full, brightest, unreadable = wide_range([self._frames[k] for k in wide])
        if unreadable:
            raise VideoError(_unreadable_text(self.path, unreadable))
        if full < 65535:
            which = (
                f"{len(wide)} of its {self.n_frames} frames are 16-bit, holding"
                if len(wide) < self.n_frames
                else "16-bit frames holding"
            )
            self.notes.append(
                f"{self.path.name}: {which} {full.bit_length()}-bit data (values up to "
                f"{brightest}): scaled from 0..{full}"
            )
        return full

    def keyframe_before(self, index: int) -> int:
        """Every image decodes on its own."""
        return index

    def fingerprint(self) -> str:
        """sha256 over frame count, size, every file's byte size (and name, in a folder,
        where the names set the order: a photo renamed is the same photo), first and last
        file."""
        return self._fingerprint(named=self.path.is_dir())

    def former_fingerprints(self, name: str | None = None) -> tuple[str, ...]:
        """A photo's or TIFF's fingerprint as earlier versions made it: with its file name, or
        with ``name`` (one it had before: the photo renamed since)."""
        return () if self.path.is_dir() else (self._fingerprint(named=True, name=name),)

    def frame_files(self) -> tuple[str, ...]:
        """A folder's file names in frame order (none for one photo or a TIFF: its path
        names it)."""
        return tuple(file.name for file, _ in self._frames) if self.path.is_dir() else ()

    def _fingerprint(self, named: bool, name: str | None = None) -> str:
        """The fingerprint with every file's name (``named``; ``name`` for one photo's) or
        none."""
        size = (self.n_frames, self.height, self.width)
        return files_fingerprint(self._files, size, named, name)

    def close(self) -> None:
        """Nothing to release: files are opened per read."""
