"""``skipclick precompute``: per-frame features of many videos into the widget's disk cache.

The work runs on dask.distributed: a ``LocalCluster`` on this machine by default, or an existing
cluster (``--scheduler``). Each task is a chunk of frames that its worker decodes and encodes
itself (see :mod:`napari_skipclick.engines.precompute`); frames already cached are skipped, so
running the same command again resumes an interrupted run.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import describe_error
from .engines.precompute import (
    CacheWriteError,
    Chunk,
    EngineSpec,
    check_here,
    encode_chunk,
    plan_chunks,
    prepare_worker,
    video_length,
)
from .engines.registry import add_engine_arguments, options_from_args
from .frame_lists import FRAMES_SYNTAX, FrameSelection, parse_frames
from .io.progress import new_bar
from .model.weights import WeightsError
from .precompute_cluster import connect
from .precompute_inputs import expand_inputs, say_found

#: exit status when nothing could start (bad arguments, no cluster, no engine, cache refused)
SETUP_FAILED = 2
#: what Ctrl+C stopping a run says (its exit status is 130)
INTERRUPTED = (
    "\nskipclick precompute: interrupted; the frames written are kept, run the same command "
    "again to go on"
)
#: progress bar: frames done, elapsed, time left, frames per second (also below 1 frame/s)
BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="VIDEO_OR_FOLDER",
        help="video files, frame folders, or folders searched for both",
    )
    add_engine_arguments(parser)
    parser.add_argument("--cache", required=True, help="feature cache folder (as in the widget)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running dask scheduler (tcp://host:8786)")
    where.add_argument(
        "--workers", type=int, default=2, help="worker processes of the local cluster (2)"
    )
    parser.add_argument(
        "--frames", help=f"only these frames of every video: {FRAMES_SYNTAX} (default: all)"
    )
    parser.add_argument("--chunk", type=int, default=16, help="frames per task (16)")
    parser.add_argument("--batch", type=int, default=8, help="frames per encode batch (8)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the scheduler (10)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


@dataclass
class Report:
    """Outcome of a precompute run."""

    encoded: int = 0
    cached: int = 0
    seconds: float = 0.0
    #: one line per video or chunk that failed
    failures: list[str] = field(default_factory=list)
    #: why the run stopped early (the cache folder refused writes), or ""
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures and not self.stopped


def run(args: argparse.Namespace) -> int:
    """Run the command; 0 when every frame is cached, 1 when some failed, 2 when none could."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return _fail(
            "needs dask.distributed: pip install distributed (or reinstall napari-skipclick)"
        )
    try:
        frames = None if args.frames is None else parse_frames(args.frames)
        if args.chunk < 1 or args.batch < 1 or (args.scheduler is None and args.workers < 1):
            raise ValueError("--chunk, --batch and --workers must be at least 1")
        spec = EngineSpec.of(args.engine, **options_from_args(args))
    except ValueError as exc:
        return _fail(str(exc))
    found = expand_inputs(args.inputs)
    say_found(found)
    cache_dir = str(Path(args.cache).expanduser().resolve())
    if Path(cache_dir).is_file():  # said before any worker starts
        return _fail(f"--cache {cache_dir} is a file, not a folder")
    if args.scheduler is None:  # workers of this machine: what would stop them is said first
        try:
            check_here(spec, cache_dir)
        except CacheWriteError as exc:
            return _fail(str(exc))
        except (ValueError, WeightsError) as exc:
            return _fail(f"cannot start the {args.engine} engine: {exc}")
    client = cluster = None
    interrupted = False
    try:
        try:
            # a local cluster starts whole (half started it could not be closed): Ctrl+C then
            with ctrl_c_held() if args.scheduler is None else contextlib.nullcontext():
                client, cluster = connect(args.scheduler, args.workers, args.timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            return _fail(str(exc))
        outcome = _encode(client, args, spec, cache_dir, frames, found.videos)
    except KeyboardInterrupt:  # while the engine starts too (a checkpoint that loads for long)
        interrupted = True
    finally:
        with ctrl_c_held(raise_after=False) as came:  # another Ctrl+C: said once, closed all same
            if interrupted:
                _quiet_dask()  # its shutdown after Ctrl+C logs tracebacks of its own
                print(INTERRUPTED, file=sys.stderr)
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
    if interrupted or came:  # came: as the cluster closed after the run
        if not interrupted:
            print(INTERRUPTED, file=sys.stderr)
        return 130
    if isinstance(outcome, int):
        return outcome
    outcome.failures[:0] = found.failures
    return _summarise(outcome, cache_dir)


def _encode(
    client: Any,
    args: argparse.Namespace,
    spec: EngineSpec,
    cache_dir: str,
    frames: FrameSelection | None,
    videos: Sequence[str],
) -> Report | int:
    """Start the engine on the workers and encode the videos: the run's report, or its exit
    status when the engine cannot start."""
    print(f"dask dashboard: {dashboard_link(client)}", file=sys.stderr)
    try:
        engine_key = client.submit(prepare_worker, spec, cache_dir, pure=False).result()
    except CacheWriteError as exc:
        return _fail(str(exc))
    except Exception as exc:
        return _fail(f"cannot start the {args.engine} engine: {describe_error(exc)}")
    print(f"engine key: {short_key(engine_key)}", file=sys.stderr)
    return precompute(
        client, videos, spec, cache_dir, frames, args.chunk, args.batch,
        progress=not args.no_progress,
    )  # fmt: skip


@contextlib.contextmanager
def ctrl_c_held(*, raise_after: bool = True) -> Iterator[list[bool]]:
    """Ctrl+C held back while the block runs (in the main thread; elsewhere, or where SIGINT
    is ignored, nothing changes): the block is never cut short (a local cluster half started
    cannot be closed, and dask's exit hook then prints its own traceback). Yields a list that
    holds True once Ctrl+C came; then ``KeyboardInterrupt`` is raised after the block, unless
    ``raise_after`` is False."""
    import signal
    import threading

    came: list[bool] = []
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield came
        return
    signal.signal(signal.SIGINT, lambda *_: came.append(True))
    try:
        yield came
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
    if came and raise_after:
        raise KeyboardInterrupt


def _quiet_dask() -> None:
    """Silence dask's and tornado's loggers: a cluster stopped by Ctrl+C logs errors of its
    own (a callback of ``distributed.utils.sync``, workers killed) that are no failure here."""
    import logging

    names = ["tornado", "distributed", *logging.root.manager.loggerDict]  # children set levels
    for name in names:
        if name.split(".")[0] in ("tornado", "distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def short_key(key: str) -> str:
    """An engine key as the terminal shows it: the engine and a digest of its options."""
    import hashlib

    if len(key) <= 80:
        return key
    name = key.split("{", 1)[0].rstrip("-")
    return f"{name} (options {hashlib.sha256(key.encode()).hexdigest()[:12]})"


def dashboard_link(client: Any) -> str:
    """The scheduler's dashboard address, or why there is none."""
    hint = "install bokeh>=3.1 where the scheduler runs: pip install 'napari-skipclick[dashboard]'"
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return f"not running ({hint})"
    try:
        has_bokeh = client.run_on_scheduler(_has_bokeh)
    except Exception:  # a scheduler that refuses to run functions: assume it has what it needs
        has_bokeh = True
    return client.dashboard_link if has_bokeh else f"{client.dashboard_link} (no pages: {hint})"


def _has_bokeh() -> bool:
    from importlib.util import find_spec

    return find_spec("bokeh") is not None


def precompute(
    client: Any,
    videos: Sequence[str],
    spec: EngineSpec,
    cache_dir: str,
    frames: FrameSelection | None = None,
    chunk: int = 16,
    batch: int = 8,
    *,
    progress: bool = True,
) -> Report:
    """Encode ``frames`` of every video (default all) into ``cache_dir`` on the cluster of
    ``client``.

    A video that cannot be read or is shorter than ``frames`` is a failure; the others go on.
    A chunk whose worker dies is retried by dask. The run stops when the cache folder refuses a
    write (full, read-only): the chunks not begun are cancelled, those running end; the entries
    written are complete, and counted.
    """
    from distributed import as_completed

    report = Report()
    began = time.perf_counter()
    chunks: list[Chunk] = []
    lengths = client.map(video_length, list(videos), pure=False)
    for video, future in zip(videos, lengths, strict=True):
        try:
            length = future.result()
            if frames is not None:
                frames.past_the_end(length)
            wanted = range(length) if frames is None else frames.frames(length)
            chunks += plan_chunks(video, wanted, chunk)
        except Exception as exc:
            report.failures.append(f"{video}: {describe_error(exc)}")
    futures = client.map(
        encode_chunk, chunks, spec=spec, cache_dir=cache_dir, batch=batch, pure=False
    )
    by_key = dict(zip((f.key for f in futures), chunks, strict=True))
    bar = new_bar(
        "precompute", "frame", quiet=not progress, total=sum(c.size for c in chunks),
        dynamic_ncols=True, bar_format=BAR_FORMAT,
    )  # fmt: skip
    try:
        for future in as_completed(futures):
            done = by_key[future.key]
            if future.status == "finished":
                result = future.result()
                report.encoded += result.encoded
                report.cached += result.cached
                bar.update(done.size)
                bar.set_postfix(cached=report.cached, refresh=False)
                continue
            if future.status == "cancelled":
                continue
            error = future.exception()
            if isinstance(error, CacheWriteError):
                report.encoded += error.written
                if not report.stopped:  # the chunks running go on to their end, and are counted
                    report.stopped = str(error)
                    client.cancel(_not_started(client, futures))
                continue
            report.failures.append(
                f"{done.video} frames {done.start}:{done.stop}: {describe_error(error)}"
            )
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):  # the local cluster may be going down too
            client.cancel(futures)
        raise
    finally:
        bar.close()
    report.seconds = time.perf_counter() - began
    return report


def _not_started(client: Any, futures: Sequence[Any]) -> list[Any]:
    """The futures no worker has taken yet: cancelling a chunk that runs would leave the
    entries it writes uncounted."""
    taken = {key for keys in client.processing().values() for key in keys}
    return [f for f in futures if f.status == "pending" and f.key not in taken]


def _summarise(report: Report, cache_dir: str) -> int:
    rate = report.encoded / report.seconds if report.seconds > 0 else 0.0
    print(
        f"skipclick precompute: {report.encoded} frame(s) encoded, {report.cached} already "
        f"cached, in {report.seconds:.1f} s ({rate:.2f} frames/s); cache: {cache_dir}"
    )
    if report.stopped:
        print(
            f"skipclick precompute: stopped: {report.stopped}\n  the entries written are "
            "complete; fix that (room on the disk, permission to write) and run the same command "
            "again to go on",
            file=sys.stderr,
        )
    if report.failures:
        print(f"skipclick precompute: {len(report.failures)} failure(s):", file=sys.stderr)
        for line in report.failures:
            print(f"  {line}", file=sys.stderr)
    return 0 if report.ok else 1


def _fail(message: str) -> int:
    print(f"skipclick precompute: {message}", file=sys.stderr)
    return SETUP_FAILED
