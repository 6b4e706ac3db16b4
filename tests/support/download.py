"""Released checkpoints served from a local HTTP server (127.0.0.1 only) for download tests."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from napari_skipclick.model import weights
from napari_skipclick.model.weights import CHECKPOINTS
from support.tiny import TINY, tiny_release

#: the tiny official-format checkpoint, served in place of a release
TINY_FILE = TINY / "checkpoint.pth"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """Serve the files of ``root``; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def served_files(root: Path) -> None:
    """A checkpoint, an HTML page and a truncated file in ``root``."""
    root.mkdir()
    shutil.copy(TINY_FILE, root / "good.pth")
    (root / "page.pth").write_text("<!DOCTYPE html><html><body>Login required</body></html>\n")
    (root / "truncated.pth").write_bytes(TINY_FILE.read_bytes()[: TINY_FILE.stat().st_size // 2])


def serve_as(monkeypatch: pytest.MonkeyPatch, name: str, url: str) -> Path:
    """Point the released checkpoint ``name`` at ``url``, with the tiny fixture's architecture."""
    monkeypatch.setitem(CHECKPOINTS, name, tiny_release(name, url=url))
    return weights.cached_path(name)
