"""Fixtures of the precompute tests: the command on an in-process dask cluster."""

from __future__ import annotations

import pytest

from napari_skipclick.cli import main


@pytest.fixture(scope="module")
def scheduler():
    """Address of a local dask cluster whose 2 workers are threads of this process."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def precompute(scheduler, capsys):
    """Run ``skipclick precompute ARGS`` on the cluster; return (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["precompute", *args, "--scheduler", scheduler, "--no-progress"])
        out, err = capsys.readouterr()
        return status, out, err

    return run
