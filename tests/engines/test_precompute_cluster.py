"""The hooks of ``skipclick precompute``'s local workers: a worker that closed ends without the
interpreter's teardown of its modules, its exit functions run, their failure in its status."""

from __future__ import annotations

import subprocess
import sys

WORKER_CLOSES = """
import atexit
import sys

from napari_skipclick.precompute_cluster import dask_teardown


class Module:
    def __del__(self):
        print("torn down", flush=True)


module = Module()


def flush_log():
    print("exit function ran")
    if "--fail" in sys.argv:
        raise RuntimeError("the log could not be flushed")


atexit.register(flush_log)
dask_teardown(None)
"""


def worker(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """A process whose exit function fails with ``--fail``, closed as a local worker is."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER_CLOSES)
    command = [sys.executable, str(script), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_closed_worker_runs_its_exit_functions_and_skips_module_teardown(tmp_path):
    run = worker(tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "exit function ran\n"  # printed and flushed; no module torn down


def test_an_exit_function_that_raises_fails_the_worker(tmp_path):
    """The worker ended with status 0 whatever its exit functions did."""
    run = worker(tmp_path, "--fail")
    assert run.returncode == 1 and "the log could not be flushed" in run.stderr
    assert run.stdout == "exit function ran\n"
