"""Export panel of the dock widget: the session's store in any export format.

An export is a job of the store writer: it runs after the saves asked for before it, writes
what is still unsaved, then reads the session's own store while holding its commits, so that
every exported frame (record and labels) comes from one committed state. Saves asked for
meanwhile wait for it; closing the session cancels it first. Its status boxes are the CLI's
``--status``: every box checked (the default) takes every annotated frame, as no ``--status``
does; the status line then says how many frames of each status were exported. What the
export warns of (the store's problems, frames that are not the ones annotated) is said in the
status line as it comes and again with the export's end, and shown as a warning.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from napari.utils.notifications import show_info
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..frame_lists import counted
from ..io.export import EXPORTERS, FORMATS, IMAGE_FORMATS, SPLIT_BY, parse_split
from ..types import EXPORT_STATUSES
from .activity import ActivityProgress


class _Progress(QObject):
    """Carries (done, total) and the end of an export from the writer thread to the GUI."""

    step = Signal(int, int)
    #: what the export warns of (a store problem, frames not the ones annotated)
    warned = Signal(str)
    #: (written paths, why it failed or None, whether an earlier export is in the way,
    #: frames exported per status)
    done = Signal(object)


def status_words(counts: dict[str, int]) -> str:
    """``56 frames (20 clicked, 36 needs review)``: how many frames of each status."""
    total = sum(counts.values())
    each = ", ".join(f"{n} {status}" for status, n in counts.items())
    return counted(total, "frame") + (f" ({each})" if each else "")


def _export(
    session: Any,
    fmt: str,
    out: Path,
    options: dict[str, Any],
    signals: _Progress,
    cancel: threading.Event,
) -> tuple[list[Path], str | None, str | None, dict[str, int]]:
    """Writer-thread job: save what is unsaved, then export the session's store holding its
    commits (one committed state), images from the session's frames (what the annotator saw,
    whether or not the layer came from a file). Returns the written paths, on failure why,
    what kind of failure it was (``"exists"``: an earlier export in ``out``, to replace if the
    user agrees; ``"cancelled"``: the user cancelled it) and how many frames of each status it
    exported."""
    from ..io.export import ExportCancelled, ExportExists, export_store

    store = session.store
    counts: dict[str, int] = {}
    try:
        session.commit_all()
        with store.hold_commits():
            paths = export_store(
                store,
                fmt,
                out,
                progress=lambda done, total: signals.step.emit(done, total),
                cancel=cancel.is_set,
                videos={str(store.path): session.frames},
                warn=signals.warned.emit,
                counted=counts.update,
                **options,
            )
    except Exception as exc:  # reported in the GUI, never lost in the writer thread
        kinds = {ExportExists: "exists", ExportCancelled: "cancelled"}
        kind = next((name for cls, name in kinds.items() if isinstance(exc, cls)), None)
        result: tuple[list[Path], str | None, str | None, dict[str, int]] = (
            [],
            f"{exc}",
            kind,
            {},
        )
    else:
        result = (paths, None, None, counts)
    signals.done.emit(result)
    return result


class ExportPanel(QWidget):
    """Format, output folder, the statuses of the frames to export, Export and Cancel; saves
    pending edits before exporting."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._folder: Path | None = None  # where the running export writes
        self._warnings: list[str] = []  # what the running export warned of
        self._asked: tuple[Any, str, dict[str, Any]] = (
            None,
            "",
            {},
        )  # its session, format, options
        self.format_combo = QComboBox()
        self.format_combo.addItems(FORMATS)
        self.format_combo.setToolTip(
            "coco: detectron2/mmdetection · yolo-seg: Ultralytics · davis: VOS trainers · "
            "png: label images · numpy: arrays"
        )
        self.images_check = QCheckBox("with images")
        self.images_check.setToolTip("also write the frames as image files the labels refer to")
        self.image_format_combo = QComboBox()
        self.image_format_combo.addItems(IMAGE_FORMATS)
        self.split_edit = QLineEdit()
        self.split_edit.setPlaceholderText("split, e.g. train=0.8,val=0.2 (none: one set)")
        self.split_by_combo = QComboBox()
        self.split_by_combo.addItems(SPLIT_BY)
        self.split_by_combo.setToolTip(
            "frames: contiguous blocks of frames (neighbouring frames are near-duplicates); "
            "video: whole videos"
        )
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setPrefix("seed ")
        #: status -> its box (checked: its frames are exported); each says how many frames
        #: of the session have it
        self.status_checks = {status: QCheckBox(status) for status in EXPORT_STATUSES}
        statuses = QGridLayout()
        for k, (status, check) in enumerate(self.status_checks.items()):
            check.setChecked(True)
            check.setToolTip(
                f"export the frames whose status is {status} (every box checked: every "
                "annotated frame, as skipclick export without --status)"
            )
            statuses.addWidget(check, k // 2, k % 2)
        self.format_combo.currentTextChanged.connect(self._on_format)
        self._on_format(self.format_combo.currentText())
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("export folder")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.export_button = QPushButton("Export")
        self.export_button.clicked.connect(self.export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        for widgets in (
            (self.format_combo, self.folder_edit, browse),
            (self.images_check, self.image_format_combo),
            (self.split_edit, self.split_by_combo, self.seed_spin),
            (self.export_button, self.cancel_button),
        ):
            row = QHBoxLayout()
            for widget in widgets:
                row.addWidget(widget)
            layout.addLayout(row)
        layout.insertLayout(1, statuses)
        #: the running export (a future of the store writer), or None
        self.worker: Any = None
        self._pbar: Any = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._progress.step.connect(self._on_step)
        self._progress.warned.connect(self._on_warned)
        self._progress.done.connect(self._on_done)
        controller.closing.connect(self.cancel)
        controller.statuses_changed.connect(self.count_statuses)
        controller.session_changed.connect(self.count_statuses)
        self.count_statuses()

    def count_statuses(self) -> None:
        """Each status box says how many frames of the session have its status."""
        session = self.controller.session
        statuses = [] if session is None else list(session.statuses().values())
        for status, check in self.status_checks.items():
            n = sum(s.value == status for s in statuses)
            check.setText(f"{status} ({n})")

    def export(self) -> None:
        """Export the session's store, everything edited so far included, on the writer."""
        session = self.controller.session
        if session is None or session.store is None:
            self.controller._error(
                "Export needs a session saved to a store: choose a store and press Apply"
            )
            return
        if self.controller._refuse_while_busy("export"):  # a run's frames: half of them
            return
        folder = self.folder_edit.text().strip()
        if not folder:
            self.controller._error("Choose an export folder first")
            return
        try:
            options = self.options()
        except ValueError as exc:
            self.controller._error(f"Cannot export: {exc}")
            return
        self._start(session, self.format_combo.currentText(), Path(folder), options)

    def _start(self, session: Any, fmt: str, folder: Path, options: dict[str, Any]) -> None:
        """Run the export on the store writer, with a progress bar."""
        self._cancel.clear()
        self._warnings = []
        self._pbar = ActivityProgress(f"SkipClick: exporting {fmt}")
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._folder, self._asked = folder, (session, fmt, options)
        self.worker = self.controller.writer.submit(
            _export, session, fmt, folder, options, self._progress, self._cancel
        )
        self.controller._say(f"Exporting {fmt} to {folder} …")

    def options(self) -> dict[str, Any]:
        """The export options chosen in the panel; ``ValueError`` for a malformed split or
        no status checked."""
        text = self.split_edit.text().strip()
        return {
            "statuses": self.statuses(),
            "with_images": self.images_check.isChecked(),
            "image_format": self.image_format_combo.currentText(),
            "split": parse_split(text) if text else None,
            "split_by": self.split_by_combo.currentText(),
            "seed": self.seed_spin.value(),
        }

    def statuses(self) -> list[str] | None:
        """The statuses checked; None when all are (every annotated frame, the CLI's default
        without ``--status``); ``ValueError`` when none is."""
        checked = [status for status, check in self.status_checks.items() if check.isChecked()]
        if not checked:
            raise ValueError("check the status of the frames to export")
        return None if len(checked) == len(self.status_checks) else checked

    def _on_format(self, fmt: str) -> None:
        """Each format's default for images (on where labels refer to image files)."""
        self.images_check.setChecked(EXPORTERS[fmt][1])

    def cancel(self) -> None:
        """Stop the running export; what it had written is removed."""
        self._cancel.set()

    def _on_step(self, done: int, total: int) -> None:
        if self._pbar is not None:
            self._pbar.set(done, total)

    def _on_warned(self, text: str) -> None:
        """Say what the running export warns of as it comes; its end says it again."""
        self._warnings.append(text)
        self.controller._warn(f"Export: {text}")

    def _checks(self) -> str:
        """What the export warned of, to end its last message with (nothing when none)."""
        return f". Check: {'; '.join(self._warnings)}" if self._warnings else ""

    def _on_done(self, result: tuple[list[Path], str | None, str | None, dict[str, int]]) -> None:
        paths, error, kind, counts = result
        if self._pbar is not None:
            self._pbar.close()
            self._pbar = None
        self.worker = None
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        session, fmt, options = self._asked
        checks = self._checks()
        if error is None:
            self.controller._say(
                f"Exported {status_words(counts)}: {len(paths)} file(s) to {self._folder}{checks}"
            )
            show_info(self.controller.last_message)
        elif (
            kind == "exists" and session is self.controller.session and self._replace_earlier(error)
        ):
            self._start(session, fmt, self._folder, {**options, "overwrite": True})
        elif kind == "exists":
            self.controller._say(f"Not exported: {self._folder} keeps its earlier export{checks}")
        elif kind == "cancelled":
            self.controller._say(
                f"Export cancelled: nothing of it is left in {self._folder}{checks}"
            )
        else:
            self.controller._error(f"Export failed: {error}{checks}")

    def _replace_earlier(self, error: str) -> bool:
        """Ask whether to replace the earlier export in the folder (the CLI's ``--overwrite``);
        it stays whole until the new one is complete."""
        held = error.split(" already holds ", 1)[-1].split(";", 1)[0]
        answer = QMessageBox.question(
            self,
            "Replace the earlier export?",
            f"{self._folder} holds an earlier export ({held}). Replace it? It stays as it is "
            "until the new export is complete.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export folder")
        if path:
            self.folder_edit.setText(path)
