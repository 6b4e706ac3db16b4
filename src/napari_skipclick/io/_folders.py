"""What a folder is: a frame folder (a video of its images) or a folder of videos.

One rule, for ``open_video`` and its frame reader, napari's reader and ``skipclick precompute``:
a folder is a *frame folder* when it holds more images than videos (its images: its JPEG/PNG
files, or its TIFF files when it holds no JPEG/PNG, as a microscope or camera writes 16-bit
frames), a video being a
video file or a subfolder that holds images or video files (a clip's frame folder, a day's
videos); the video files beside its frames are left out (``ffmpeg -i source.mp4 %05d.jpg`` run in
the video's own folder). Otherwise, holding any video, it is a *folder of videos*; the images
beside them (a cover) are left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: file name suffixes read as video files (lower case)
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
#: file name suffixes of the frames of a frame folder (lower case)
FRAME_FOLDER_SUFFIXES = (".jpg", ".jpeg", ".png")
#: TIFF suffixes: a file's pages are frames; a folder's frames when it holds no JPEG/PNG
TIFF_SUFFIXES = (".tif", ".tiff")


def is_video_file(path: str | Path) -> bool:
    """True if ``path`` is an existing file with a video suffix (content is not checked)."""
    path = Path(path)
    return path.suffix.lower() in VIDEO_SUFFIXES and path.is_file()


@dataclass(frozen=True)
class Folder:
    """What a directory holds, as far as the rule needs it (hidden entries ignored)."""

    path: Path
    #: its frame images (``frame_suffixes``), in no particular order
    images: tuple[Path, ...] = ()
    #: its video files
    video_files: tuple[Path, ...] = ()
    #: subfolders holding images or video files (at any depth); counted only as far as the
    #: rule needs (a folder of many frames is not searched below)
    video_folders: tuple[Path, ...] = ()
    #: the suffixes of its frames: JPEG/PNG; TIFF when it holds TIFF files and no JPEG/PNG
    #: (both when it holds neither)
    frame_suffixes: tuple[str, ...] = FRAME_FOLDER_SUFFIXES

    @classmethod
    def of(cls, path: str | Path) -> Folder | None:
        """What the directory ``path`` holds; None if it is no directory or cannot be listed."""
        path = Path(path)
        entries = _entries(path)
        if entries is None:
            return None
        suffixes = FRAME_FOLDER_SUFFIXES
        images = tuple(p for p in entries if p.suffix.lower() in suffixes and p.is_file())
        if not images:
            suffixes = TIFF_SUFFIXES
            images = tuple(p for p in entries if p.suffix.lower() in suffixes and p.is_file())
        video_files = tuple(p for p in entries if is_video_file(p))
        subfolders = sorted(p for p in entries if p.is_dir())
        video_folders: list[Path] = []
        for seen, sub in enumerate(subfolders):  # looked into only while they count
            videos = len(video_files) + len(video_folders)
            if len(images) > videos + len(subfolders) - seen or 0 < videos >= len(images):
                break  # a frame folder, or a folder of videos, whatever the subfolders left hold
            if _holds_media(sub, set()):
                video_folders.append(sub)
        suffixes = suffixes if images else FRAME_FOLDER_SUFFIXES + TIFF_SUFFIXES  # none: either
        return cls(path, images, video_files, tuple(video_folders), suffixes)

    @property
    def videos(self) -> int:
        """Its videos: video files and subfolders holding images or video files (counted as
        far as the rule needs)."""
        return len(self.video_files) + len(self.video_folders)

    @property
    def is_frames(self) -> bool:
        """A frame folder: more images than videos."""
        return len(self.images) > self.videos

    @property
    def is_videos(self) -> bool:
        """A folder of videos: some video, and at least as many videos as images."""
        return self.videos > 0 and not self.is_frames

    @property
    def left_out(self) -> tuple[Path, ...]:
        """What the rule leaves out: video files beside frames, or images beside videos."""
        if self.is_frames:
            return self.video_files
        return self.images if self.is_videos else ()


def _entries(path: Path) -> list[Path] | None:
    try:
        return [p for p in path.iterdir() if not p.name.startswith(".")] if path.is_dir() else None
    except OSError:
        return None


def _holds_media(path: Path, seen: set[str]) -> bool:
    """True if ``path`` holds an image or video file, or a subfolder that does (symbolic links
    that lead back to a folder already seen are not followed again)."""
    real = os.path.realpath(path)
    if real in seen:
        return False
    seen.add(real)
    entries = _entries(path) or []
    suffixes = FRAME_FOLDER_SUFFIXES + TIFF_SUFFIXES + VIDEO_SUFFIXES
    if any(p.suffix.lower() in suffixes and p.is_file() for p in entries):
        return True
    return any(_holds_media(p, seen) for p in sorted(entries) if p.is_dir())


def is_frame_folder(path: str | Path) -> bool:
    """True if ``path`` is a frame folder: a directory holding more JPEG/PNG (or, without
    those, TIFF) images than videos (see the module's rule)."""
    found = Folder.of(path)
    return found is not None and found.is_frames
