"""Session settings: image layer, engine (+ checkpoint, download, device) and output store."""

from __future__ import annotations

from typing import Any

from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ...engines import ENGINES

#: released checkpoint fetched by the Download button
DEFAULT_CHECKPOINT = "skipclick"
DEVICES = ("auto", "cpu", "cuda", "mps")


def engine_options(name: str, checkpoint: str, device: str) -> dict[str, Any]:
    """Keyword options of ``create_engine`` for the engine ``name``."""
    if name != "skipclick":
        return {}
    return {
        "checkpoint": checkpoint or DEFAULT_CHECKPOINT,
        "device": None if device == "auto" else device,
    }


class SetupPanel(QWidget):
    """Form that builds the engine in the background and asks for a session to start."""

    #: image layer, engine, store path ("" = none)
    start_requested = Signal(object, object, str)

    def __init__(self, viewer: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self._engine_worker: Any = None
        self.image_combo = QComboBox()
        self.engine_combo = QComboBox()
        self.engine_combo.addItems(list(ENGINES))
        self.checkpoint_edit = QLineEdit()
        self.checkpoint_edit.setPlaceholderText("checkpoint file or released name (skipclick)")
        browse_checkpoint = QPushButton("…")
        browse_checkpoint.setToolTip("Choose a checkpoint file")
        browse_checkpoint.clicked.connect(self._browse_checkpoint)
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download the released SkipClick weights")
        self.download_button.clicked.connect(self.download_weights)
        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICES)
        self.store_edit = QLineEdit()
        self.store_edit.setPlaceholderText("folder of the zarr store (empty: not saved)")
        browse_store = QPushButton("…")
        browse_store.setToolTip("Choose the store folder")
        browse_store.clicked.connect(self._browse_store)
        self.cache_spin = QSpinBox()
        self.cache_spin.setRange(64, 1 << 20)
        self.cache_spin.setValue(1024)
        self.cache_spin.setSuffix(" MiB")
        self.cache_spin.setToolTip("Memory for frame features; least recently used frames go first")
        self.cache_dir_edit = QLineEdit()
        self.cache_dir_edit.setPlaceholderText("disk cache folder (optional, fp16)")
        self.cache_dir_edit.setToolTip("Features kept on disk so reopening a video is fast")
        self.start_button = QPushButton("Start annotating")
        self.start_button.clicked.connect(self.request_start)

        checkpoint_row = _row(self.checkpoint_edit, browse_checkpoint, self.download_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Image", self.image_combo)
        form.addRow("Engine", self.engine_combo)
        form.addRow("Checkpoint", checkpoint_row)
        form.addRow("Device", self.device_combo)
        form.addRow("Store", _row(self.store_edit, browse_store))
        form.addRow("Cache", _row(self.cache_spin, self.cache_dir_edit))
        form.addRow(self.start_button)
        self._checkpoint_row = checkpoint_row
        self.engine_combo.currentTextChanged.connect(self._on_engine_name)
        self._on_engine_name(self.engine_combo.currentText())
        for event in (viewer.layers.events.inserted, viewer.layers.events.removed):
            event.connect(self.refresh_layers)
        self.refresh_layers()

    def refresh_layers(self, _event: Any = None) -> None:
        """List the viewer's image layers (keeping the current choice when it still exists)."""
        current = self.image_combo.currentText()
        names = [layer.name for layer in self.viewer.layers if type(layer).__name__ == "Image"]
        self.image_combo.clear()
        self.image_combo.addItems(names)
        if current in names:
            self.image_combo.setCurrentText(current)

    def cache_settings(self) -> tuple[float, str | None]:
        """Memory bound (MiB) and disk folder (or None) of the feature cache."""
        return float(self.cache_spin.value()), self.cache_dir_edit.text().strip() or None

    def image_layer(self) -> Any:
        name = self.image_combo.currentText()
        matches = [layer for layer in self.viewer.layers if layer.name == name]
        return matches[0] if matches else None

    def _on_engine_name(self, name: str) -> None:
        needs_weights = name == "skipclick"
        self._checkpoint_row.setEnabled(needs_weights)
        self.device_combo.setEnabled(needs_weights)

    def request_start(self) -> None:
        """Build the chosen engine in a worker, then emit ``start_requested``."""
        layer = self.image_layer()
        if layer is None:
            show_error("Open a video or image first (File > Open, or the sample data)")
            return
        name = self.engine_combo.currentText()
        options = engine_options(
            name, self.checkpoint_edit.text().strip(), self.device_combo.currentText()
        )
        store = self.store_edit.text().strip()
        self.start_button.setEnabled(False)
        worker = create_worker(
            _build_engine, name, options, _progress={"desc": f"SkipClick: loading {name}"}
        )
        worker.returned.connect(lambda engine: self.start_requested.emit(layer, engine, store))
        worker.errored.connect(lambda exc: show_error(f"Cannot use engine {name!r}: {exc}"))
        worker.finished.connect(lambda: self.start_button.setEnabled(True))
        self._engine_worker = worker
        worker.start()

    def download_weights(self) -> None:
        """Fetch the released checkpoint in a worker and put its path in the checkpoint field."""
        self.download_button.setEnabled(False)
        worker = create_worker(
            _download, DEFAULT_CHECKPOINT, _progress={"desc": "SkipClick: downloading weights"}
        )
        worker.returned.connect(self._on_downloaded)
        worker.errored.connect(lambda exc: show_error(f"Download failed: {exc}"))
        worker.finished.connect(lambda: self.download_button.setEnabled(True))
        self._download_worker = worker
        worker.start()

    def _on_downloaded(self, path: Any) -> None:
        self.checkpoint_edit.setText(str(path))
        self.engine_combo.setCurrentText("skipclick")
        show_info(f"SkipClick weights ready: {path}")

    def _browse_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "SkipClick checkpoint", "", "PyTorch (*.pth *.pt)"
        )
        if path:
            self.checkpoint_edit.setText(path)

    def _browse_store(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Store folder")
        if path:
            self.store_edit.setText(path)


def _build_engine(name: str, options: dict[str, Any]) -> Any:
    from ...engines import create_engine

    return create_engine(name, **options)


def _download(name: str) -> Any:
    from ...model.weights import fetch_checkpoint

    return fetch_checkpoint(name, progressbar=False)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row
