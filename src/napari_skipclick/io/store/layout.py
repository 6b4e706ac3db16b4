"""On-disk layout of a store: names, manifest (provenance) and the zarr labels array."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import ZstdCodec
from zarr.storage import LocalStore

from ... import __version__
from ...types import VideoInfo
from ..fingerprints import takes
from .errors import DECODE_ERRORS, StoreCorruptError, StoreError, StoreMismatchError
from .files import DurableLocalStore, read_json, write_json
from .folder_growth import added_photos, folder_change_text, grown_text
from .frame_files import FRAME_FILES, record_frame_files
from .lock import LOCK_NAME
from .txn import utc_now

FORMAT_NAME = "napari-skipclick-store"
FORMAT_VERSION = 1
MANIFEST = "skipclick.json"
#: optional manifest field: ``true`` when the store's folder is annotated as separate photos
PHOTOS = "photos"
OBJECTS = "objects.json"
LABELS = "labels"
#: entries a store directory may hold before its manifest is written (interrupted creation)
CREATION_ENTRIES = {"zarr.json", LABELS, OBJECTS, FRAME_FILES, "frames", "pending", LOCK_NAME}


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding a napari-skipclick store.

    A store whose manifest went missing still counts if it holds annotations (it is repaired
    from the copy of the video description in the labels array).
    """
    p = Path(path)
    if not (p.is_dir() and (p / LABELS).is_dir()):
        return False
    if (p / MANIFEST).is_file():
        return True
    frames = p / "frames"
    has_records = frames.is_dir() and any(frames.glob("*.json"))
    return has_records or any((p / LABELS).glob("c.*"))


def same_place(a: str | Path, b: str | Path) -> bool:
    """Whether the paths ``a`` and ``b`` name one store (False when one cannot be resolved)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def video_doc(video: VideoInfo) -> dict[str, Any]:
    """JSON form of a :class:`VideoInfo` (its former fingerprints left out: a store opened
    with one is written with the fingerprint of now; its frame files too)."""
    doc = asdict(video)
    del doc["former"], doc["frame_files"]  # the names are a file of their own (FRAME_FILES)
    return doc


def video_from_doc(doc: Any, where: Path) -> VideoInfo:
    """:class:`VideoInfo` from its JSON form; a bad one raises :class:`StoreCorruptError`."""
    try:
        return VideoInfo(
            path=str(doc["path"]),
            n_frames=int(doc["n_frames"]),
            height=int(doc["height"]),
            width=int(doc["width"]),
            fps=float(doc["fps"]),
            fingerprint=str(doc["fingerprint"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise StoreCorruptError(f"{where} has no valid video description: {e!r}", str(where)) from e


def check_new_location(p: Path) -> None:
    """Refuse a file, or a directory holding things that are not ours, as a new store path."""
    if p.exists() and not p.is_dir():
        raise StoreError(f"{p} exists and is a file, not a store directory")
    if p.is_dir():
        foreign = sorted(e.name for e in p.iterdir() if e.name not in CREATION_ENTRIES)
        if any(not n.startswith(".") for n in foreign):
            raise StoreError(
                f"{p} is a directory that is not a napari-skipclick store "
                f"(it holds {', '.join(foreign[:5])}); choose an empty or new path"
            )


def remove_new_store(p: Path) -> None:
    """Take away what creating a store at ``p`` wrote (a store made, then left unfilled), and
    the folder once empty: never anything else the folder holds (``check_new_location`` lets
    a folder of hidden entries, ``.git``, become a store)."""
    for name in CREATION_ENTRIES | {MANIFEST}:
        entry = p / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        p.rmdir()


def note_engine(manifest: dict, key: str | None, checkpoint: str | None) -> None:
    """Record the engine and checkpoint in use (and the list of all ever used)."""
    if key is None and checkpoint is None:
        return
    manifest["engine"] = {"key": key, "checkpoint_sha256": checkpoint}
    used = manifest.setdefault("engines_used", [])
    if key is not None and not any(
        e.get("key") == key and e.get("checkpoint_sha256") == checkpoint for e in used
    ):
        used.append({"key": key, "checkpoint_sha256": checkpoint, "first_used": utc_now()})


def note_engine_used(p: Path, manifest: dict, key: str | None) -> None:
    """Record engine ``key``, about to write a frame of the store at ``p``, in its manifest
    (written) the first time it does: a store opened without naming its engine (``engine_key``
    of ``open_or_create``) lists every engine that worked on it all the same, and names it
    its engine; the engine it was opened with stays its engine."""
    used = manifest.setdefault("engines_used", [])
    if key is None or any(e.get("key") == key for e in used):
        return
    used.append({"key": key, "checkpoint_sha256": None, "first_used": utc_now()})
    if (manifest.get("engine") or {}).get("key") is None:
        manifest["engine"] = {"key": key, "checkpoint_sha256": None}
    write_json(p / MANIFEST, manifest)


def note_photos(p: Path, manifest: dict, photos: bool) -> None:
    """Record in the manifest of the store at ``p`` (written when it changes) whether its
    folder is annotated as separate photos (``photos: true``; absent: a video's frames)."""
    if bool(manifest.get(PHOTOS)) == photos:
        return
    if photos:
        manifest[PHOTOS] = True
    else:
        manifest.pop(PHOTOS, None)
    write_json(p / MANIFEST, manifest)


def create_layout(p: Path, video: VideoInfo, key: str | None, checkpoint: str | None) -> dict:
    """Write an empty store for ``video`` into the (locked) directory ``p``; return its manifest."""
    for name in CREATION_ENTRIES - {LOCK_NAME}:  # leftovers of an interrupted creation
        leftover = p / name
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    now = utc_now()
    store = DurableLocalStore(p)
    zarr.create_group(store, attributes={"napari_skipclick": {"format_version": FORMAT_VERSION}})
    _create_labels(store, video)
    write_json(p / OBJECTS, {"objects": [], "classes": [], "modified": now})
    record_frame_files(p, video)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created": now,
        "modified": now,
        "created_with": __version__,
        "package_version": __version__,
        "video": video_doc(video),
        "engine": {"key": None, "checkpoint_sha256": None},
        "engines_used": [],
    }
    note_engine(manifest, key, checkpoint)
    write_json(p / MANIFEST, manifest)  # written last: its presence marks a complete store
    return manifest


def load_manifest(p: Path, *, fallback: bool) -> dict:
    """Read the manifest; with ``fallback`` a damaged one is rebuilt from the labels array."""
    try:
        try:
            manifest = read_json(p / MANIFEST, p)
        except FileNotFoundError:
            raise StoreCorruptError(f"{p / MANIFEST} is missing", str(p / MANIFEST)) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise StoreCorruptError(f"{p / MANIFEST} is not a store manifest", str(p / MANIFEST))
    except StoreCorruptError as e:
        if not fallback:
            raise
        manifest = _fallback_manifest(p)
        manifest["damaged"] = f"{e}; read with the video description kept in {LABELS}/zarr.json"
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"the store {p} has format_version {version!r}; this version of napari-skipclick "
            f"({__version__}) reads up to {FORMAT_VERSION}. Update napari-skipclick."
        )
    return manifest


def _fallback_manifest(p: Path) -> dict:
    """A minimal manifest from the copy of the video description in the labels array."""
    doc = read_json(p / LABELS / "zarr.json", p)
    video = doc.get("attributes", {}).get("napari_skipclick", {}).get("video")
    video_from_doc(video, p / LABELS / "zarr.json")
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "video": video}


def check_same_video(p: Path, stored: VideoInfo, video: VideoInfo) -> None:
    """``StoreMismatchError`` unless the store at ``p``, made for ``stored``, is ``video``'s
    (the same fingerprint and size; the file may have moved). A store saved from a plain
    labels layer (``stored.labels_only``) is any video's of its size."""
    if not takes(stored, video):
        if video.labels_only and not stored.labels_only:  # a plain Labels layer saved
            raise StoreMismatchError(
                f"the store {p} is the store of a video ({stored.path or 'a layer'}): a plain "
                "Labels layer is never saved into it (its empty frames would erase the video's "
                "labels); save it to a new store, or import it in the widget (Import labels)"
            )
        folder = folder_change_text(p, stored, video)
        if folder is not None:
            raise StoreMismatchError(folder)
        raise StoreMismatchError(
            f"the store {p} belongs to another video: {stored.path or 'a layer without a file'} "
            f"({stored.n_frames} frames {stored.width}x{stored.height}, fingerprint "
            f"{_short(stored)}), not {video.path or 'a layer without a file'} "
            f"({video.n_frames} frames "
            f"{video.width}x{video.height}, fingerprint {_short(video)}). "
            f"{_mismatch_advice(stored, video)}"
        )


def _mismatch_advice(stored: VideoInfo, video: VideoInfo) -> str:
    """What to do when a store of ``stored`` is opened with ``video``, another one."""
    if not (stored.path and video.path and Path(stored.path) == Path(video.path)):
        return "Open that video, or choose another store path."
    return (  # napari's own reader decodes the file to other frames than PyAV's
        "It is the same file read another way (napari's own reader?): open it with "
        "napari-skipclick (File > Open with Plugin > SkipClick, or skipclick annotate)."
    )


def _short(video: VideoInfo) -> str:
    """A fingerprint as a message shows it: a hash's first 16 digits, a stand-in whole."""
    return video.fingerprint if video.labels_only else video.fingerprint[:16]


#: key of an opened manifest (never written) listing what opening the store repaired
REPAIRS = "_repairs"
#: key of an opened manifest (never written) listing what opening the store took in that is no
#: repair: photos new in its folder (``grow_with_folder``)
TAKEN_IN = "_taken_in"


def resume_manifest(p: Path, video: VideoInfo, key: str | None, checkpoint: str | None) -> dict:
    """Check that the store at ``p`` belongs to ``video`` and record this session in it."""
    repairs = []
    try:
        manifest = load_manifest(p, fallback=False)
    except StoreCorruptError:
        manifest = _fallback_manifest(p)  # repaired below if the video matches
        manifest["repaired"] = utc_now()
        repairs.append(f"{MANIFEST} was damaged or missing: written again from {LABELS}/zarr.json")
    stored = video_from_doc(manifest.get("video"), p / MANIFEST)
    added = added_photos(p, stored, video)
    taken_in = [grown_text(stored, added)] if added else []
    if added:
        grow_with_folder(p, manifest, video)
        stored = video
    check_same_video(p, stored, video)
    record_frame_files(p, video)  # a store made before they were recorded
    manifest["video"] = video_doc(video)  # the file may have moved
    if stored.path != video.path:  # and the copy the labels keep (a damaged manifest's stand-in)
        _note_labels_video(p, video)
    note_engine(manifest, key, checkpoint)
    opened_for_writing(p, manifest)
    manifest[REPAIRS] = repairs  # for this opening only (not written), as is what it took in
    manifest[TAKEN_IN] = taken_in
    return manifest


def grow_with_folder(p: Path, manifest: dict, video: VideoInfo) -> None:
    """Grow the store at ``p`` (its ``manifest``) to ``video``, its folder with photos added
    after the last one annotated (``added_photos``): ``labels/zarr.json`` gets the new frame
    count first (the chunks stay), then the manifest the new video (the step that makes the
    store ``video``'s), then ``frame_files.json`` the new names. A crash before the manifest
    leaves the store as it was (grown on the next opening, or its ``labels/zarr.json`` written
    again from the manifest by ``open_labels``, which also mends a damaged one); one after it,
    the names are recorded on the next opening (``record_frame_files``)."""
    where = p / LABELS / "zarr.json"
    try:
        with contextlib.suppress(StoreCorruptError, KeyError, TypeError):
            doc = read_json(where, p)
            doc["shape"] = [video.n_frames, video.height, video.width]
            doc["attributes"]["napari_skipclick"]["video"] = video_doc(video)
            write_json(where, doc)
        manifest["video"] = video_doc(video)
        write_json(p / MANIFEST, manifest)
        record_frame_files(p, video)
    except OSError as e:
        raise StoreError(f"cannot grow the store {p} with its folder: {e.strerror or e}") from e


def opened_for_writing(p: Path, manifest: dict) -> dict:
    """Record in the manifest of the store at ``p`` (written) that it is opened for writing
    now, by this version (``modified``, ``package_version``); return it."""
    manifest["package_version"] = __version__
    manifest["modified"] = utc_now()
    try:
        write_json(p / MANIFEST, manifest)
    except OSError as e:
        raise StoreError(f"cannot write to the store {p}: {e.strerror or e}") from e
    return manifest


def _note_labels_video(p: Path, video: VideoInfo) -> None:
    """Write ``video`` into the labels array's attributes; damaged ones are left to the repair
    that opening the labels makes."""
    try:
        labels = zarr.open_array(DurableLocalStore(p), path=LABELS, mode="r+")
        labels.update_attributes({"napari_skipclick": {"video": video_doc(video)}})
    except (OSError, *DECODE_ERRORS):
        return


def _create_labels(store: Any, video: VideoInfo) -> None:
    """The (T, H, W) uint32 labels array of ``video``, one zstd chunk per frame."""
    zarr.create_array(
        store,
        name=LABELS,
        shape=(video.n_frames, video.height, video.width),
        chunks=(1, video.height, video.width),
        dtype="uint32",
        fill_value=0,
        compressors=ZstdCodec(level=3, checksum=True),
        chunk_key_encoding={"name": "default", "separator": "."},
        dimension_names=("t", "y", "x"),
        attributes={"napari_skipclick": {"video": video_doc(video)}},
    )


def repair_labels_metadata(p: Path, video: VideoInfo) -> str:
    """Write ``labels/zarr.json`` again from the store's video (the format fixes every field
    of it); the labels' chunks are kept. Returns what was repaired, in words."""
    with tempfile.TemporaryDirectory() as scratch:
        _create_labels(LocalStore(scratch), video)
        write_json(p / LABELS / "zarr.json", read_json(Path(scratch) / LABELS / "zarr.json", p))
    return f"{LABELS}/zarr.json was damaged: written again from the store's video (labels kept)"


def open_labels(
    p: Path, video: VideoInfo, readonly: bool, repairs: list[str] | None = None
) -> zarr.Array:
    """Open the (T, H, W) uint32 labels array and check it matches ``video``. Opened for
    writing with ``repairs`` given, damaged metadata is written again (noted in it)."""
    if repairs is not None and not readonly:
        try:
            return open_labels(p, video, readonly)
        except StoreCorruptError:  # labels/zarr.json: the store's video says what it was
            repairs.append(repair_labels_metadata(p, video))
    where = p / LABELS / "zarr.json"
    try:
        arr = zarr.open_array(
            DurableLocalStore(p, read_only=readonly), path=LABELS, mode="r" if readonly else "r+"
        )
    except OSError as e:
        raise StoreError(f"cannot read the labels array of the store {p} ({where}): {e}") from e
    except DECODE_ERRORS as e:
        raise StoreCorruptError(
            f"the labels array of the store {p} cannot be opened ({where}): {e}", str(where)
        ) from e
    expected = (video.n_frames, video.height, video.width)
    if arr.shape != expected or arr.dtype != np.uint32:
        raise StoreCorruptError(
            f"{where} describes {arr.shape} {arr.dtype}, expected {expected} uint32", str(where)
        )
    return arr if readonly else arr.with_config({"write_empty_chunks": True})
