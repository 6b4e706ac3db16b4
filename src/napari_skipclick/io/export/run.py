"""One export in progress: files written into a hidden folder, moved into place when done."""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

from ..store.files import write_atomic
from ..store.layout import is_store
from ..store.lock import process_gone, this_process
from .common import Cancel, ExportCancelled, ExportError, ExportExists, Progress

#: the hidden folder an export is written into before it is moved into place
STAGE_PREFIX = ".skipclick-export-"
#: the file in an export folder naming what its export wrote (what ``overwrite`` replaces)
RECORD = ".skipclick-export.json"
#: the file in a hidden folder naming the process writing into it (``clear_dead_stages``)
OWNER = ".owner.json"


class ExportRun:
    """One export in progress: refuses to overwrite, reports progress, undoes on any error.

    Files are written into a hidden folder inside ``out`` and moved into place once the
    export is complete: a failed or cancelled export leaves nothing, and an export made with
    ``overwrite`` replaces the earlier one only then: its files and folders of the same names
    (frames it no longer holds go with them) and those the earlier export wrote and this one
    does not (``RECORD`` names them: another split's annotations, another format's files);
    until then the earlier export stays whole. Hidden folders that exports killed outright
    (``kill -9``, out of memory) left in ``out`` are removed first (``clear_dead_stages``).
    """

    def __init__(
        self,
        out: Path,
        names: Sequence[str],
        total: int,
        overwrite: bool,
        progress: Progress | None,
        cancel: Cancel | None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        _check_not_a_store(out)
        self.out, self.total, self.done = out, total, 0
        self.progress, self.cancel = progress, cancel
        self.names = sorted({n.split("/")[0] for n in names})
        self._earlier = [n for n in _recorded(out) if (out / n).exists() or (out / n).is_symlink()]
        clashes = sorted({*self._earlier, *(n for n in self.names if (out / n).exists())})
        if clashes and not overwrite:
            raise ExportExists(
                f"{out} already holds {', '.join(clashes)}; choose another folder or overwrite "
                "(--overwrite)"
            )
        self._made = not out.exists()  # removed again if the export fails
        if not self._made:
            clear_dead_stages(out, warn)
        self._stage = out / f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            self._stage.mkdir(parents=True)
            (self._stage / OWNER).write_text(json.dumps(this_process()), encoding="utf-8")
        except OSError as e:
            self._remove_stage()
            raise ExportError(f"cannot create the export folder {out}: {e.strerror or e}") from e

    def __enter__(self) -> ExportRun:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> None:
        if error is None:
            try:
                self._publish()
                return
            except OSError as exc:
                error = exc
        self._remove_stage()  # a partial export is worse than none
        if isinstance(error, OSError):
            raise ExportError(f"export to {self.out} failed: {error.strerror or error}") from error

    def _remove_stage(self) -> None:
        """Remove the hidden folder, and ``out`` when this export made it."""
        shutil.rmtree(self._stage, ignore_errors=True)
        if self._made:
            with suppress(OSError):
                self.out.rmdir()

    def _publish(self) -> None:
        """Move the finished export into ``out``, each earlier entry of its names aside first,
        and the earlier export's other entries with them; record what it wrote."""
        replaced = self._stage / ".replaced"
        published = [n for n in self.names if (self._stage / n).exists()]
        record = json.dumps({"written": published}).encode()
        write_atomic(self._stage / RECORD, record, durable=False)  # a full disk: nothing moved
        for name in sorted({*published, *self._earlier}):
            if (self.out / name).exists() or (self.out / name).is_symlink():
                replaced.mkdir(exist_ok=True)
                os.replace(self.out / name, replaced / name)
            if name in published:
                os.replace(self._stage / name, self.out / name)
        os.replace(self._stage / RECORD, self.out / RECORD)
        shutil.rmtree(self._stage, ignore_errors=True)

    def staged(self, path: Path) -> Path:
        """Where ``path`` (inside the export folder) is written until the export is done."""
        return self._stage / path.relative_to(self.out)

    def step(self) -> None:
        """Count one frame done; raise :class:`ExportCancelled` if cancelled."""
        if self.cancel is not None and self.cancel():
            raise ExportCancelled(f"export to {self.out} cancelled")
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def write(self, path: Path, data: bytes) -> Path:
        """Write one output file (atomically, no fsync: exports can be redone); returns
        ``path``, where it is once the export is done."""
        write_atomic(self.staged(path), data, durable=False)
        return path


def _check_not_a_store(out: Path) -> None:
    """``ExportError`` if ``out`` is an annotation store or lies inside one: an export there
    (with ``overwrite``) replaced the store's labels or objects with its own files."""
    for folder in (out, *out.resolve().parents):
        if is_store(folder):
            where = "is" if folder == out else f"lies in {folder}, which is"
            raise ExportError(
                f"{out} {where} a SkipClick annotation store: an export never writes into a "
                "store; choose another folder"
            )


def clear_dead_stages(out: Path, warn: Callable[[str], None] | None) -> None:
    """Remove the hidden folders in ``out`` of exports whose process has ended without
    removing them (killed outright); tell ``warn`` of each, and of those it cannot know
    the process of (another host's, or written before folders named theirs), which stay."""
    for stage in sorted(out.glob(f"{STAGE_PREFIX}*")):
        if stage.is_symlink() or not stage.is_dir():
            continue
        try:
            owner = json.loads((stage / OWNER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            owner = None
        if isinstance(owner, dict) and process_gone(owner):
            shutil.rmtree(stage, ignore_errors=True)
            text = (
                f"removed {stage}, left by an export into {out} that was stopped before it "
                f"could clean up (process {owner['pid']} has ended)"
            )
        elif isinstance(owner, dict) and owner.get("host") == socket.gethostname():
            continue  # a live export's
        elif isinstance(owner, dict):
            text = (
                f"{stage} is an export into {out} by process {owner.get('pid')} on host "
                f"{owner.get('host')}: delete it if that export is no longer running"
            )
        else:
            text = (
                f"{stage} is left by an export into {out} that names no process (made by an "
                "older version, or stopped as it began): delete it if no export into "
                f"{out} is running"
            )
        if warn is not None:
            warn(text)


def _recorded(out: Path) -> list[str]:
    """The top-level names the export in ``out`` wrote (its ``RECORD``; none without one)."""
    try:
        names = json.loads((out / RECORD).read_text(encoding="utf-8"))["written"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not isinstance(names, list):
        return []
    # names only: a record edited to point elsewhere ("..", "/") removes nothing outside
    return [
        n for n in names if isinstance(n, str) and n and Path(n).name == n and not n.startswith(".")
    ]
