"""Registry of the released SkipClick checkpoints, downloaded on demand with pooch."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checkpoint_bytes import Stamp, archive_problem, file_stamp, is_web_page
from .config import SkipClickConfig, released_config
from .download_folder import new_download_folder

#: environment variable that overrides where downloaded checkpoints are kept
CACHE_ENV = "SKIPCLICK_CACHE_DIR"
#: environment variable naming a web folder (a lab's mirror) holding the released files by name
MIRROR_ENV = "SKIPCLICK_WEIGHTS_MIRROR"
_BASE_URL = "https://mediastore.rz.uni-augsburg.de/get/{}/"


class WeightsError(RuntimeError):
    """A checkpoint that is neither a local file nor downloadable right now, or a bad download."""


class CacheFolderError(WeightsError):
    """The cache folder itself is unusable (a file, read-only): no checkpoint can be fetched."""


#: smallest plausible released checkpoint: the lightest one holds a ViT-B/14 (≈ 330 MiB)
MIN_RELEASED_BYTES = 50 * 2**20


@dataclass(frozen=True)
class ReleasedCheckpoint:
    """One checkpoint of the official release (README of Schorob/skipclick)."""

    name: str
    description: str
    url: str
    filename: str
    architecture: SkipClickConfig = field(repr=False)  # its keys and shapes: a download's check
    sha256: str | None = None  # not published: the first download's hash is recorded instead
    min_bytes: int = MIN_RELEASED_BYTES


CHECKPOINTS: dict[str, ReleasedCheckpoint] = {
    c.name: c
    for c in (
        ReleasedCheckpoint(
            "skipclick",
            "SkipClick: frozen DINOv2, intermediate features, skip connections (recommended)",
            _BASE_URL.format("MQjMyFYnZ7"),
            "full_model_skipclick.pth",
            released_config("skipclick"),
        ),
        ReleasedCheckpoint(
            "intermediate",
            "frozen DINOv2 with fused intermediate features, no skip connections",
            _BASE_URL.format("aOa4lakFcM"),
            "skipclick_intermediate.pth",
            released_config("intermediate"),
        ),
        ReleasedCheckpoint(
            "frozen",
            "frozen DINOv2, single feature map",
            _BASE_URL.format("2JipuNEGYO"),
            "skipclick_frozen.pth",
            released_config("frozen"),
        ),
        ReleasedCheckpoint(
            "baseline",
            "baseline with a fine-tuned DINOv2, single feature map",
            _BASE_URL.format("Gf3Aza1fSE"),
            "skipclick_baseline.pth",
            released_config("baseline"),
        ),
    )
}


def cache_dir() -> Path:
    """Folder for downloaded checkpoints: ``$SKIPCLICK_CACHE_DIR`` or the OS cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        folder = Path(override).expanduser()
    else:
        import pooch

        folder = Path(pooch.os_cache("napari-skipclick"))
    if folder.exists() and not folder.is_dir():
        where = f"${CACHE_ENV}" if override else "the checkpoint cache folder"
        raise CacheFolderError(f"{where} {folder} is a file, not a folder: give a folder")
    return folder


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


def download_url(entry: ReleasedCheckpoint) -> str:
    """Where ``entry`` is downloaded from: ``$SKIPCLICK_WEIGHTS_MIRROR/FILENAME`` where that
    variable names a mirror, else the release's address."""
    mirror = os.environ.get(MIRROR_ENV, "").strip().rstrip("/")
    return f"{mirror}/{entry.filename}" if mirror else entry.url


def fetch_checkpoint(name: str, *, progressbar: bool = True, force: bool = False) -> Path:
    """Download the released checkpoint ``name`` unless cached and valid; return its path.

    Args:
        name: a released checkpoint (see ``CHECKPOINTS``).
        progressbar: show pooch's progress bar.
        force: download again even if a cached copy exists.

    The file comes from the release's address, or from ``$SKIPCLICK_WEIGHTS_MIRROR/FILENAME``
    where that variable names a mirror (a web folder of the released files, e.g. a lab's
    server for machines without internet access). A download is kept only if it loads as the
    loader loads it, with the released model's keys and shapes; its size and SHA-256 are then
    recorded beside it and checked on every later use.
    It is written in a folder of its own (:mod:`.download_folder`), removed whatever happens;
    one left by a killed process is removed by a later download.
    """
    entry = _entry(name)
    target = cached_path(name)
    if target.is_file() and not force:
        return verified(target, entry)
    entry = replace(entry, url=download_url(entry))
    import pooch

    try:
        folder = new_download_folder(target)
    except OSError as exc:
        raise CacheFolderError(
            f"cannot write to the checkpoint cache folder {target.parent}: "
            f"{exc.strerror or exc}; set ${CACHE_ENV} to a writable folder"
        ) from None
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch logs each file's hash "to use as known_hash"
    try:
        path = Path(
            pooch.retrieve(
                entry.url,
                known_hash=entry.sha256,
                fname=target.name,
                path=folder,
                progressbar=progressbar,
            )
        )
        check_candidate(path, entry, source=f"the download from {entry.url}")
        _readable_by_all(path)
        _install(path, target)
    except WeightsError:
        raise
    except Exception as exc:  # network, server and hash errors
        raise WeightsError(_download_failed(name, entry, target, exc)) from None
    finally:  # Ctrl+C too: nothing partial is kept
        shutil.rmtree(folder, ignore_errors=True)
        logger.setLevel(level)
    return target


def _install(path: Path, target: Path) -> None:
    """Move the checked download ``path`` to ``target`` and record it. The old record goes
    first: if this is cut, the new file is checked and recorded on its first use."""
    sidecar_path(target).unlink(missing_ok=True)
    os.replace(path, target)
    _record(target)


def _download_failed(name: str, entry: ReleasedCheckpoint, target: Path, exc: Exception) -> str:
    """Why a download failed, and what to do: only a failed connection means "offline"."""
    import requests

    text = f"could not download the {name!r} checkpoint from {entry.url}"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is not None:
        return f"{text}: the server answered {status} ({exc}); try again later"
    if "hash" in str(exc).lower() and isinstance(exc, ValueError):
        return f"{text}: the file differs from the released one ({exc}); try again later"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.Timeout):
        return f"{text}: the transfer broke off ({exc.__class__.__name__}); try again"
    if isinstance(exc, OSError) and exc.filename is not None:  # the disk's error, not the net's
        return f"{text}: {exc.filename}: {exc.strerror or exc}"
    return (
        f"{text} ({exc.__class__.__name__}: {exc}). If this machine is offline, download it "
        f"elsewhere, then pass its path, or copy it to {target}."
    )


def _readable_by_all(path: Path) -> None:
    """The mode a new file gets from the umask (pooch's temporary file was made 0600: other
    users of a shared cache could not read it)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def sidecar_path(path: Path) -> Path:
    """The file recording a cached checkpoint's size and SHA-256."""
    return path.with_name(f"{path.name}.sha256.json")


def check_checkpoint_file(path: Path, min_bytes: int, *, source: str) -> None:
    """Raise :class:`WeightsError` unless ``path`` is a PyTorch zip checkpoint of ``min_bytes``+.

    Catches what servers and proxies hand out instead of weights: HTML pages, truncated
    transfers and empty files.
    """
    size = path.stat().st_size
    if size and is_web_page(path):
        raise WeightsError(f"{source} is an HTML page, not a checkpoint ({size} bytes)")
    if size < min_bytes:
        raise WeightsError(
            f"{source} holds {size} bytes, fewer than a checkpoint has ({min_bytes} or more)"
        )
    if not zipfile.is_zipfile(path):
        raise WeightsError(f"{source} is not a PyTorch checkpoint (not a zip)")
    problem = archive_problem(path)
    if problem is not None:
        raise WeightsError(f"{source} {problem}")


def check_candidate(path: Path, entry: ReleasedCheckpoint, *, source: str) -> None:
    """Raise :class:`WeightsError` unless ``path`` can stand for ``entry``: a zip checkpoint of
    plausible size (cheap, byte-level) that loads as the loader loads it, with the released
    architecture's keys and shapes (reading the file, but building no weights)."""
    from .checkpoint import CheckpointError, check_checkpoint

    check_checkpoint_file(path, entry.min_bytes, source=source)
    try:
        check_checkpoint(path, entry.architecture)
    except CheckpointError as exc:
        raise WeightsError(str(exc).replace(str(path), source)) from None


def verified(path: Path, entry: ReleasedCheckpoint, *, record: bool = True) -> Path:
    """``path`` after checking it against its recorded size and SHA-256.

    A file without a record (copied by hand into the cache) is checked as a download is, then
    recorded when ``record`` and the folder takes it; in a read-only folder it is checked on
    every use instead.
    """
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        try:
            check_candidate(path, entry, source=str(path))
        except WeightsError as exc:
            raise WeightsError(f"{exc}. {_remedy(path, entry)}") from None
        if record:
            with contextlib.suppress(OSError):  # read-only shared cache: checked on each use
                _record(path)
        return path
    try:
        record_ = json.loads(sidecar.read_text())
        size, digest = int(record_["size"]), str(record_["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WeightsError(f"{sidecar} is unreadable ({exc}). {_remedy(path, entry)}") from None
    if path.stat().st_size != size or file_sha256(path) != digest:
        raise WeightsError(
            f"the cached checkpoint {path} differs from the one downloaded "
            f"({size} bytes, SHA-256 {digest[:16]}…): it was changed or damaged. "
            f"{_remedy(path, entry)}"
        )
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks; remembered for the file's :func:`file_stamp`,
    so that checking a checkpoint and naming its weights read it once."""
    return _sha256(file_stamp(path))


@functools.lru_cache(maxsize=8)
def _sha256(stamp: Stamp) -> str:
    digest = hashlib.sha256()
    with open(stamp[0], "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record(path: Path) -> None:
    """Write ``path``'s size and SHA-256 beside it (``OSError`` if the folder refuses)."""
    record = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    tmp = sidecar_path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(record) + "\n")
    os.replace(tmp, sidecar_path(path))


def _remedy(path: Path, entry: ReleasedCheckpoint) -> str:
    """What to do about a bad cached ``path``: delete it (and its record, where there is one)
    or download it again."""
    sidecar = sidecar_path(path)
    record = f" (and {sidecar.name})" if sidecar.exists() else ""
    return (
        f"Delete {path}{record}, or download it again with "
        f"`skipclick download --force {entry.name}`."
    )


def checkpoint_file(name_or_path: str | os.PathLike) -> Path:
    """The absolute path of the file a checkpoint argument names, neither downloaded nor
    checked: a released name's place in the cache, else the path itself (the rule of
    :func:`resolve_checkpoint`)."""
    key = str(name_or_path)
    if key in CHECKPOINTS:
        return cached_path(key).absolute()
    return Path(key).expanduser().absolute()


def portable_checkpoint(name_or_path: str | os.PathLike) -> str:
    """A checkpoint argument that means the same in another working folder (a dask worker's):
    a released name as it is, a path made absolute."""
    key = str(name_or_path)
    return key if key in CHECKPOINTS else str(checkpoint_file(key))


def resolve_checkpoint(name_or_path: str | os.PathLike, *, download: bool = True) -> Path:
    """A local checkpoint path for a file path or a released name (downloaded if allowed).

    A released name (``skipclick``) means the release even where the working folder holds a
    file of that name (a script, the ``skipclick`` command in ``.venv/bin``): write such a
    file as a path (``./skipclick``).
    """
    key = str(name_or_path)
    candidate = Path(name_or_path).expanduser()
    if (candidate.is_file() or candidate.is_dir()) and key not in CHECKPOINTS:
        return candidate  # loading says what a folder is not
    if key in CHECKPOINTS:
        cached = cached_path(key)
        if cached.is_file():
            return verified(cached, CHECKPOINTS[key])
        if download:
            return fetch_checkpoint(key)
        raise WeightsError(f"checkpoint {key!r} is not downloaded yet (skipclick download {key})")
    raise WeightsError(
        f"checkpoint {key!r} is neither an existing file nor a released name "
        f"({', '.join(CHECKPOINTS)})"
    )
