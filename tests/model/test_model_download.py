"""Released checkpoints fetched for real (pooch) from a local HTTP server: good, HTML, truncated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from napari_skipclick.cli import main
from napari_skipclick.model import weights
from napari_skipclick.model.weights import (
    CHECKPOINTS,
    WeightsError,
    fetch_checkpoint,
    resolve_checkpoint,
    sidecar_path,
)
from support.download import TINY_FILE as TINY
from support.download import serve_as
from support.tiny import tiny_release


def test_download_is_checked_recorded_and_verified_on_every_load(server, cache, monkeypatch):
    base, _ = server
    target = serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    assert fetch_checkpoint("frozen", progressbar=False) == target
    assert target.read_bytes() == TINY.read_bytes()
    assert sidecar_path(target).is_file()
    assert resolve_checkpoint("frozen") == target
    with open(target, "r+b") as fh:  # one byte changed on disk
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(WeightsError, match=r"changed or damaged.*download --force frozen") as info:
        resolve_checkpoint("frozen")
    assert str(target) in str(info.value)
    assert f"(and {sidecar_path(target).name})" in str(info.value)  # its record goes too
    assert main(["download", "--force", "frozen"]) == 0
    assert resolve_checkpoint("frozen") == target
    assert target.read_bytes() == TINY.read_bytes()


@pytest.mark.parametrize(
    ("file", "reason"), [("page.pth", "HTML page"), ("truncated.pth", "damaged|truncated|zip")]
)
def test_bad_download_is_refused_and_nothing_is_cached(server, cache, monkeypatch, file, reason):
    base, _ = server
    target = serve_as(monkeypatch, "baseline", f"{base}/{file}")
    with pytest.raises(WeightsError, match=reason):
        fetch_checkpoint("baseline", progressbar=False)
    assert not target.exists() and not sidecar_path(target).exists()
    assert not list(cache.glob("*.download"))


def test_download_command_reports_errors_on_stderr(server, cache, monkeypatch, capsys):
    base, _ = server
    serve_as(monkeypatch, "baseline", f"{base}/page.pth")
    serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    assert main(["download", "frozen", "baseline"]) == 1
    captured = capsys.readouterr()
    assert "frozen:" in captured.out and "HTML page" in captured.err
    assert "baseline" not in captured.out


def test_html_page_copied_into_the_cache_is_not_taken_for_weights(cache, monkeypatch):
    target = serve_as(monkeypatch, "skipclick", "http://127.0.0.1:9/unused")
    cache.mkdir()
    target.write_text("<html><body>Error 404</body></html>")
    with pytest.raises(WeightsError, match=r"HTML page.*Delete .*download --force skipclick"):
        resolve_checkpoint("skipclick")


def test_a_file_named_as_a_release_in_the_working_folder_is_not_taken_for_it(
    cache, monkeypatch, tmp_path
):
    """``skipclick`` run from ``.venv/bin`` (or a folder with a script of that name) loaded
    the ``skipclick`` command as its checkpoint: "not a readable PyTorch checkpoint"."""
    serve_as(monkeypatch, "skipclick", "http://127.0.0.1:9/unused")
    here = tmp_path / "bin"
    here.mkdir()
    (here / "skipclick").write_text("#!/usr/bin/env python\n")
    monkeypatch.chdir(here)
    with pytest.raises(WeightsError, match="not downloaded yet"):
        resolve_checkpoint("skipclick", download=False)
    assert resolve_checkpoint("./skipclick") == Path("./skipclick")  # a path: the file


def test_a_download_is_readable_by_others_and_pooch_logs_no_hash(
    server, cache, monkeypatch, caplog
):
    """pooch's temporary file became the checkpoint with mode 0600 (a shared cache's other
    users could not read it), and pooch logged its hash "to use as known_hash"."""
    import logging
    import stat

    base, _ = server
    target = serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    umask = os.umask(0o022)
    try:
        with caplog.at_level(logging.INFO):
            fetch_checkpoint("frozen", progressbar=False)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert "known_hash" not in caplog.text


def test_each_failed_download_says_its_own_cause(server, cache, monkeypatch):
    """A missing file on the server and a hash that differs were told "if this machine is
    offline, download it elsewhere"."""
    base, _ = server
    serve_as(monkeypatch, "frozen", f"{base}/missing.pth")
    with pytest.raises(WeightsError, match="the server answered 404") as info:
        fetch_checkpoint("frozen", progressbar=False)
    assert "offline" not in str(info.value)
    entry = tiny_release("frozen", url=f"{base}/good.pth", sha256="0" * 64)
    monkeypatch.setitem(CHECKPOINTS, "frozen", entry)
    with pytest.raises(WeightsError, match="differs from the released one"):
        fetch_checkpoint("frozen", progressbar=False)
    assert not list(cache.glob("*.download"))


def test_the_command_names_a_bad_cache_folder_and_unknown_names_first(
    server, cache, monkeypatch, capsys, tmp_path
):
    base, _ = server
    serve_as(monkeypatch, "frozen", f"{base}/good.pth")
    assert main(["download", "frozen", "nope"]) == 2  # nothing downloaded before the refusal
    assert "unknown checkpoint 'nope'" in capsys.readouterr().err
    assert not weights.cached_path("frozen").exists()
    assert main(["download", "frozen"]) == 0
    with open(weights.cached_path("frozen"), "r+b") as fh:  # one byte changed, same size
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    capsys.readouterr()
    assert main(["download", "--list", "frozen"]) == 0
    listed = capsys.readouterr().out
    assert "damaged: skipclick download --force frozen" in listed and "baseline" not in listed
    afile = tmp_path / "afile"
    afile.write_text("")
    monkeypatch.setenv(weights.CACHE_ENV, str(afile))
    assert main(["download", "--list"]) == 2
    assert f"$SKIPCLICK_CACHE_DIR {afile} is a file, not a folder" in capsys.readouterr().err


def test_a_mirror_named_by_the_environment_serves_the_release(server, cache, monkeypatch):
    """A lab whose machines cannot reach the release's server had no way to name its own copy
    of the files: ``$SKIPCLICK_WEIGHTS_MIRROR`` is a web folder holding them by file name."""
    base, root = server
    target = serve_as(monkeypatch, "frozen", "http://127.0.0.1:9/unreachable.pth")
    (root / CHECKPOINTS["frozen"].filename).write_bytes(TINY.read_bytes())
    monkeypatch.setenv(weights.MIRROR_ENV, f"{base}/")
    assert fetch_checkpoint("frozen", progressbar=False) == target
    assert target.read_bytes() == TINY.read_bytes()
    target.unlink()
    monkeypatch.setenv(weights.MIRROR_ENV, f"{base}/nowhere")
    with pytest.raises(WeightsError, match=rf"from {base}/nowhere/{target.name}"):
        fetch_checkpoint("frozen", progressbar=False)


def test_the_list_shows_the_mirror_a_download_would_use(cache, monkeypatch, capsys):
    """With a mirror set, ``download --list`` showed the release's address, which this machine
    may not reach and a download would not use."""
    monkeypatch.setenv(weights.MIRROR_ENV, "http://lab-server/skipclick/")
    assert main(["download", "--list", "frozen"]) == 0
    out = capsys.readouterr().out
    assert f"http://lab-server/skipclick/{CHECKPOINTS['frozen'].filename}" in out
    assert CHECKPOINTS["frozen"].url not in out
    monkeypatch.delenv(weights.MIRROR_ENV)
    assert main(["download", "--list", "frozen"]) == 0
    assert CHECKPOINTS["frozen"].url in capsys.readouterr().out


def test_a_too_small_file_copied_into_the_cache_names_no_record_it_lacks(cache, monkeypatch):
    """The advice for a file copied in by hand said to delete its ``.sha256.json`` as well,
    which only a download writes: the user looked for a file that was not there."""
    target = serve_as(monkeypatch, "skipclick", "http://127.0.0.1:9/unused")
    cache.mkdir()
    target.write_bytes(b"PK" + bytes(100))
    with pytest.raises(WeightsError, match=r"fewer than a checkpoint") as info:
        resolve_checkpoint("skipclick")
    assert f"Delete {target}, or download it again" in str(info.value)
    assert ".sha256.json" not in str(info.value)
