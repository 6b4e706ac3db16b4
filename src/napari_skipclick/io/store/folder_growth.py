"""A folder of photos changed since its store was made: the photos added after its last one,
which the store grows with (``layout.grow_with_folder``), and a change it cannot follow said
with the photos' names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...frame_lists import counted
from ...types import VideoInfo
from .._image_sources import files_fingerprint
from .frame_files import SHOWN, read_frame_files


def photos(n: int) -> str:
    """``n`` photo(s) in words: "1 photo", "2 photos"."""
    return counted(n, "photo")


def named(names: Sequence[str]) -> str:
    """The first ``SHOWN`` of ``names``, then how many more."""
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def unchanged(folder: Path, recorded: Sequence[str], stored: VideoInfo) -> bool:
    """Whether the photos ``recorded`` are in ``folder`` as ``stored`` fingerprinted them
    (names, byte sizes, first and last file's bytes): none gone, renamed or replaced."""
    files = [folder / name for name in dict.fromkeys(recorded)]
    size = (stored.n_frames, stored.height, stored.width)
    try:
        return files_fingerprint(files, size, named=True) == stored.fingerprint
    except OSError:
        return False


def added_photos(p: Path, stored: VideoInfo, video: VideoInfo) -> tuple[str, ...]:
    """The photos of ``video``, the folder the store at ``p`` was made for (``stored``), added
    after the last one annotated, every photo annotated still there as it was: the store can
    grow to ``video`` with them. Empty for any other change (``folder_change_text`` says it)."""
    recorded = read_frame_files(p, stored)
    if recorded is None or (stored.height, stored.width) != (video.height, video.width):
        return ()
    added = video.frame_files[len(recorded) :]
    if not added or video.frame_files[: len(recorded)] != recorded:
        return ()
    return added if unchanged(Path(video.path), recorded, stored) else ()


def grown_text(stored: VideoInfo, added: Sequence[str]) -> str:
    """What a store of ``stored`` grown with the photos ``added`` says once."""
    first, last = stored.n_frames, stored.n_frames + len(added) - 1
    frames = f"frame {first}" if first == last else f"frames {first}-{last}"
    return f"{photos(len(added))} new in the folder, taken in as {frames}: {named(added)}"


def folder_change_text(p: Path, stored: VideoInfo, video: VideoInfo) -> str | None:
    """How ``video``, a folder of photos, differs from the folder ``stored`` the store at ``p``
    was made for (the same folder, or one holding photos of the same names), and what to do;
    None for another video."""
    if not (stored.path and video.path and Path(video.path).is_dir()):
        return None
    recorded = read_frame_files(p, stored)
    moved = stored.path != video.path
    if moved and not set(recorded or ()) & set(video.frame_files):
        return None
    was = f"the store {p} was made for the folder {stored.path}"
    other = f" (now {video.path}?)" if moved else ""
    keep = "choose another store path to annotate the folder as it is now"
    if recorded is None:  # a store made before the names were recorded: counts only
        change = video.n_frames - stored.n_frames
        if not change:
            return None
        done = "added" if change > 0 else "taken out"
        return (
            f"{was} when it held {photos(stored.n_frames)}{other}; {photos(abs(change))} "
            f"{'was' if abs(change) == 1 else 'were'} {done} since. Put the folder back as it "
            f"was to go on with this store, or {keep}."
        )
    gone = [name for name in dict.fromkeys(recorded) if name not in set(video.frame_files)]
    new = [name for name in video.frame_files if name not in set(recorded)]
    were = "was" if len(gone) == 1 else "were"
    said = [f"{photos(len(gone))} annotated {were} taken out: {named(gone)}"] if gone else []
    said += [f"{photos(len(new))} new: {named(new)}"] if new else []
    if not said:
        said = ["its photos have the names annotated, but some were edited or replaced"]
    if gone or not new:
        do = "Put the photos back as they were to go on with this store"
    elif added_photos(p, stored, video):
        do = "Opening the store for annotation takes them in (a check or a dry run does not)"
    else:
        do = (
            f"Name the new photos to sort after {recorded[-1]} to go on with this store (it "
            "takes in photos added after its last one)"
        )
    return f"{was}{other}, and it changed since: {'; '.join(said)}. {do}, or {keep}."
