"""Evaluation sets described by a ``manifest.csv`` (``name,image,mask,...``), validated per sample.

Paths in the manifest are relative to its folder. Images are read as the widget reads a photo
(``io.photo_rgb``: upright as their EXIF orientation says, 8-bit RGB from grey, alpha, palettes
and 16-bit grey of a 10..16-bit camera); masks as stored (label PNGs, as ``import-labels``
reads them), single-channel 8-bit with the image's size, 1 = object, 0 = background, 255 = void,
and at least one object pixel.
A sample that breaks a rule raises ``SampleError``; its message names the sample and the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import photo_rgb
from .clicker import VOID
from .tables import check_folder, read_table

REQUIRED_COLUMNS = ("name", "image", "mask")
_ALLOWED_MASK_VALUES = (0, 1, VOID)


class DatasetError(ValueError):
    """The set as a whole cannot be read (no manifest, missing columns)."""


class SampleError(ValueError):
    """One sample of a set is unusable; the message says which and why."""


@dataclass(frozen=True)
class SampleRef:
    """One manifest row: a sample name and the absolute paths of its image and mask."""

    name: str
    image_path: Path
    mask_path: Path


@dataclass(frozen=True)
class Sample:
    """A loaded, validated sample: uint8 RGB image ``(H, W, 3)`` and uint8 mask ``(H, W)``."""

    name: str
    image: np.ndarray
    mask: np.ndarray


def read_manifest(root: str | Path) -> list[SampleRef]:
    """Return the rows of ``root/manifest.csv``; raise ``DatasetError`` if it cannot be used."""
    root = Path(root)
    manifest = root / "manifest.csv"
    check_folder(root, DatasetError)
    if not manifest.is_file():
        raise DatasetError(f"no manifest.csv in {root} (expected columns name,image,mask,...)")
    refs = []
    seen: set[str] = set()
    for line, row in read_table(manifest, REQUIRED_COLUMNS, DatasetError):
        name = row["name"]
        if not name or not row["image"] or not row["mask"]:
            raise DatasetError(f"{manifest} line {line}: name, image and mask must not be empty")
        if name in seen:
            raise DatasetError(f"{manifest} line {line}: sample name {name!r} occurs twice")
        seen.add(name)
        refs.append(SampleRef(name, root / row["image"], root / row["mask"]))
    if not refs:
        raise DatasetError(f"{manifest} lists no samples")
    return refs


def _open(path: Path, what: str, name: str):
    """Open an image file with Pillow or raise ``SampleError`` naming the sample."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise SampleError(f"{name}: {what} file {path} is missing")
    try:
        picture = Image.open(path)
        picture.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise SampleError(f"{name}: cannot read {what} file {path}: {exc}") from exc
    return picture


def load_sample(ref: SampleRef) -> Sample:
    """Read and validate one sample; raise ``SampleError`` saying why if it is unusable."""
    name = ref.name
    image = photo_rgb(_open(ref.image_path, "image", name))

    mask_picture = _open(ref.mask_path, "mask", name)
    if mask_picture.mode not in ("L", "P"):
        raise SampleError(
            f"{name}: mask {ref.mask_path.name} has mode {mask_picture.mode}, "
            "expected a single-channel 8-bit PNG (1 object, 0 background, 255 void)"
        )
    mask = np.asarray(mask_picture, dtype=np.uint8)
    if mask.shape != image.shape[:2]:
        raise SampleError(
            f"{name}: mask size {mask.shape[1]}x{mask.shape[0]} differs from image size "
            f"{image.shape[1]}x{image.shape[0]} (width x height)"
        )
    values = np.unique(mask)
    bad = [int(v) for v in values if v not in _ALLOWED_MASK_VALUES]
    if bad:
        shown = ", ".join(map(str, bad[:8])) + (", ..." if len(bad) > 8 else "")
        raise SampleError(
            f"{name}: mask has value(s) {shown}; allowed are 0 background, 1 object, 255 void"
        )
    if not np.any(mask == 1):
        raise SampleError(f"{name}: mask has no object pixels (value 1){void_hint(mask)}")
    return Sample(name, image, mask)


def void_hint(mask: np.ndarray, value: int = 1) -> str:
    """For a mask lacking object ``value``: a hint when it holds void (255) and no object at
    all, as masks saved 0/255 do; else nothing."""
    if np.any(mask == VOID) and not np.any((mask > 0) & (mask < VOID)):
        return f" (is the object coded 255? it must be {value})"
    return ""


def iter_samples(
    refs: list[SampleRef], strict: bool = False
) -> Iterator[tuple[SampleRef, Sample | None, str | None]]:
    """Yield ``(ref, sample, None)`` or, for an unusable sample, ``(ref, None, message)``.

    With ``strict`` the first unusable sample raises its ``SampleError`` instead.
    """
    for ref in refs:
        try:
            yield ref, load_sample(ref), None
        except SampleError as exc:
            if strict:
                raise
            yield ref, None, str(exc)
