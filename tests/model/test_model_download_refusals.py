"""Downloads and cached copies that cannot be used: unusable cache folders, files that never
load, transfers cut off, folders killed downloads left."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from napari_skipclick.cli import main
from napari_skipclick.model import build_model, save_skipclick, weights
from napari_skipclick.model.weights import (
    CHECKPOINTS,
    WeightsError,
    fetch_checkpoint,
    resolve_checkpoint,
    sidecar_path,
)
from support.download import TINY_FILE, serve_as


def _refuse_writes_in(monkeypatch, folder: Path) -> None:
    """Writing a file in ``folder`` fails as on a read-only file system (tests run as root,
    whom permission bits do not stop)."""
    write_text = Path.write_text

    def read_only(self, *args, **kwargs):
        if Path(self).parent == folder:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", read_only)


def test_a_valid_copy_in_a_read_only_cache_is_used_and_listing_writes_nothing(
    cache, monkeypatch, capsys
):
    """A checkpoint copied by hand into a read-only shared cache (no record) could not be used
    at all, and ``download --list`` wrote the record (a traceback on a read-only folder)."""
    target = serve_as(monkeypatch, "frozen", "http://127.0.0.1:9/unused")
    cache.mkdir()
    target.write_bytes(TINY_FILE.read_bytes())
    assert main(["download", "--list", "frozen"]) == 0
    assert "frozen: downloaded (no record: checked on each use)" in capsys.readouterr().out
    assert not sidecar_path(target).exists()  # --list only reads
    _refuse_writes_in(monkeypatch, cache)
    assert resolve_checkpoint("frozen") == target
    assert resolve_checkpoint("frozen") == target  # checked again: no record was written
    assert not sidecar_path(target).exists()


def test_a_cache_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    """A cache path under a file ended in a NotADirectoryError traceback; a cache folder that
    is a file gave exit status 1 where docs/model.md says 2."""
    serve_as(monkeypatch, "frozen", "http://127.0.0.1:9/unused")
    afile = tmp_path / "afile"
    afile.write_text("")
    monkeypatch.setenv(weights.CACHE_ENV, str(afile / "cache"))
    assert main(["download", "frozen"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: cannot write to the checkpoint cache folder") and "Not a dir" in err
    )
    assert err.count("\n") == 1
    monkeypatch.setenv(weights.CACHE_ENV, str(afile))
    assert main(["download", "frozen"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def _other_variant(path: Path) -> Path:
    """A sound checkpoint of the tiny size but another variant (one map, no skips)."""
    from dataclasses import replace

    config = CHECKPOINTS["frozen"].architecture
    save_skipclick(
        build_model(replace(config, use_intermediate=(11,), skip_connections=False)), path
    )
    return path


def _with_code(path: Path) -> Path:
    """A zip checkpoint whose pickle would call ``os.system``."""
    torch.save({"state_dict": {"x": torch.zeros(2**19)}, "config": os.system}, path)
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_other_variant, "does not match the expected \\(released\\) architecture"),
        (_with_code, "posix.system"),
    ],
)
def test_a_download_that_cannot_load_is_refused_and_keeps_the_good_copy(
    server, cache, monkeypatch, capsys, make, reason
):
    """A pickle with code or another architecture served as the release was kept (exit 0,
    listed as downloaded), and ``--force`` replaced a good copy with it."""
    base, root = server
    target = serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    assert main(["download", "frozen"]) == 0
    make(root / "bad.pth")
    serve_as(monkeypatch, "frozen", f"{base}/bad.pth")
    with pytest.raises(WeightsError, match=reason):
        fetch_checkpoint("frozen", progressbar=False, force=True)
    assert target.read_bytes() == TINY_FILE.read_bytes()
    assert resolve_checkpoint("frozen") == target
    target.unlink()
    sidecar_path(target).unlink()
    capsys.readouterr()
    assert main(["download", "frozen"]) == 1
    assert reason.replace("\\", "") in capsys.readouterr().err
    assert not target.exists() and os.listdir(cache) == []


def test_a_folder_a_killed_download_left_is_removed_by_the_next(server, cache, monkeypatch):
    """A download killed by SIGTERM left its temporary file (18 MB) in the cache forever."""
    base, _ = server
    target = serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cache.mkdir()
    left = cache / f"{target.name}.download-{socket.gethostname()}-{gone.pid}-abc123"
    left.mkdir()
    (left / "tmpx1y2z3").write_bytes(b"\0" * 1000)
    running = cache / f"{target.name}.download-{socket.gethostname()}-{os.getpid()}-def456"
    running.mkdir()  # this process's: still running
    fetch_checkpoint("frozen", progressbar=False)
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [target.name, sidecar_path(target).name, running.name]
    )


def test_a_transfer_cut_off_is_told_as_such_not_offline(cache, monkeypatch):
    import pooch
    import requests

    def cut(*args, **kwargs):
        raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")

    monkeypatch.setattr(pooch, "retrieve", cut)
    with pytest.raises(WeightsError, match="the transfer broke off") as info:
        fetch_checkpoint("baseline")
    assert "offline" not in str(info.value)


def test_a_copy_without_its_record_in_a_read_only_cache_is_read_once_a_use(cache, monkeypatch):
    """Each use loaded its weights twice (once for the check, once for the model) and read all
    its bytes three times for their checksums; the check reads shapes now, the checksums are
    read once for each version of the file."""
    from napari_skipclick.engines.skipclick import SkipClickEngine
    from support.tiny import ARCH

    target = serve_as(monkeypatch, "frozen", "http://127.0.0.1:9/unused")
    cache.mkdir()
    target.write_bytes(TINY_FILE.read_bytes())
    _refuse_writes_in(monkeypatch, cache)
    loads, checksums = [], []
    load, testzip = torch.load, zipfile.ZipFile.testzip
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k) or load(*a, **k))
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda z: checksums.append(1) or testzip(z))
    for use in range(1, 3):
        SkipClickEngine("frozen", device="cpu", backbone_arch=ARCH)
        assert len([k for k in loads if not k.get("mmap")]) == use  # the model's weights
        assert len(checksums) == 1
    assert not sidecar_path(target).exists()
    damaged = bytearray(target.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    target.write_bytes(bytes(damaged))
    os.utime(target, ns=(1, 1))  # another version of the file, whatever the clock's grain
    with pytest.raises(WeightsError, match="fails its checksum"):
        resolve_checkpoint("frozen")
