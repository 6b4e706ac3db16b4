"""Video evaluation sets: one folder per clip with ``frames.csv``, ``frames/`` and ``masks/``.

``frames.csv`` lists ``frame,image,mask,...`` (paths relative to the clip folder), one row per
frame, numbered consecutively from any number (a gap is refused: propagating across a missing
frame is another protocol). Masks are single-channel 8-bit PNGs of the frame's size:
0 background, 255 void and object values 1..K. Without ``objects.csv`` a clip has one object,
value 1; with it (``value,name``) the listed values are the objects. Anything else raises
``VideoDataError`` with a message that names the clip, the frame and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..frame_lists import frame_ranges
from ..io import rgb8, upright, wide_range
from .clicker import VOID
from .datasets import void_hint
from .tables import check_folder, read_table

REQUIRED_COLUMNS = ("frame", "image", "mask")


class VideoDataError(ValueError):
    """The video set or one of its clips cannot be used; the message says where and why."""


@dataclass(frozen=True)
class VideoClip:
    """A loaded clip: frames ``(T, H, W, 3)`` uint8, masks ``(T, H, W)`` uint8, its objects,
    and the number ``frames.csv`` gives its first frame (the others follow it)."""

    name: str
    frames: np.ndarray
    masks: np.ndarray
    objects: dict[int, str]
    first_frame: int = 0

    def ground_truth(self, value: int) -> np.ndarray:
        """Masks of object ``value`` coded 1 object, 0 background, 255 void, ``(T, H, W)``."""
        out = (self.masks == value).astype(np.uint8)
        out[self.masks == VOID] = VOID
        return out


def clip_names(root: str | Path, selected: list[str] | None = None) -> list[str]:
    """Clip folders of ``root`` (those holding ``frames.csv``), or the ``selected`` ones (each
    once: a clip given twice would count twice in the overall figures)."""
    root = Path(root)
    check_folder(root, VideoDataError)
    found = sorted(p.name for p in root.iterdir() if (p / "frames.csv").is_file())
    if selected is None:
        if not found:
            raise VideoDataError(f"{root} holds no clip folder with a frames.csv")
        return found
    twice = [name for k, name in enumerate(selected) if name in selected[:k]]
    if twice:
        raise VideoDataError(f"--clips names {twice[0]} twice; give each clip once")
    missing = [name for name in selected if name not in found]
    if missing:
        raise VideoDataError(
            f"no clip {', '.join(missing)} in {root}; found {', '.join(found) or 'none'}"
        )
    return list(selected)


def _rows(clip_dir: Path) -> list[tuple[int, dict[str, str]]]:
    """The frame numbers and rows of ``frames.csv`` in frame order (its ``frame`` column, not
    the file's order), at least two: a clip is frames to propagate through."""
    path = clip_dir / "frames.csv"
    rows: dict[int, dict[str, str]] = {}
    for line, row in read_table(path, REQUIRED_COLUMNS, VideoDataError):
        empty = [c for c in REQUIRED_COLUMNS if not row[c]]
        if empty:
            raise VideoDataError(f"{path} line {line}: no {' and no '.join(empty)} given")
        try:
            t = int(row["frame"])
        except ValueError:
            raise VideoDataError(
                f"{path} line {line}: frame must be an integer, not {row['frame']!r}"
            ) from None
        if t in rows:
            raise VideoDataError(f"{path} line {line}: frame {t} is listed twice")
        rows[t] = row
    if len(rows) < 2:
        raise VideoDataError(f"{path} lists {len(rows)} frame(s); a clip needs 2 or more")
    return sorted(rows.items())


def _check_consecutive(name: str, numbers: list[int]) -> None:
    """``VideoDataError`` naming the frames missing between the first and the last."""
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        before = missing[0] - numbers[0]
        hint = f", or evaluate the {before} frames before it (--frames {before})" * (before >= 2)
        raise VideoDataError(
            f"clip {name}: frames.csv has no frame {frame_ranges(missing)} (frames "
            f"{numbers[0]} to {numbers[-1]}): propagation runs through consecutive frames; "
            f"list every frame{hint}"
        )


def _objects(clip_dir: Path) -> dict[int, str]:
    path = clip_dir / "objects.csv"
    if not path.is_file():
        return {1: "object"}
    objects: dict[int, str] = {}
    for line, row in read_table(path, ("value",), VideoDataError):
        try:
            value = int(row["value"])
        except ValueError:
            raise VideoDataError(
                f"{path} line {line}: value must be an integer, not {row['value']!r}"
            ) from None
        if not 1 <= value < VOID:
            raise VideoDataError(f"{path} line {line}: object value {value} outside 1..254")
        if value in objects:
            raise VideoDataError(f"{path} line {line}: object value {value} is listed twice")
        objects[value] = row.get("name", "") or f"object {value}"
    if not objects:
        raise VideoDataError(f"{path} lists no objects")
    return objects


def _frames_range(clip_dir: Path, rows: list[tuple[int, dict[str, str]]]) -> int:
    """The range the clip's 16-bit frames are scaled from, the same for each (``wide_range``
    over every frame ``frames.csv`` lists, as the widget reads a folder of them); 65535 when
    none is 16-bit. A file that cannot be opened is left to ``_read`` to name; a sampled one
    that opens but does not decode (damaged inside) is named here."""
    from PIL import Image, UnidentifiedImageError

    wide: list[tuple[Path, int]] = []
    for _, row in rows:
        path = clip_dir / row["image"]
        try:
            with Image.open(path) as picture:
                if picture.mode.startswith("I"):
                    wide.append((path, 0))
        except (UnidentifiedImageError, OSError):
            continue
    if not wide:
        return 65535
    full, _, unreadable = wide_range(wide)
    if unreadable:
        names = "; ".join(f"{name} ({why})" for name, why in unreadable)
        raise VideoDataError(f"clip {clip_dir.name}: cannot read image file(s) {names}")
    return full


def _read(path: Path, what: str, where: str, mode: str, full: int = 65535) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise VideoDataError(f"{where}: {what} file {path} is missing")
    try:
        with Image.open(path) as picture:
            if mode == "RGB":
                return rgb8(upright(picture), full)  # as the widget reads a frame
            if picture.mode not in ("L", "P"):
                raise VideoDataError(
                    f"{where}: mask {path.name} has mode {picture.mode}, expected a "
                    "single-channel 8-bit PNG"
                )
            return np.asarray(picture, np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise VideoDataError(f"{where}: cannot read {what} file {path}: {exc}") from exc


def load_clip(clip_dir: str | Path, n_frames: int | None = None) -> VideoClip:
    """Read and check one clip (its first ``n_frames`` frames when given)."""
    clip_dir = Path(clip_dir)
    name = clip_dir.name
    every = _rows(clip_dir)
    full = _frames_range(clip_dir, every)  # from the whole clip: the same with --frames
    rows = every[:n_frames]
    _check_consecutive(name, [t for t, _ in rows])
    objects = _objects(clip_dir)
    allowed = np.zeros(256, bool)
    allowed[[0, VOID, *objects]] = True
    frames, masks = [], []
    for t, row in rows:
        where = f"clip {name}, frame {t}"
        image = _read(clip_dir / row["image"], "image", where, "RGB", full)
        mask = _read(clip_dir / row["mask"], "mask", where, "L")
        if mask.shape != image.shape[:2]:
            raise VideoDataError(
                f"{where}: mask size {mask.shape[1]}x{mask.shape[0]} differs from image size "
                f"{image.shape[1]}x{image.shape[0]} (width x height)"
            )
        if frames and image.shape != frames[0].shape:
            raise VideoDataError(
                f"{where}: image size {image.shape[1]}x{image.shape[0]} differs from the "
                f"first frame's {frames[0].shape[1]}x{frames[0].shape[0]}"
            )
        unknown = np.flatnonzero(~allowed & (np.bincount(mask.ravel(), minlength=256) > 0))
        if unknown.size:
            listed = ", ".join(map(str, sorted(objects)))
            raise VideoDataError(
                f"{where}: mask has unknown object value(s) {', '.join(map(str, unknown))}; "
                f"objects are {listed} (list them in objects.csv), 0 background, 255 void"
            )
        frames.append(image)
        masks.append(mask)
    masks_array = np.stack(masks)
    for value in objects:
        if not np.any(masks_array[0] == value):
            raise VideoDataError(
                f"clip {name}: object {value} has no pixels on the first frame"
                f"{void_hint(masks_array[0], value)}"
            )
    return VideoClip(name, np.stack(frames), masks_array, objects, rows[0][0])
