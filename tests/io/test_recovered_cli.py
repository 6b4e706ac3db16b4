"""``skipclick recovered``: the recovery stores listed, read by ``skipclick info``, and removed
only when asked."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._writer import write_labels
from napari_skipclick.cli import main
from napari_skipclick.io import recovered
from napari_skipclick.io.store import AnnotationStore

META = {
    "metadata": {
        "objects": [{"id": 3, "name": "skier", "class_name": "athlete", "color": [255, 0, 0]}]
    }
}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The recovery folder in the test's cache folder."""
    monkeypatch.setenv("SKIPCLICK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "recovered"


def recovery_store(folder, stamp: str | None = None):
    """A recovery store as a session leaves it: two frames of object 3 (made ``stamp``)."""
    path = recovered.new_recovery_path(folder)
    if stamp is not None:
        path = path.rename(folder / f"labels-{stamp}-1.zarr")
    labels = np.zeros((4, 16, 20), np.uint32)
    labels[1, 2:6, 3:9] = 3
    labels[2, 4:8, 3:9] = 3
    write_labels(str(path), labels, META, only=[1, 2])
    return path


def test_the_recovery_stores_are_listed_with_date_frames_objects_size(folder, capsys):
    assert main(["recovered"]) == 0
    assert "no recovery stores" in capsys.readouterr().out
    old, new = recovery_store(folder, "20200102-030405"), recovery_store(folder)
    assert main(["recovered"]) == 0
    out = capsys.readouterr().out
    assert f"2 recovery store(s) in {folder}" in out
    rows = [line.split() for line in out.splitlines() if line.endswith(".zarr")]
    assert [row[-1] for row in rows] == [str(old), str(new)]  # oldest first
    assert rows[0][:4] == ["2020-01-02", "03:04:05", "2", "1"]
    assert "skipclick recovered --remove" in out


def test_skipclick_info_reads_a_recovery_store(folder, capsys):
    path = recovery_store(folder)
    assert main(["info", "--quiet", str(path)]) == 0
    out = capsys.readouterr().out
    assert "skier" in out and "2 of 4 annotated" in out


def test_removing_by_age_takes_the_old_ones_and_names_them(folder, capsys):
    old, new = recovery_store(folder, "20200102-030405"), recovery_store(folder)
    assert main(["recovered", "--remove", "30", "--dry-run"]) == 0
    assert f"would remove {old} (2 frame(s), 1 object(s)" in capsys.readouterr().out
    assert old.is_dir()
    assert main(["recovered", "--remove", "30"]) == 0
    assert f"removed {old}" in capsys.readouterr().out
    assert not old.exists() and new.is_dir()
    for wrong in ("-1", "nan", "inf"):
        assert main(["recovered", "--remove", wrong]) == 2  # refused, nothing removed
    assert new.is_dir()


def test_removing_by_path_takes_a_recovery_store_alone(folder, tmp_path, capsys):
    path = recovery_store(folder)
    other = tmp_path / "labels-mine.zarr"
    with AnnotationStore.open(path) as store:
        video = store.video
    AnnotationStore.open_or_create(other, video).close()
    assert main(["recovered", "--remove", str(other)]) == 2  # a store of the user's: refused
    assert "no recovery store" in capsys.readouterr().err and other.is_dir()
    assert main(["recovered", "--remove", str(path)]) == 0
    assert not path.exists()


def test_a_store_still_being_written_is_kept(folder, capsys):
    path = recovery_store(folder)
    with AnnotationStore.open(path, readonly=False):  # a window still writes it
        assert main(["recovered", "--remove", "0"]) == 2
    assert "kept" in capsys.readouterr().err and path.is_dir()


def test_napari_opens_a_recovery_store_with_its_objects(folder):
    """Dragged onto the window, a recovery store opens as the labels it keeps."""
    from napari_skipclick._reader import napari_get_reader

    path = recovery_store(folder)
    reader = napari_get_reader(str(path))
    assert reader is not None
    ((data, meta, _kind),) = [d for d in reader(str(path)) if d[2] == "labels"]
    assert np.asarray(data[1]).max() == 3 and not np.asarray(data[0]).any()
    assert [o["name"] for o in meta["metadata"]["objects"]] == ["skier"]


OPENED = """
import sys, time
from napari_skipclick._reader import read_store
layers = read_store(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_a_store_open_in_another_napari_is_kept_until_it_is_closed(folder, capsys):
    """A window reading a recovery store had it deleted under it: ``--remove`` took it."""
    import subprocess
    import sys

    path = recovery_store(folder)
    reader = subprocess.Popen(
        [sys.executable, "-c", OPENED, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        assert main(["recovered", "--remove", "0"]) == 2
        err = capsys.readouterr().err
        assert f"kept {path}" in err and f"process {reader.pid}" in err and path.is_dir()
    finally:
        reader.kill()
        reader.wait()
    assert main(["recovered", "--remove", "0"]) == 0  # killed: its mark names no live process
    assert not path.exists()


def test_a_copy_that_failed_is_listed_as_partial_with_why(folder, capsys):
    """A copy that failed part-way (a full disk) keeps what it wrote, said to be partial."""
    path = recovered.new_recovery_path(folder)
    recovered.begin_copy(path)
    assert "still copying" in recovered.describe(path).partial
    labels = np.zeros((4, 16, 20), np.uint32)
    labels[1, 2:6, 3:9] = 3
    write_labels(str(path), labels, META, only=[1])
    recovered.end_copy(path, "No space left on device")
    assert main(["recovered"]) == 0
    assert "partial: its copy failed: No space left on device" in capsys.readouterr().out
    empty = recovered.new_recovery_path(folder)
    recovered.begin_copy(empty)
    recovered.end_copy(empty, "No space left on device")
    assert not empty.exists()  # it held nothing: gone
