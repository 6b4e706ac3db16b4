"""``skipclick precompute`` on worker processes: a worker killed mid-chunk has its chunk retried,
and Ctrl+C at the terminal reaches the workers too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from napari_skipclick.engines.precompute import EngineSpec
from napari_skipclick.precompute_cli import precompute
from support.precompute import cached_frames, frame_folder

pytestmark = pytest.mark.slow


def test_a_killed_worker_has_its_chunk_retried(tmp_path):
    distributed = pytest.importorskip("distributed")
    video, cache, markers = frame_folder(tmp_path / "clip"), tmp_path / "cache", tmp_path / "m"
    markers.mkdir()
    spec = EngineSpec.of(
        "embedded", factory="support.precompute:SlowEmbedded", delay=0.5, marker_dir=str(markers)
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = set(client.run(os.getpid).values())
        reports = []
        run = threading.Thread(
            target=lambda: reports.append(
                precompute(client, [str(video)], spec, str(cache), chunk=2, progress=False)
            )
        )
        run.start()
        deadline = time.monotonic() + 60
        while not any(markers.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        busy = int(next(markers.iterdir()).name)  # a worker that is encoding a frame right now
        assert busy in pids
        os.kill(busy, signal.SIGKILL)
        run.join(timeout=120)
        assert not run.is_alive()
        assert busy not in client.run(os.getpid).values()
    (report,) = reports
    assert report.ok, report.failures
    assert report.encoded == 5
    assert cached_frames(cache, video) == [True] * 5


def interrupted_at_the_terminal(tmp_path, after: str, delay: float, again: bool = False) -> str:
    """Run ``skipclick precompute`` with a local cluster of 2 workers, and press Ctrl+C as a
    terminal does (SIGINT to every process of its group) ``delay`` s after the command says
    ``after``; with ``again``, a second time as soon as it says it is interrupted. Returns its
    stderr once it has exited with status 130."""
    video = frame_folder(tmp_path / "clip", 400, (240, 320))  # not all encoded by the Ctrl+C
    command = [sys.executable, "-m", "napari_skipclick.cli", "precompute", str(video),
               "--engine", "embedded", "--cache", str(tmp_path / "cache"), "--workers", "2",
               "--no-progress"]  # fmt: skip
    run = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # Ctrl+C as in a terminal: a shell's background job (``cmd &``, as CI may run the
        # tests) ignores SIGINT, and the command would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    said = []
    try:
        said += [next(line for line in run.stderr if line.startswith(after))]
        time.sleep(delay)
        os.killpg(run.pid, signal.SIGINT)  # what a terminal does
        if again:
            said += [next(line for line in run.stderr if "interrupted" in line)]
            os.killpg(run.pid, signal.SIGINT)  # while the cluster closes
        said.append(run.communicate(timeout=60)[1])
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    err = "".join(said)
    assert run.returncode == 130, err
    return err


def test_ctrl_c_at_the_terminal_prints_one_line_and_no_worker_traceback(tmp_path):
    """A terminal's Ctrl+C goes to every process of its group: below the command's one line,
    each worker of the local cluster printed two tracebacks (KeyboardInterrupt and
    CancelledError, "Process Dask Worker process (from Nanny)")."""
    err = interrupted_at_the_terminal(tmp_path, "engine key", 0.5)  # frames being encoded
    assert "interrupted; the frames written are kept" in err
    assert "Traceback" not in err, err


def test_ctrl_c_while_the_local_cluster_starts_prints_one_line(tmp_path):
    """Ctrl+C while the workers started (importing, before their setup ignored it) printed a
    traceback of each, and one of dask's exit hook ("Exception ignored in atexit callback
    close_clusters ... AssertionError: Status.init") for the cluster it cut short."""
    err = interrupted_at_the_terminal(tmp_path, "videos: 1", 0.3)
    assert err.count("interrupted") == 1 and "interrupted; the frames written are kept" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_a_second_ctrl_c_as_the_cluster_closes_says_nothing_more(tmp_path):
    """A second Ctrl+C cut the closing short and said "skipclick precompute: interrupted"
    below the first line."""
    err = interrupted_at_the_terminal(tmp_path, "engine key", 0.3, again=True)
    assert err.count("interrupted") == 1 and "Traceback" not in err, err


def test_local_workers_end_without_the_nannys_warning(tmp_path):
    """A worker whose interpreter takes seconds to tear its modules down (torch's, on a busy
    machine) outlived the nanny's 4 s wait as the cluster closed: "Worker process still alive
    after 4.0 seconds, killing", twice per SkipClick run. Here a module of every worker process
    sleeps 6 s as it is torn down."""
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import sys, time\n"
        "class _SlowTeardown:\n"
        "    def __del__(self):\n"
        "        time.sleep(6)\n"
        "if '--multiprocessing-fork' in sys.argv:  # worker processes only\n"
        "    slow_teardown = _SlowTeardown()\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(slow), *sys.path])
    command = [sys.executable, "-m", "napari_skipclick.cli", "precompute",
               str(frame_folder(tmp_path / "clip")), "--engine", "embedded",
               "--cache", str(tmp_path / "cache"), "--workers", "2", "--no-progress"]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "5 frame(s) encoded" in run.stdout
    assert "still alive" not in run.stderr and "WARNING" not in run.stderr, run.stderr
