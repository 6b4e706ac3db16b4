"""Whether two records of a video are of one video, by their fingerprints.

A photo's or TIFF's fingerprint held its file name before; it no longer does (a photo renamed
is the same photo). A store or an export made before records the old form, so two records
are of one video when the fingerprints are equal or are two forms of one photo: the forms
found from the photo that a record names, when the file is still the one it recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
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
        path = video.path if isinstance(video, VideoInfo) else video.get("path")
        forms = _file_forms(str(path or ""))
    return frozenset(forms) if fingerprint in forms else frozenset((fingerprint,))


def same_video(a: Record, b: Record) -> bool:
    """Whether records ``a`` and ``b`` are of one video (``known_forms`` shared; ``b``'s file
    is not read when ``a`` knows its fingerprint, no file when they are the same)."""
    if _fingerprint(a) == _fingerprint(b):
        return True
    forms = known_forms(a)
    return _fingerprint(b) in forms or not forms.isdisjoint(known_forms(b))


def _fingerprint(video: Record) -> str:
    return video.fingerprint if isinstance(video, VideoInfo) else str(video.get("fingerprint"))


def _file_forms(path: str) -> tuple[str, ...]:
    """The forms of the fingerprint of the photo or TIFF at ``path`` (none for a folder, a
    video file, or a file gone or unreadable: theirs never changed, or cannot be known)."""
    p = Path(path)
    if not path or p.suffix.lower() not in FRAME_FOLDER_SUFFIXES + PAGED_SUFFIXES:
        return ()
    try:
        if not p.is_file():
            return ()
        source = FrameFolderSource(p, FRAME_FOLDER_SUFFIXES, fps=25.0)
        return (source.fingerprint(), *source.former_fingerprints())
    except (VideoError, OSError):
        return ()
