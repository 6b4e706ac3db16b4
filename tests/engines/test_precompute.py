"""``skipclick precompute``: frames planned, cached once, atomic entries, and bad input refused."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest
import zarr

from napari_skipclick.cli import main
from napari_skipclick.engines import create_engine
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.engines.precompute import (
    Chunk,
    EngineSpec,
    plan_chunks,
    worker_engine,
)
from napari_skipclick.io import open_video
from support.folders import refuse_writes
from support.precompute import (
    TEST_ENGINE_KEY,
    cached_frames,
    entry_features,
    frame_folder,
    leftovers,
    write_entries,
)
from support.tiny import TINY


def test_chunks_are_runs_of_consecutive_frames():
    assert plan_chunks("v", range(3, 10), 3) == [
        Chunk("v", 3, 6),
        Chunk("v", 6, 9),
        Chunk("v", 9, 10),
    ]
    # 0-2,5,7-8 (a frame list with gaps): a chunk never spans a frame not asked for
    assert plan_chunks("v", [7, 0, 1, 2, 5, 8, 1], 2) == [
        Chunk("v", 0, 2),
        Chunk("v", 2, 3),
        Chunk("v", 5, 6),
        Chunk("v", 7, 9),
    ]


def test_a_worker_process_builds_each_engine_once():
    spec = EngineSpec.of("embedded")
    assert worker_engine(spec) is worker_engine(EngineSpec.of("embedded"))
    assert worker_engine(EngineSpec.of("embedded", compactness=5.0)) is not worker_engine(spec)


def test_a_checkpoint_path_is_sent_absolute_and_a_replaced_one_builds_a_new_engine(
    tmp_path, monkeypatch
):
    """``--checkpoint ck.pth`` was looked for in each worker's working folder, and a worker
    kept the engine of a checkpoint replaced at the same path (``download --force``)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ck.pth").write_bytes(b"old weights")
    spec = EngineSpec.of("stand-in", factory="types:SimpleNamespace", checkpoint="ck.pth")
    assert dict(spec.options)["checkpoint"] == str(tmp_path / "ck.pth")
    assert dict(EngineSpec.of("skipclick", checkpoint="frozen").options)["checkpoint"] == "frozen"
    first = worker_engine(spec)
    assert worker_engine(spec) is first
    (tmp_path / "new.pth").write_bytes(b"new weights")
    os.replace(tmp_path / "new.pth", tmp_path / "ck.pth")
    assert worker_engine(spec) is not first


def test_concurrent_writers_never_show_a_torn_entry(tmp_path):
    """Processes and threads write the same entries; readers see each complete or not at all."""
    keys = [f"{i:032x}" for i in range(24)]
    cache = FeatureCache(max_mib=0, disk_path=tmp_path, disk_max_mib=None)
    paths = [cache._entry_path(key, TEST_ENGINE_KEY) for key in keys]
    torn: list[str] = []
    reads = [0]
    done = threading.Event()

    def read_strictly() -> None:
        rng = np.random.default_rng()
        while not done.is_set():
            i = int(rng.integers(len(keys)))
            if not paths[i].is_dir():
                continue
            try:
                group = zarr.open_group(str(paths[i]), mode="r")
                for name, expected in entry_features(keys[i]).arrays.items():
                    array = group[name]
                    assert array.nchunks_initialized == array.nchunks
                    np.testing.assert_array_equal(array[...], expected)
                assert group.attrs["frame_key"] == keys[i]
                reads[0] += 1
            except Exception as exc:
                torn.append(f"{keys[i]}: {type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=read_strictly) for _ in range(2)]
    for reader in readers:
        reader.start()
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        in_processes = pool.starmap_async(
            write_entries, [(str(tmp_path), keys, seed) for seed in range(3)]
        )
        counts = [0, 0]
        threads = [
            threading.Thread(
                target=lambda i=i: counts.__setitem__(i, write_entries(tmp_path, keys, 10 + i))
            )
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        created = in_processes.get(timeout=120)
        for thread in threads:
            thread.join()
    done.set()
    for reader in readers:
        reader.join()
    assert torn == []
    assert reads[0] > 0
    assert sum(created) + sum(counts) == len(keys)  # each entry created by exactly one writer
    for key in keys:
        features = cache.get(key, TEST_ENGINE_KEY)
        np.testing.assert_array_equal(features.arrays["a"], entry_features(key).arrays["a"])
    assert leftovers(tmp_path) == []


# -- the command, on an in-process cluster -------------------------------------------------


def wait_until_idle(address: str, timeout: float = 60) -> None:
    """Wait until no worker of the cluster at ``address`` runs a task."""
    from distributed import Client

    def executing(dask_worker) -> int:
        return dask_worker.state.executing_count

    with Client(address) as client:
        deadline = time.monotonic() + timeout
        while any(client.run(executing).values()) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_a_rerun_skips_cached_frames_and_redoes_a_damaged_one(tmp_path, precompute):
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    hexes = [(f"{n:032x}", f"{n + 9:032x}") for n in (1, 2)]
    old, young = (cache / ("e" * 16) / f".{a}.zarr.{b}.tmp" for a, b in hexes)  # killed writers
    old.mkdir(parents=True)
    young.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    status, out, _ = precompute(str(video), "--engine", "embedded", "--cache", str(cache))
    assert status == 0 and "5 frame(s) encoded, 0 already cached" in out
    assert cached_frames(cache, video) == [True] * 5
    assert not old.exists() and young.exists()  # the young one may be a write in progress
    assert FeatureCache(disk_path=cache).disk_max_bytes is None  # the widget never trims it
    damaged = next(cache.glob("*/*.zarr"))
    shutil.rmtree(next(p for p in damaged.iterdir() if p.is_dir()) / "c")
    status, out, _ = precompute(str(video), "--engine", "embedded", "--cache", str(cache))
    assert status == 0 and "1 frame(s) encoded, 4 already cached" in out
    assert cached_frames(cache, video) == [True] * 5


def test_bad_videos_are_listed_and_the_others_go_on(tmp_path, precompute):
    good = [frame_folder(tmp_path / name) for name in ("a", "b")]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is no video")
    missing = tmp_path / "missing.mp4"
    cache = tmp_path / "cache"
    args = [str(good[0]), str(missing), str(broken), str(good[1])]
    status, out, err = precompute(*args, "--engine", "embedded", "--cache", str(cache))
    assert status == 1
    assert "10 frame(s) encoded" in out
    assert "2 failure(s)" in err
    assert f"{missing}: no such file or folder" in err
    assert f"{broken}: VideoError" in err
    assert cached_frames(cache, good[0]) == cached_frames(cache, good[1]) == [True] * 5


def test_frames_out_of_range_name_the_length(tmp_path, precompute):
    video = frame_folder(tmp_path / "clip")
    args = [str(video), "--engine", "embedded", "--cache", str(tmp_path / "c")]
    status, _, err = precompute(*args, "--frames", "2:9")
    assert status == 1 and "--frames 2:9 is out of range: the video has 5 frames (0 to 4)" in err
    status, _, err = precompute(*args, "--frames", "5-")
    assert status == 1 and "--frames 5- is out of range" in err
    status, _, err = precompute(*args, "--frames", "4:2")
    assert status == 2 and "4:2 runs backwards: write it as 2:4" in err


@pytest.mark.slow  # imports torch in a worker
def test_a_checkpoint_that_does_not_load_stops_before_any_work(tmp_path, precompute):
    video = frame_folder(tmp_path / "clip")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00" * 2048)
    cache = tmp_path / "cache"
    args = [str(video), "--engine", "skipclick", "--checkpoint", str(bad), "--cache", str(cache)]
    status, out, err = precompute(*args, "--device", "cpu")
    assert status == 2 and "cannot start the skipclick engine" in err and out == ""
    assert list(cache.glob("*/*")) == []


def test_a_read_only_cache_folder_is_refused(tmp_path, precompute, monkeypatch):
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    cache.mkdir()
    refuse_writes(cache, monkeypatch)
    status, out, err = precompute(str(video), "--engine", "embedded", "--cache", str(cache))
    assert status == 2 and f"cache folder {cache} is not writable" in err and out == ""
    assert list(cache.iterdir()) == []
    afile = tmp_path / "afile"
    afile.write_text("x")
    status, out, err = precompute(str(video), "--engine", "embedded", "--cache", str(afile))
    assert status == 2 and f"--cache {afile} is a file, not a folder" in err
    assert "dashboard" not in err  # said before any worker started


def test_what_would_stop_local_workers_is_said_before_the_cluster_starts(
    tmp_path, capsys, monkeypatch
):
    """A device this machine lacks, a checkpoint cut short or a read-only cache folder were said
    only after the local cluster had started and a worker had tried the engine (20-40 s)."""
    torch = pytest.importorskip("torch")
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    checkpoint, cut = TINY / "checkpoint.pth", tmp_path / "cut.pth"
    cut.write_bytes(checkpoint.read_bytes()[:100_000])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cache.mkdir()
    refuse_writes(cache, monkeypatch)

    def local(*args: str) -> str:
        command = [str(video), "--cache", str(cache), "--workers", "1", "--no-progress", *args]
        status = main(["precompute", *command])
        out, err = capsys.readouterr()
        assert status == 2 and out == "" and "dashboard" not in err, err  # no cluster started
        return err

    skipclick = ["--engine", "skipclick", "--checkpoint"]
    err = local(*skipclick, str(checkpoint), "--device", "cuda")
    assert "cannot start the skipclick engine: device 'cuda': this machine has no CUDA" in err
    err = local(*skipclick, str(cut), "--device", "cpu")
    assert f"cannot start the skipclick engine: {cut} is truncated or corrupt" in err
    err = local("--engine", "embedded")
    assert f"cache folder {cache} is not writable" in err


def fill_disk_after(monkeypatch, video, scratch, entries: float):
    """Make the disk full after the files of ``entries`` embedded entries of ``video``'s frames
    (zarr's writes in this process); returns what puts the disk back."""
    local = pytest.importorskip("zarr.storage._local")
    put, calls, lock, limit = local._put, [0], threading.Lock(), [None]

    def put_until_full(path, value, *args, **kwargs):
        with lock:
            calls[0] += 1
            if limit[0] is not None and calls[0] > limit[0]:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return put(path, value, *args, **kwargs)

    monkeypatch.setattr(local, "_put", put_until_full)
    with open_video(video) as frames:  # files per entry
        features = create_engine("embedded").encode(frames[0])
    FeatureCache(max_mib=0, disk_path=scratch).put("x", "y", features)
    calls[0], limit[0] = 0, int(calls[0] * entries)
    return lambda: monkeypatch.setattr(local, "_put", put)


def test_a_full_disk_stops_the_run_without_a_torn_entry(
    tmp_path, scheduler, precompute, monkeypatch
):
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    make_room = fill_disk_after(monkeypatch, video, tmp_path / "scratch", 2.5)  # 2 writers
    args = [str(video), "--engine", "embedded", "--cache", str(cache), "--chunk", "1"]
    status, out, err = precompute(*args)
    assert status == 1 and "No space left on device" in err and "run the same command" in err
    wait_until_idle(scheduler)  # chunks cancelled while running finish in their worker thread
    written = cached_frames(cache, video)
    assert 0 < sum(written) < 5  # the entries that made it are complete, the rest absent
    assert f"{sum(written)} frame(s) encoded" in out  # the chunks running were awaited
    assert len(list(cache.glob("*/*.zarr"))) == sum(written)
    assert leftovers(cache) == []
    make_room()
    status, out, _ = precompute(*args)
    assert status == 0 and f"{5 - sum(written)} frame(s) encoded" in out
    assert cached_frames(cache, video) == [True] * 5


def test_a_full_disk_counts_the_entries_written_before(tmp_path, precompute, monkeypatch):
    """The summary said "0 frame(s) encoded" though the chunk had written 2 entries before the
    disk filled up; the folder is named as everywhere a cache folder refuses a write."""
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    fill_disk_after(monkeypatch, video, tmp_path / "scratch", 2.5)
    args = [str(video), "--engine", "embedded", "--cache", str(cache), "--chunk", "5"]
    status, out, err = precompute(*args)  # one chunk, one batch of 5 frames
    assert status == 1 and f"cache folder {cache} is not writable: " in err
    assert "No space left on device" in err
    assert cached_frames(cache, video) == [True, True, False, False, False]
    assert "2 frame(s) encoded" in out


def test_an_unreachable_scheduler_is_named(tmp_path, capsys):
    pytest.importorskip("distributed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    video = frame_folder(tmp_path / "clip")
    address = f"tcp://127.0.0.1:{port}"
    args = [str(video), "--engine", "embedded", "--cache", str(tmp_path / "cache")]
    status = main(["precompute", *args, "--scheduler", address, "--timeout", "1"])
    assert status == 2
    assert f"cannot reach the dask scheduler at {address}" in capsys.readouterr().err


def test_a_precomputed_folder_is_never_trimmed(tmp_path):
    """Entries of a folder marked by precompute stay when a bounded cache writes there."""
    keys = [f"{i:032x}" for i in range(6)]  # 272 KiB per entry on disk
    FeatureCache(max_mib=0, disk_path=tmp_path / "marked").keep_all()
    for folder, kept in (("marked", 6), ("unmarked", 3)):
        bounded = FeatureCache(max_mib=0, disk_path=tmp_path / folder, disk_max_mib=1)
        for key in keys:
            bounded.put(key, TEST_ENGINE_KEY, entry_features(key))
        assert len(list((tmp_path / folder).glob("*/*.zarr"))) == kept


def test_an_all_zero_array_is_a_complete_entry(tmp_path):
    """zarr skips chunks equal to the fill value unless told otherwise: not a torn entry."""
    cache = FeatureCache(max_mib=0, disk_path=tmp_path)
    zeros = entry_features("0" * 32)
    assert not zeros.arrays["a"].any()
    cache.put("0" * 32, TEST_ENGINE_KEY, zeros)
    assert cache.get("0" * 32, TEST_ENGINE_KEY) is not None


def test_progress_in_a_log_is_whole_lines(tmp_path, scheduler, capsys, monkeypatch):
    """The bar's ``\\r`` updates made a log file (stderr not a terminal) one endless line."""
    from napari_skipclick.io import progress

    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.0, raising=False)  # a line per update
    video, cache = frame_folder(tmp_path / "clip"), tmp_path / "cache"
    args = [str(video), "--engine", "embedded", "--cache", str(cache), "--chunk", "1"]
    assert main(["precompute", *args, "--scheduler", scheduler]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("precompute:")]
    assert len(lines) >= 2 and "| 5/5 [" in lines[-1] and lines[-1].endswith("cached=0]")


def test_a_long_engine_key_is_shown_short():
    from napari_skipclick.precompute_cli import short_key

    key = 'embedded-0.1.0-{"band_factor": 1.0, ' + '"x": 1, ' * 40 + "}"
    shown = short_key(key)
    assert shown.startswith("embedded-0.1.0 (options ") and len(shown) < 40
    assert short_key(key.replace("1.0", "2.0")) != shown
    assert short_key("skipclick-abc") == "skipclick-abc"


@pytest.mark.slow
def test_local_workers_print_no_traceback_of_a_failed_task(capfd):
    """A bad video fails on a worker process: the summary names it, the terminal shows no
    worker's 'Compute Failed' traceback."""
    from napari_skipclick.precompute_cluster import connect

    client, cluster = connect(None, 1, 30)
    try:
        future = client.submit(int, "no number", pure=False)
        assert isinstance(future.exception(), ValueError)
        time.sleep(0.5)  # the worker's log line would be written by now
    finally:
        client.close()
        cluster.close()
    assert "Compute Failed" not in capfd.readouterr().err


def test_ctrl_c_says_what_is_kept_and_shows_no_dask_traceback(
    tmp_path, precompute, monkeypatch, request
):
    """dask logged a traceback of its own (a callback of its ``sync``) after the message."""
    import functools
    import logging

    from napari_skipclick import precompute_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(precompute_cli, "precompute", interrupted)
    for name in [*logging.root.manager.loggerDict, "tornado.application"]:
        if name.split(".")[0] in ("tornado", "distributed"):  # put back after the test
            logger = logging.getLogger(name)
            request.addfinalizer(functools.partial(logger.setLevel, logger.level))
    status, _, err = precompute(str(frame_folder(tmp_path / "clip")), "--engine", "embedded",
                                "--cache", str(tmp_path / "cache"))  # fmt: skip
    assert status == 130 and "interrupted; the frames written are kept" in err
    assert not logging.getLogger("tornado.application").isEnabledFor(logging.ERROR)
    assert not logging.getLogger("distributed.scheduler").isEnabledFor(logging.CRITICAL)
