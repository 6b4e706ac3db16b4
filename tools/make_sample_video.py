"""Encode the DAVIS 2017 ``giant-slalom`` JPEG frames into the H.264 sample video shipped with
the package (``src/napari_skipclick/sample_data/giant_slalom.mp4``).

Usage::

    python tools/make_sample_video.py [FRAMES_DIR] [--out OUT] [--crf 24] [--fps 24]

Single-threaded x264 with a fixed preset, so the same frames give the same bytes.
"""

from __future__ import annotations

import argparse
import re
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FRAMES = REPO.parent / "shared" / "data" / "davis_giant_slalom" / "frames"
DEFAULT_OUT = REPO / "src" / "napari_skipclick" / "sample_data" / "giant_slalom.mp4"


def natural_key(name: str) -> list:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def encode(frames_dir: Path, out: Path, *, crf: int, fps: int, preset: str) -> int:
    """Encode every JPEG in ``frames_dir`` (natural order) into ``out``; return the frame count."""
    paths = sorted(frames_dir.glob("*.jpg"), key=lambda p: natural_key(p.name))
    if not paths:
        raise SystemExit(f"no .jpg frames in {frames_dir}")
    first = np.asarray(Image.open(paths[0]).convert("RGB"))
    height, width = first.shape[:2]
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset, "threads": "1", "tune": "film"}
        stream.codec_context.gop_size = 2 * fps
        for path in paths:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            if rgb.shape[:2] != (height, width):
                raise SystemExit(
                    f"{path.name} is {rgb.shape[1]}x{rgb.shape[0]}, expected {width}x{height}"
                )
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return len(paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frames", nargs="?", type=Path, default=DEFAULT_FRAMES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--crf", type=int, default=24, help="x264 quality (lower = better)")
    parser.add_argument("--fps", type=int, default=24, help="frame rate (DAVIS is 24 fps)")
    parser.add_argument("--preset", default="slow", help="x264 preset")
    args = parser.parse_args(argv)
    n = encode(args.frames, args.out, crf=args.crf, fps=args.fps, preset=args.preset)
    print(f"wrote {args.out} ({n} frames, {args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
