"""Registry of the released SkipClick checkpoints, downloaded on demand with pooch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: environment variable that overrides where downloaded checkpoints are kept
CACHE_ENV = "SKIPCLICK_CACHE_DIR"
_BASE_URL = "https://mediastore.rz.uni-augsburg.de/get/{}/"


class WeightsError(RuntimeError):
    """A checkpoint that is neither a local file nor downloadable right now."""


@dataclass(frozen=True)
class ReleasedCheckpoint:
    """One checkpoint of the official release (README of Schorob/skipclick)."""

    name: str
    description: str
    url: str
    filename: str
    sha256: str | None = None  # not published; pooch then reports the hash it computed


CHECKPOINTS: dict[str, ReleasedCheckpoint] = {
    c.name: c
    for c in (
        ReleasedCheckpoint(
            "skipclick",
            "SkipClick: frozen DINOv2, intermediate features, skip connections (recommended)",
            _BASE_URL.format("MQjMyFYnZ7"),
            "full_model_skipclick.pth",
        ),
        ReleasedCheckpoint(
            "intermediate",
            "frozen DINOv2 with fused intermediate features, no skip connections",
            _BASE_URL.format("aOa4lakFcM"),
            "skipclick_intermediate.pth",
        ),
        ReleasedCheckpoint(
            "frozen",
            "frozen DINOv2, single feature map",
            _BASE_URL.format("2JipuNEGYO"),
            "skipclick_frozen.pth",
        ),
        ReleasedCheckpoint(
            "baseline",
            "baseline with a fine-tuned DINOv2, single feature map",
            _BASE_URL.format("Gf3Aza1fSE"),
            "skipclick_baseline.pth",
        ),
    )
}


def cache_dir() -> Path:
    """Folder for downloaded checkpoints: ``$SKIPCLICK_CACHE_DIR`` or the OS cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import pooch

    return Path(pooch.os_cache("napari-skipclick"))


def cached_path(name: str) -> Path:
    """Where the released checkpoint ``name`` is (or would be) stored."""
    return cache_dir() / _entry(name).filename


def _entry(name: str) -> ReleasedCheckpoint:
    try:
        return CHECKPOINTS[name]
    except KeyError:
        raise WeightsError(
            f"unknown checkpoint {name!r}; released ones: {', '.join(CHECKPOINTS)} "
            "(or give the path of a .pth file)"
        ) from None


def fetch_checkpoint(name: str, *, progressbar: bool = True) -> Path:
    """Download the released checkpoint ``name`` unless cached; return its path."""
    entry = _entry(name)
    target = cached_path(name)
    if target.is_file():
        return target
    import pooch

    try:
        path = pooch.retrieve(
            entry.url,
            known_hash=entry.sha256,
            fname=entry.filename,
            path=target.parent,
            progressbar=progressbar,
        )
    except Exception as exc:  # requests/network/hash errors all mean: not available now
        raise WeightsError(
            f"could not download the {name!r} checkpoint from {entry.url} "
            f"({exc.__class__.__name__}: {exc}). If this machine is offline, download it "
            f"elsewhere, then pass its path, or copy it to {target}."
        ) from None
    return Path(path)


def resolve_checkpoint(name_or_path: str | os.PathLike, *, download: bool = True) -> Path:
    """A local checkpoint path for a file path or a released name (downloaded if allowed)."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate
    key = str(name_or_path)
    if key in CHECKPOINTS:
        cached = cached_path(key)
        if cached.is_file():
            return cached
        if download:
            return fetch_checkpoint(key)
        raise WeightsError(f"checkpoint {key!r} is not downloaded yet (skipclick download {key})")
    raise WeightsError(
        f"checkpoint {key!r} is neither an existing file nor a released name "
        f"({', '.join(CHECKPOINTS)})"
    )
