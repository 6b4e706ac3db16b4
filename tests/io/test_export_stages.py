"""Hidden folders of exports killed outright: removed by the next export into the folder."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from napari_skipclick.io.export import export_store
from napari_skipclick.io.export.run import OWNER, STAGE_PREFIX
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.io.store.lock import this_process
from napari_skipclick.types import FrameRecord, FrameStatus, VideoInfo

KILLED = """
import os, signal, sys
from napari_skipclick.io.export import export_store
def die(done, total):
    os.kill(os.getpid(), signal.SIGKILL)
export_store(sys.argv[1], "numpy", sys.argv[2], progress=die)
"""


def test_the_next_export_removes_a_killed_exports_folder_only(tmp_path):
    video = VideoInfo("/videos/v.mp4", 3, 8, 8, 24.0, "fp-stages")
    with AnnotationStore.open_or_create(tmp_path / "v.zarr", video) as s:
        for t in range(3):
            s.commit_frame(t, np.full((8, 8), 1, np.uint32), FrameRecord(FrameStatus.CLICKED, {}))
    out = tmp_path / "out"
    out.mkdir()
    killed = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path / "v.zarr"), str(out)])
    assert killed.returncode < 0  # killed outright: no clean-up ran
    [dead] = out.glob(f"{STAGE_PREFIX}*")
    live = out / f"{STAGE_PREFIX}live"  # an export running now, in this process
    live.mkdir()
    (live / OWNER).write_text(json.dumps(this_process()))
    unknown = out / f"{STAGE_PREFIX}old"  # an older version's: whose, nobody knows
    unknown.mkdir()
    said: list[str] = []
    export_store(tmp_path / "v.zarr", "numpy", out, warn=said.append)
    assert not dead.exists() and live.is_dir() and unknown.is_dir()
    assert (out / "labels.npy").is_file()
    assert any(str(dead) in text and "removed" in text for text in said)
    assert any(str(unknown) in text and "delete it" in text for text in said)
    assert not any(str(live) in text for text in said)
