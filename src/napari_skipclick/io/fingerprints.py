"""Whether two records of a video are of one video, by their fingerprints.

A photo's or TIFF's fingerprint held its file name before; it no longer does (a photo renamed
is the same photo). A store or an export made before records the old form, so two records
are of one video when the fingerprints are equal or are two forms of one photo: the forms
found from the photo that a record names, when the file is still the one it recorded, or the
old form made from the photo one record names under the name the other record gives (the
photo renamed since the old form was recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..types import VideoInfo
from ._folders import FRAME_FOLDER_SUFFIXES
from ._frame_sources import VideoError
from ._image_sources import PAGED_SUFFIXES, FrameFolderSource

#: a record of a video: its ``VideoInfo``, or its JSON form (an export's, a layer's metadata)
Record = VideoInfo | Mapping[str, Any]


def known_forms(video: Record) -> frozenset[str]:
    """The fingerprints ``video`` is known by: its own and, for a photo or TIFF, every form
    that file has had (``VideoInfo.forms``: an opened one knows them; a recorded one's are
    read from its file, when the record is of that file as it is now)."""
    fingerprint = _fingerprint(video)
    forms = video.forms if isinstance(video, VideoInfo) else ()
    if len(forms) < 2:
        source = _photo(_path(video))
        forms = () if source is None else (source.fingerprint(), *source.former_fingerprints())
    return frozenset(forms) if fingerprint in forms else frozenset((fingerprint,))


def same_video(a: Record, b: Record) -> bool:
    """Whether records ``a`` and ``b`` are of one video (``known_forms`` shared; ``b``'s file
    is not read when ``a`` knows its fingerprint, no file when they are the same)."""
    if _fingerprint(a) == _fingerprint(b):
        return True
    forms = known_forms(a)
    return _fingerprint(b) in forms or _same(a, b, forms, known_forms(b))


def first_of_video(records: Sequence[Record]) -> list[int]:
    """For each of ``records``, the index of the first of them of its video (``same_video``,
    each record's forms found once: stores given to one export)."""
    forms = [known_forms(record) for record in records]
    firsts: list[int] = []
    for k, record in enumerate(records):
        firsts.append(
            next(
                (j for j in dict.fromkeys(firsts) if _same(records[j], record, forms[j], forms[k])),
                k,
            )
        )
    return firsts


def _same(a: Record, b: Record, forms_a: frozenset[str], forms_b: frozenset[str]) -> bool:
    """``same_video`` of ``a`` and ``b`` known by ``forms_a`` and ``forms_b``: a form shared,
    or one the old form of the other's photo, renamed since (``renamed_photo``). That is tried
    only for a record whose file no longer holds it (one form): a photo still as recorded has
    both forms, the same bytes under another name share its nameless one: two such read no
    file."""
    if not forms_a.isdisjoint(forms_b):
        return True
    return (len(forms_a) < 2 and renamed_photo(a, b)) or (len(forms_b) < 2 and renamed_photo(b, a))


def takes(stored: VideoInfo, video: VideoInfo) -> bool:
    """Whether a store made for ``stored`` is ``video``'s: ``VideoInfo.takes``, or
    ``renamed_photo`` (a store of the old form whose photo was renamed since)."""
    return stored.takes(video) or renamed_photo(stored, video)


def renamed_photo(old: Record, new: Record) -> bool:
    """Whether ``old`` records in the old form (its file name in its fingerprint) the photo or
    TIFF that ``new`` names under another name: that form made of ``new``'s file with
    ``old``'s file name is ``old``'s fingerprint (the same bytes; ``new``'s file is read)."""
    name, path = Path(_path(old)).name, _path(new)
    if not name or not path or Path(path).name == name:
        return False
    source = _photo(path)
    return source is not None and _fingerprint(old) in source.former_fingerprints(name)


def _fingerprint(video: Record) -> str:
    return video.fingerprint if isinstance(video, VideoInfo) else str(video.get("fingerprint"))


def _path(video: Record) -> str:
    return video.path if isinstance(video, VideoInfo) else str(video.get("path") or "")


def _photo(path: str) -> FrameFolderSource | None:
    """The photo or TIFF at ``path`` (None for a folder, a video file, or a file gone or
    unreadable: their fingerprints never changed, or cannot be known)."""
    p = Path(path)
    if not path or p.suffix.lower() not in FRAME_FOLDER_SUFFIXES + PAGED_SUFFIXES:
        return None
    try:
        return FrameFolderSource(p, FRAME_FOLDER_SUFFIXES, fps=25.0) if p.is_file() else None
    except (VideoError, OSError):
        return None
