"""Train/val/test splits of exported frames: contiguous blocks of frames, or whole videos.

Neighbouring video frames are near-duplicates. A random split by frame puts frame ``t`` in
train and frame ``t + 1`` in val, so validation scores measure memory, not generalisation.
Splitting by contiguous blocks of frames (the default; the blocks of all the videos exported are
drawn as one pool) or by whole videos avoids that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: how many contiguous blocks a video's exported frames are cut into for a frame split
BLOCKS_PER_VIDEO = 20


def parse_split(text: str) -> dict[str, float]:
    """``"train=0.8,val=0.2"`` -> ``{"train": 0.8, "val": 0.2}`` (fractions summing to 1).

    Raises ``ValueError`` with the reason for a malformed text.
    """
    split: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"a split looks like train=0.8,val=0.2, not {text!r}")
        if name in split:
            raise ValueError(f"split {name!r} is named twice in {text!r}")
        try:
            fraction = float(value)
        except ValueError:
            raise ValueError(f"the fraction of split {name!r} is not a number: {value!r}") from None
        if not 0 < fraction <= 1:
            raise ValueError(f"the fraction of split {name!r} must be in (0, 1], not {fraction}")
        split[name] = fraction
    if not split:
        raise ValueError(f"no split given in {text!r}")
    if not math.isclose(sum(split.values()), 1.0, abs_tol=1e-6):
        raise ValueError(f"split fractions must sum to 1, not {sum(split.values()):g}")
    return split


def _counts(n: int, fractions: Sequence[float]) -> list[int]:
    """``n`` items shared by ``fractions`` (largest remainders; no empty split if n allows)."""
    exact = [f * n for f in fractions]
    counts = [math.floor(e) for e in exact]
    order = np.argsort([c - e for c, e in zip(counts, exact, strict=True)], kind="stable")
    for i in order[: n - sum(counts)]:
        counts[int(i)] += 1
    for i, count in enumerate(counts):  # no empty split while another has items to spare
        donor = int(np.argmax(counts))
        if count == 0 and counts[donor] > 1:
            counts[donor] -= 1
            counts[i] = 1
    return counts


def _assign(n: int, split: dict[str, float], seed: int) -> list[str]:
    """A split name for each of ``n`` units, in a seeded random order of units."""
    names = list(split)
    counts = _counts(n, [split[s] for s in names])
    labels = [name for name, count in zip(names, counts, strict=True) for _ in range(count)]
    order = np.random.default_rng(seed).permutation(n)
    assigned = [""] * n
    for unit, label in zip(order, labels, strict=True):
        assigned[int(unit)] = label
    return assigned


def split_frames(
    videos: Sequence[Sequence[int]], split: dict[str, float], seed: int
) -> list[dict[int, str]]:
    """Per video, frame -> split: each video's (sorted) frames cut into contiguous blocks,
    the blocks of all videos drawn into the splits as one pool with ``seed`` (videos split one
    by one with one seed put every single-frame video in the same split)."""
    blocks: list[list[int]] = []  # the frames of each block, of every video in turn
    owner: list[int] = []  # the video of each block
    for k, frames in enumerate(videos):
        frames = sorted(frames)
        n_blocks = min(len(frames), BLOCKS_PER_VIDEO)
        bounds = np.linspace(0, len(frames), n_blocks + 1).round().astype(int)
        blocks.extend(frames[bounds[b] : bounds[b + 1]] for b in range(n_blocks))
        owner.extend([k] * n_blocks)
    splits: list[dict[int, str]] = [{} for _ in videos]
    for k, block, name in zip(owner, blocks, _assign(len(blocks), split, seed), strict=True):
        splits[k].update(dict.fromkeys(block, name))
    return splits


def split_videos(videos: Sequence[str], split: dict[str, float], seed: int) -> dict[str, str]:
    """Video -> split: whole videos drawn with ``seed`` (one video goes to one split)."""
    return dict(zip(videos, _assign(len(videos), split, seed), strict=True))
