"""The frames and statuses an export or a ``Dataset`` is asked for, as Python callers give
them: a list, one value, or the command line's text (``"0-10,15"``, ``"reviewed"``)."""

from __future__ import annotations

from collections.abc import Iterable

from ...frame_lists import FRAMES_SYNTAX, parse_frames
from ...types import EXPORT_STATUSES, FrameStatus


def asked_frames(frames: str | int | Iterable[int] | None, length: int) -> list[int] | None:
    """Frame indices: a list, one index, or ``--frames`` text (``frame_lists``, open ranges
    to ``length``); ``ValueError`` that shows what is meant otherwise."""
    if frames is None:
        return None
    if isinstance(frames, str):
        try:
            return parse_frames(frames).frames(length)
        except ValueError as exc:
            raise ValueError(f"frames: {str(exc).removeprefix('--frames ')}") from None
    try:
        return [int(frames)] if isinstance(frames, int) else [int(t) for t in frames]
    except (TypeError, ValueError):
        raise ValueError(
            f"frames are frame indices ([0, 1, 2]) or text like {FRAMES_SYNTAX}; not {frames!r}"
        ) from None


def asked_statuses(statuses: str | Iterable[FrameStatus | str] | None) -> list[str] | None:
    """Status values: a list, or one status; ``ValueError`` naming the statuses otherwise."""
    if statuses is None:
        return None
    asked = [statuses] if isinstance(statuses, str) else list(statuses)
    try:
        return [FrameStatus(s).value for s in asked]
    except ValueError:
        raise ValueError(
            f"statuses are among {', '.join(EXPORT_STATUSES)} (one, or a list); not {statuses!r}"
        ) from None
