"""Frame lists as text, for people: ``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"``."""

from __future__ import annotations

from collections.abc import Iterable


def frame_ranges(frames: Iterable[int]) -> str:
    """Compact frame list: ``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"`` (sorted, ranges
    inclusive)."""
    parts: list[str] = []
    frames = sorted(frames)
    i = 0
    while i < len(frames):
        j = i
        while j + 1 < len(frames) and frames[j + 1] == frames[j] + 1:
            j += 1
        parts.append(str(frames[i]) if i == j else f"{frames[i]}-{frames[j]}")
        i = j + 1
    return ", ".join(parts)
