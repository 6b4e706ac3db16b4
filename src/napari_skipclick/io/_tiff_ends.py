"""Whether a TIFF file is whole: its IFDs, their values and every page's strips or tiles end
within the file (a copy cut short ends before them). Reads the IFDs alone, decodes nothing."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

#: struct format of each TIFF field type read as integers (BYTE, SHORT, LONG, IFD, LONG8, IFD8)
_INTEGERS = {1: "B", 3: "H", 4: "I", 13: "I", 16: "Q", 18: "Q"}
#: byte size of each other field type (ASCII, RATIONAL, SBYTE, UNDEFINED, SSHORT, SLONG,
#: SRATIONAL, FLOAT, DOUBLE, SLONG8)
_SIZES = {2: 1, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 17: 8}
#: (offsets, byte counts) tags of a page's pixel data: its strips, its tiles
_DATA_TAGS = ((273, 279), (324, 325))


class _Ends(Exception):
    """What lies past the file's end, in words."""


def tiff_cut_short(file: Path) -> str | None:
    """Where the TIFF ``file`` is cut short, in words (*page 3's pixel data end at byte 9600,
    the file has 9500 bytes*), or None when it is whole or not a TIFF (left to Pillow to read)."""
    size = file.stat().st_size
    with file.open("rb") as raw:
        head = raw.read(16)
        if head[:4] not in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
            return None
        order, big = ("<" if head[:2] == b"II" else ">"), head[2:4] in (b"+\0", b"\0+")
        seen: set[int] = set()
        try:
            first = _read(raw, size, 8 if big else 4, 8 if big else 4, "the header")
            offset = struct.unpack(order + ("Q" if big else "I"), first)[0]
            while offset and offset not in seen:  # a loop of IFDs is Pillow's to refuse
                seen.add(offset)
                tags, offset = _ifd(raw, size, offset, order, big, len(seen))
                for offsets, counts in _DATA_TAGS:  # as many of each: Pillow's to check
                    pairs = zip(tags.get(offsets, ()), tags.get(counts, ()), strict=False)
                    ends = [at + n for at, n in pairs]
                    if max(ends, default=0) > size:
                        raise _Ends(f"page {len(seen)}'s pixel data end at byte {max(ends)}")
        except _Ends as past:
            return f"{past}, the file has {size} bytes"
    return None


def _ifd(
    raw: BinaryIO, size: int, at: int, order: str, big: bool, page: int
) -> tuple[dict[int, tuple[int, ...]], int]:
    """The integer tags (tag -> values) of page ``page``'s IFD, at ``at``, and the next IFD's
    offset; ``_Ends`` if the IFD or a value of it lies past ``size``."""
    count_format, entry, word = ("Q", 20, "Q") if big else ("H", 12, "I")
    inline = struct.calcsize(word)  # a value of at most this many bytes is in its entry
    counted = struct.calcsize(count_format)
    what = f"page {page}'s IFD"
    count = struct.unpack(order + count_format, _read(raw, size, at, counted, what))[0]
    body = _read(raw, size, at + counted, count * entry + inline, what)
    tags: dict[int, tuple[int, ...]] = {}
    for k in range(count):
        tag, kind, n = struct.unpack(order + "HH" + word, body[k * entry : k * entry + 4 + inline])
        item = struct.calcsize(_INTEGERS[kind]) if kind in _INTEGERS else _SIZES.get(kind, 1)
        value = body[k * entry + 4 + inline : (k + 1) * entry]
        if n * item > inline:  # stored elsewhere: ``value`` is where
            where = struct.unpack(order + word, value)[0]
            value = _read(raw, size, where, n * item, f"page {page}'s tag {tag}")
        if kind in _INTEGERS:
            tags[tag] = struct.unpack(f"{order}{n}{_INTEGERS[kind]}", value[: n * item])
    return tags, struct.unpack(order + word, body[count * entry :])[0]


def _read(raw: BinaryIO, size: int, at: int, n: int, what: str) -> bytes:
    """``n`` bytes at ``at``; ``_Ends`` saying where ``what`` ends if that is past ``size``."""
    if at >= size:
        raise _Ends(f"{what} starts at byte {at}")
    if at + n > size:
        raise _Ends(f"{what} ends at byte {at + n}")
    raw.seek(at)
    return raw.read(n)
