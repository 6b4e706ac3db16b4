"""``skipclick precompute``'s inputs: the videos that video files and folders name, and what
their search leaves out (what a frame folder is: ``io._folders``' rule)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .io._folders import Folder
from .io.video import is_label_folder, is_video_file


@dataclass
class Found:
    """The videos named on the command line (absolute paths), and what their search left out."""

    videos: list[str] = field(default_factory=list)
    #: one line per unusable input
    failures: list[str] = field(default_factory=list)
    #: folders of label images
    label_folders: list[str] = field(default_factory=list)
    #: images beside videos (a cover): a folder of no more images than videos holds videos
    stray_images: list[str] = field(default_factory=list)
    #: video files beside frames (the source of ffmpeg's frames): more images make frames
    stray_videos: list[str] = field(default_factory=list)

    def leave_out(self, held: Folder) -> None:
        """Note what the rule leaves out of the folder ``held``."""
        strays = self.stray_videos if held.is_frames else self.stray_images
        strays.extend(str(p) for p in sorted(held.left_out))


def expand_inputs(inputs: Sequence[str]) -> Found:
    """The videos named by ``inputs``, one failure line per unusable input, and what a search
    left out.

    A video file or frame folder is taken as is; another folder is searched (recursively) for
    video files and frame folders, leaving out folders of label images (``is_label_folder``:
    a data set's ``masks/`` beside its ``frames/``). What a frame folder is, and what is left
    out beside frames or videos, is ``io._folders``' rule: more images than videos make a
    frame folder.
    """
    found = Found()
    for text in inputs:
        path = Path(text).expanduser().resolve()
        held = Folder.of(path)
        if held is not None:
            found.leave_out(held)
        if is_video_file(path) or (held is not None and held.is_frames):
            videos = [path]
        elif held is not None:
            videos = _videos_in(path, found)
            if not videos:
                found.failures.append(f"{text}: no video files or frame folders in this folder")
        elif path.is_dir():
            videos = []
            found.failures.append(f"{text}: cannot list this folder")
        elif path.exists():
            videos = []
            found.failures.append(f"{text}: not a video file (by its suffix) nor a folder")
        else:
            videos = []
            found.failures.append(f"{text}: no such file or folder")
        found.videos.extend(str(p) for p in videos if str(p) not in found.videos)
    return found


def _videos_in(folder: Path, found: Found) -> list[Path]:
    videos = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        held = Folder.of(path)
        if is_label_folder(path):
            found.label_folders.append(str(path))
        elif is_video_file(path):
            videos.append(path)
        elif held is not None:
            found.leave_out(held)
            videos.extend([path] if held.is_frames else _videos_in(path, found))
    return videos


def say_found(found: Found) -> None:
    """Name the videos a run encodes (ten at most) and what their search left out."""
    videos = found.videos
    root = os.path.commonpath(videos) if len(videos) > 1 else ""
    if os.path.dirname(root) == root:  # only the file system's root in common: full paths
        root = ""
    names = [os.path.relpath(v, root) if root else v for v in videos]  # bmx-trees/frames
    print(f"videos: {len(videos)} ({_listed(names, 10)})", file=sys.stderr)
    rule = "a folder holding more images than videos is a frame folder, else a folder of videos"
    for what, paths in (
        ("folder(s) of label images", found.label_folders),
        (f"image(s) beside videos ({rule})", found.stray_images),
        (f"video file(s) beside frames ({rule})", found.stray_videos),
    ):
        if paths:
            print(f"left out {len(paths)} {what}: {_listed(paths, 3)}", file=sys.stderr)


def _listed(names: Sequence[str], most: int) -> str:
    return ", ".join(names[:most]) + (" …" if len(names) > most else "")
