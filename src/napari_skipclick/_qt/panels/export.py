"""Export panel of the dock widget: the session's store in any export format, in a worker."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...io.export import EXPORTERS, FORMATS, IMAGE_FORMATS, SPLIT_BY, parse_split


class _Progress(QObject):
    """Carries (done, total) from the export thread to the GUI thread's progress bar."""

    step = Signal(int, int)


def _export(
    store_path: Path,
    fmt: str,
    out: Path,
    options: dict[str, Any],
    progress: Any,
    cancel: threading.Event,
) -> tuple[list[Path], str | None]:
    """Worker body: export a read-only view of the store (the session keeps its write lock).

    Returns the written paths and, when the export failed or was cancelled, why.
    """
    from ...io.export import export_store
    from ...io.store import StoreError

    try:
        paths = export_store(
            store_path,
            fmt,
            out,
            progress=lambda done, total: progress.step.emit(done, total),
            cancel=cancel.is_set,
            **options,
        )
    except (StoreError, ValueError) as exc:
        return [], str(exc)
    return paths, None


class ExportPanel(QWidget):
    """Format, output folder, Export and Cancel; saves pending edits before exporting."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
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
        self.worker: Any = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._progress.step.connect(self._on_step)

    def export(self) -> None:
        """Save every changed frame, then export the store in a background worker."""
        session = self.controller.session
        if session is None or session.store is None:
            show_error("Export needs a session saved to a store: choose a store and press Apply")
            return
        folder = self.folder_edit.text().strip()
        if not folder:
            show_error("Choose an export folder first")
            return
        if not self.controller.save():
            return
        try:
            options = self.options()
        except ValueError as exc:
            show_error(f"Cannot export: {exc}")
            return
        fmt = self.format_combo.currentText()
        self._cancel.clear()
        self.worker = create_worker(
            _export,
            Path(session.store.path),
            fmt,
            Path(folder),
            options,
            self._progress,
            self._cancel,
            _progress={"desc": f"SkipClick: exporting {fmt}", "total": 0},
        )
        self.worker.returned.connect(self._on_returned)
        self.worker.errored.connect(lambda exc: show_error(f"Export failed: {exc}"))
        self.worker.finished.connect(self._on_finished)
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worker.start()

    def options(self) -> dict[str, Any]:
        """The export options chosen in the panel; ``ValueError`` for a malformed split."""
        text = self.split_edit.text().strip()
        return {
            "with_images": self.images_check.isChecked(),
            "image_format": self.image_format_combo.currentText(),
            "split": parse_split(text) if text else None,
            "split_by": self.split_by_combo.currentText(),
            "seed": self.seed_spin.value(),
        }

    def _on_format(self, fmt: str) -> None:
        """Each format's default for images (on where labels refer to image files)."""
        self.images_check.setChecked(EXPORTERS[fmt][1])

    def cancel(self) -> None:
        """Stop the running export; what it had written is removed."""
        self._cancel.set()

    def _on_step(self, done: int, total: int) -> None:
        pbar = getattr(self.worker, "pbar", None)
        if pbar is not None:
            pbar.total = total
            pbar.update(done - pbar.n)

    def _on_returned(self, result: tuple[list[Path], str | None]) -> None:
        paths, error = result
        if error is None:
            show_info(f"Exported {len(paths)} file(s)")
        else:
            show_error(f"Export failed: {error}")

    def _on_finished(self) -> None:
        self.worker = None
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export folder")
        if path:
            self.folder_edit.setText(path)
