"""The dask cluster of ``skipclick precompute``: a client of a running scheduler or of a new
local cluster, and the hooks dask runs in each local worker as it starts and closes.

dask imports this module in every worker of the local cluster by its name (``preload``), so it
imports no engine: a worker imports its engine with its first task.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from .checks import describe_error


def connect(scheduler: str | None, workers: int, timeout: float) -> tuple[Any, Any]:
    """A dask ``Client`` of the scheduler at ``scheduler``, or of a new local cluster.

    Local workers are processes with one thread each. Returns ``(client, cluster or None)``;
    raises ``OSError`` with the address when the scheduler cannot be reached.
    """
    from distributed import Client

    if scheduler is None:
        try:
            cluster = local_cluster(workers)
        except Exception as exc:  # e.g. no free port, workers that fail to start
            raise OSError(f"cannot start a local dask cluster: {describe_error(exc)}") from exc
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=timeout), None
    except (OSError, TimeoutError) as exc:
        raise OSError(
            f"cannot reach the dask scheduler at {scheduler} within {timeout:g} s: {exc}"
        ) from exc


def local_cluster(workers: int, **options: Any) -> Any:
    """A dask ``LocalCluster`` of ``workers`` processes with one thread each, each set up by
    :func:`dask_setup`; ``options`` go to ``LocalCluster``.

    SIGINT is blocked in this thread while the cluster starts: the threads it starts then (its
    event loop, and those that spawn the worker processes, restarted ones too) inherit the
    mask, and so do the workers (a signal mask is kept by fork and exec, and Python leaves it
    as it finds it): a terminal's Ctrl+C, sent to every process of its group, never reaches a
    worker, not even while it imports, before :func:`dask_setup` runs. A Ctrl+C meanwhile
    reaches this process as soon as the mask is restored, or at once through another thread.
    """
    from distributed import LocalCluster

    with _sigint_blocked():
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, preload=[__name__], **options
        )


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # Windows: dask_setup alone
        yield
        return
    from multiprocessing import resource_tracker

    # started here if not yet: starting it unblocks SIGINT in the thread that does (the event
    # loop's, as the first worker starts), and workers spawned from there got Ctrl+C again
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def dask_setup(worker: Any) -> None:
    """dask's preload hook, run in each worker of the local cluster as it starts (a restarted
    one too). No traceback on the terminal of a failed task (an unreadable video, a cache that
    refuses writes; the run's summary names each failure once) nor of a heartbeat that finds
    the scheduler gone as the cluster closes; and Ctrl+C, which the terminal sends the workers
    too, is ignored there (where :func:`local_cluster` could not block it from the start): the
    command stops them itself (each printed two tracebacks). The workers of a scheduler given
    with ``--scheduler`` are their owner's."""
    import logging
    import signal

    logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_teardown(worker: Any) -> None:
    """dask's preload hook, run in each worker of the local cluster as it closes: its process
    then ends without the interpreter's teardown of every module. With torch imported (the
    SkipClick engine) that teardown takes seconds on a busy machine, past the 4 s the nanny
    waits before it kills the process and logs "Worker process still alive". The exit
    functions still run, one that raises still failing the process (exit status 1); every
    cache entry is complete (renamed into place) by then."""
    import atexit

    atexit.register(_exit_after_exit_functions)


def _exit_after_exit_functions() -> None:
    """The process's other exit functions (logging's flush, multiprocessing's), then its end:
    status 1 when one of them raised (Python prints its traceback and goes on), else 0."""
    import atexit
    import os

    atexit.unregister(_exit_after_exit_functions)
    hook, raised = sys.unraisablehook, []

    def note(unraisable: Any) -> None:
        raised.append(unraisable.exc_type)
        hook(unraisable)

    sys.unraisablehook = note
    try:
        atexit._run_exitfuncs()
    finally:
        sys.unraisablehook = hook
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(1 if raised else 0)
