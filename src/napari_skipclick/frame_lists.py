"""Frame lists as text, both ways: for people (``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"``) and
from the command line (``--frames 0-10,15``, ``100-`` to the end, ``0:100`` as Python slices
it), one syntax for every command; counts in words (``counted``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: what a frame list looks like, said by every refusal
FRAMES_SYNTAX = "0-10,15 (ranges inclusive), 100- (to the end) or 0:100 (100 left out)"


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


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` in words: "1 frame", "2 frames", "0 photos" (the plural in -s)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def frames_named(frames: Iterable[int]) -> str:
    """``"frame 4"``, ``"frames 4, 7"`` or ``"frames 2-5"``: a frame list in a sentence."""
    frames = sorted(frames)
    return f"frame {frames[0]}" if len(frames) == 1 else f"frames {frame_ranges(frames)}"


@dataclass(frozen=True)
class FrameSelection:
    """Frames given as text, read by :func:`parse_frames`; a video's length completes the
    open ranges (``100-``)."""

    text: str
    #: ``(start, stop)`` with ``stop`` left out (``None``: to the video's end)
    parts: tuple[tuple[int, int | None], ...]

    def frames(self, length: int) -> list[int]:
        """The frames of a video of ``length`` frames, in the order given, each once; frames
        named past its end are kept, an open range's start among them (``200-`` of 127
        frames: ``[200]``, not nothing; see :meth:`past_the_end`)."""
        chosen: dict[int, None] = {}
        for start, stop in self.parts:
            end = max(length, start + 1) if stop is None else stop
            chosen.update(dict.fromkeys(range(start, end)))
        return list(chosen)

    def past_the_end(self, length: int, videos: int = 1) -> None:
        """``ValueError`` naming the frames as written and the video's length (the longest of
        ``videos``) when a frame asked for is past it."""
        if any(t >= length for t in self.frames(length)):
            video = "the video has" if videos == 1 else f"the longest of the {videos} videos has"
            has = f"{video} {counted(length, 'frame')} (0 to {length - 1})"
            raise ValueError(f"--frames {self.text} is out of range: {has}")


def parse_frames(text: str) -> FrameSelection:
    """Read ``--frames``: comma-separated frames ``N``, ranges ``A-B`` (inclusive), ``A-`` (to
    the end) and slices ``A:B`` (``B`` left out; either side may be empty). ``ValueError``
    that shows the syntax otherwise."""
    parts: list[tuple[int, int | None]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        sep = ":" if ":" in part else "-"
        first, found, last = part.partition(sep)
        try:
            start = int(first) if first.strip() else 0
            stop = int(last) + (sep == "-") if last.strip() else None
        except ValueError:
            raise ValueError(f"--frames must look like {FRAMES_SYNTAX}; not {text!r}") from None
        if not found:
            stop = start + 1
        if start < 0 or (sep == "-" and not first.strip()):
            raise ValueError(f"--frames counts from 0 and must not be negative, not {text!r}")
        # A-B holds B (stop is B + 1), so 3-2 runs backwards where 3:2 would merely be empty
        if stop is not None and stop < start + (sep == "-"):
            raise ValueError(f"--frames {part} runs backwards: write it as {last}{sep}{first}")
        if stop == start:
            raise ValueError(f"--frames {part} names no frame (its end is left out)")
        parts.append((start, stop))
    if not parts:
        raise ValueError(f"--frames names no frame; it looks like {FRAMES_SYNTAX}")
    return FrameSelection(text.strip(), tuple(parts))
