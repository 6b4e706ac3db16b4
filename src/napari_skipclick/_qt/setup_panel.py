"""Session settings: image layer (a folder's: separate photos or a video's frames), engine and
its options (from the registry), store, cache."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from .._layer_data import unwrapped
from ..engines.registry import (
    DEFAULT_ENGINE,
    ENGINES,
    EngineEntry,
    parse_option_items,
    split_option_items,
)
from .frame_source import FrameSource
from .option_fields import OptionField, option_field
from .stoppable import StoppableWorker


class SetupPanel(QWidget):
    """Form that builds the engine in the background and asks for a session to start.

    The engine list and each engine's fields come from the registry: one row per option marked
    ``flag``, shown while its engine is selected (a file field with a browse button for paths,
    plus *Download* for an engine that needs weights). Options set from outside without a
    field (``show_engine``) are kept while the files given with them (the checkpoint they
    describe) stay in their fields.
    """

    #: image layer, engine, store path ("" = none)
    start_requested = Signal(object, object, str)
    #: why the chosen engine cannot be used (said in a pop-up too)
    engine_refused = Signal(str)

    def __init__(self, viewer: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        #: the engine build and the weights download in progress, if any
        self._workers: dict[str, StoppableWorker] = {}
        #: per engine: options given without a field, and the file fields' values given with them
        self._hidden_options: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
            name: ({}, {}) for name in ENGINES
        }
        #: the engine built last, its name and resolved options (Apply with them reuses it)
        self._built: tuple[str, dict[str, Any], weakref.ref] | None = None
        self.fields: dict[str, dict[str, OptionField]] = {}
        self.download_button: QPushButton | None = None
        self.image_combo = QComboBox()
        self._photos_of: Any = None  # the layer the photos box was last set for
        self.photos_box = QCheckBox("Separate photos (no propagation)")
        self.photos_box.setToolTip(
            "The folder holds separate photos, not a video's frames: each photo's objects are "
            "its own (no propagation, fill or review). Applied at Start / Apply"
        )
        self.photos_box.setVisible(False)  # offered for a folder's images
        self.engine_combo = QComboBox()
        for index, entry in enumerate(ENGINES.values()):
            self.engine_combo.addItem(entry.name)
            self.engine_combo.setItemData(index, entry.description, Qt.ToolTipRole)
        self.options_edit = QLineEdit()
        self.options_edit.setPlaceholderText('NAME=VALUE ... (backbone_arch={"num_heads": 3})')
        self.options_edit.setToolTip(
            "Any option of the selected engine, as skipclick annotate --option takes it; "
            "over the fields above"
        )
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

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Image", self.image_combo)
        form.addRow("", self.photos_box)
        form.addRow("Engine", self.engine_combo)
        self._option_rows: dict[str, list[QWidget]] = {}
        for entry in ENGINES.values():
            self._add_option_rows(form, entry)
        form.addRow("Options", self.options_edit)
        form.addRow("Store", _row(self.store_edit, browse_store))
        form.addRow("Cache", _row(self.cache_spin, self.cache_dir_edit))
        form.addRow(self.start_button)
        self.image_combo.currentIndexChanged.connect(self._show_photos_box)
        self.engine_combo.currentTextChanged.connect(self._show_option_rows)
        self.engine_combo.setCurrentText(DEFAULT_ENGINE)
        self._show_option_rows(self.engine_combo.currentText())
        self._image_layers: list[Any] = []  # the layers listed, in the list's order
        self._viewer = viewer
        events = viewer.layers.events
        for event in (events.inserted, events.removed, events.renamed):
            event.connect(self.refresh_layers)
        self.refresh_layers()

    def release_viewer(self) -> None:
        """The widget is gone: stop following the viewer's layers, and cancel the engine
        build and the weights download in progress (what they end in is dropped: a build
        finishing later started a session in the closed widget)."""
        events = self._viewer.layers.events
        for event in (events.inserted, events.removed, events.renamed):
            event.disconnect(self.refresh_layers)
        for job in self._workers.values():
            job.cancel()

    def _run(
        self,
        key: str,
        run: Callable[..., Generator[None, None, Any]],
        args: tuple,
        desc: str,
        button: QPushButton,
        returned: Callable[[Any], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Run ``run(*args)`` in a ``StoppableWorker`` with ``button`` disabled until it ends;
        its result goes to ``returned``, its error (said once, not also as napari's
        traceback) to ``failed``, unless it was cancelled (``release_viewer``)."""
        job = StoppableWorker(run, args, {"desc": desc})
        job.worker.returned.connect(lambda value: job.cancelled or returned(value))
        job.worker.errored.connect(lambda exc: job.cancelled or failed(exc))
        job.worker.finished.connect(lambda: job.cancelled or button.setEnabled(True))
        button.setEnabled(False)
        self._workers[key] = job
        job.start()

    def _add_option_rows(self, form: QFormLayout, entry: EngineEntry) -> None:
        """One form row per flag option of ``entry`` (shown while the engine is selected)."""
        fields, rows = {}, []
        for option in entry.options:
            if not option.flag:
                continue
            field = option_field(option, self)
            field.widget.setToolTip(option.help)
            row = field.widget
            if option.type is Path:
                browse = QPushButton("…")
                browse.setToolTip(f"Choose the {option.name.replace('_', ' ')} file")
                browse.clicked.connect(lambda _=False, f=field: self._browse_file(f))
                buttons = [browse]
                if entry.needs_weights:
                    self.download_button = QPushButton("Download")
                    self.download_button.setToolTip(f"Download the released {entry.name} weights")
                    self.download_button.clicked.connect(
                        lambda _=False, e=entry.name, f=field: self.download_weights(e, f)
                    )
                    buttons.append(self.download_button)
                row = _row(field.widget, *buttons)
            form.addRow(option.name.replace("_", " ").capitalize(), row)
            rows += [form.labelForField(row), row]
            fields[option.name] = field
        self.fields[entry.name] = fields
        self._option_rows[entry.name] = rows

    def _show_option_rows(self, engine: str) -> None:
        for name, rows in self._option_rows.items():
            for widget in rows:
                widget.setVisible(name == engine)

    def refresh_layers(self, _event: Any = None) -> None:
        """List the viewer's image layers, keeping the chosen one while it is there (renamed
        too: the choice is the layer, not its name)."""
        chosen = self.image_layer()
        layers = [layer for layer in self.viewer.layers if type(layer).__name__ == "Image"]
        self._image_layers = layers
        self.image_combo.blockSignals(True)  # listed again: the choice is told once, below
        self.image_combo.clear()
        self.image_combo.addItems([layer.name for layer in layers])
        for i, layer in enumerate(layers):
            if chosen is not None and unwrapped(layer) is unwrapped(chosen):
                self.image_combo.setCurrentIndex(i)
        self.image_combo.blockSignals(False)
        self._show_photos_box()

    def _show_photos_box(self, _index: int = -1) -> None:
        """Offer *Separate photos* for a folder's images, ticked as a newly chosen layer says
        (the same layer, listed again, keeps the box as it was)."""
        layer = self.image_layer()
        chosen = None if layer is None else unwrapped(layer)
        if chosen is self._photos_of:
            return
        self._photos_of = chosen
        source = FrameSource.of_layer(layer) if layer is not None else FrameSource()
        self.photos_box.setVisible(source.folder)
        self.photos_box.setChecked(source.photos)

    def photos(self) -> bool | None:
        """Whether the chosen folder is to be annotated as separate photos (None: not a
        folder's images)."""
        return self.photos_box.isChecked() if self.photos_box.isVisibleTo(self) else None

    def cache_settings(self) -> tuple[float, str | None]:
        """Memory bound (MiB) and disk folder (or None) of the feature cache."""
        return float(self.cache_spin.value()), self.cache_dir_edit.text().strip() or None

    def image_layer(self) -> Any:
        """The image layer chosen, if it is still in the viewer."""
        i = self.image_combo.currentIndex()
        if not 0 <= i < len(self._image_layers):
            return None
        chosen = unwrapped(self._image_layers[i])
        return next((lay for lay in self.viewer.layers if unwrapped(lay) is chosen), None)

    def show_engine(self, name: str, options: Mapping[str, Any], engine: Any = None) -> None:
        """Select engine ``name`` and show ``options``; those without a field (a checkpoint's
        ``backbone_arch``) are kept while the file fields show what was given with them.
        ``engine``: the one built with them, which Apply with these settings uses again."""
        if engine is not None:
            self._remember(name, dict(options), engine)
        self.engine_combo.setCurrentText(name)
        fields = self.fields[name]
        for option, value in options.items():
            if option in fields:
                fields[option].set_value(value)
        hidden = {k: v for k, v in options.items() if k not in fields}
        self._hidden_options[name] = (hidden, self._file_values(name))
        for field in fields.values():
            if field.option.type is Path:
                words = ", ".join(f"{k}={v}" for k, v in hidden.items())
                also = f"\nGiven with this file (kept while it is chosen): {words}" * bool(hidden)
                field.widget.setToolTip(f"{field.option.help}{also}")

    def _file_values(self, name: str) -> dict[str, Any]:
        """What the file fields of engine ``name`` show (the checkpoint), as text."""
        fields = self.fields[name].values()
        return {f.option.name: f.widget.text() for f in fields if f.option.type is Path}

    def engine_options(self) -> dict[str, Any]:
        """The selected engine's options as the fields show them; ``ValueError`` if one is bad.
        Options given without a field go with the file they were given with: another
        checkpoint chosen since does not get the first one's ``backbone_arch``. The *Options*
        line (``NAME=VALUE`` items, as ``--option`` takes them) comes last."""
        name = self.engine_combo.currentText()
        hidden, files = self._hidden_options[name]
        options = dict(hidden) if self._file_values(name) == files else {}
        options.update({option: field.value() for option, field in self.fields[name].items()})
        items = split_option_items(self.options_edit.text())
        options.update(parse_option_items(ENGINES[name], items))
        return options

    def request_start(self) -> None:
        """Build the chosen engine in a worker, then emit ``start_requested``."""
        layer = self.image_layer()
        if layer is None:
            show_error("Open a video or image first (File > Open, or the sample data)")
            return
        name = self.engine_combo.currentText()
        try:
            options = self.engine_options()
        except ValueError as exc:
            self._refused(name, {}, exc)
            return
        store = self.store_edit.text().strip()
        built = self._built_with(name, options)
        if built is not None:  # Apply with unchanged settings: the engine is not loaded again
            self.start_requested.emit(layer, built, store)
            return

        def built(engine: Any) -> None:
            self._remember(name, options, engine)
            self.start_requested.emit(layer, engine, store)

        self._run(
            "engine",
            _build_engine,
            (name, options),
            f"SkipClick: loading {name}",
            self.start_button,
            built,
            lambda exc: self._refused(name, options, exc),
        )

    def _refused(self, name: str, options: Mapping[str, Any], exc: BaseException) -> None:
        """Say why engine ``name`` cannot be used: a file by its name, so that the pop-up's
        one line shows the cause, not a long folder path; ``engine_refused`` tells the widget."""
        why = str(exc)
        for value in options.values():
            path = str(value)
            if isinstance(value, (str, Path)) and os.sep in path and path in why:
                why = why.replace(path, Path(path).name)
        text = f"Cannot use engine {name!r}: {why}"
        show_error(text)
        self.engine_refused.emit(text)

    def _remember(self, name: str, options: dict[str, Any], engine: Any) -> None:
        """Note ``engine`` as built with ``options`` (held weakly: a session ended frees it)."""
        self._built = (name, ENGINES[name].resolve(options), weakref.ref(engine))

    def _built_with(self, name: str, options: dict[str, Any]) -> Any:
        """The engine built last if it was built with these settings and still exists."""
        if self._built is None or self._built[0] != name:
            return None
        same = self._built[1] == ENGINES[name].resolve(options)
        return self._built[2]() if same else None

    def download_weights(self, engine: str, field: OptionField) -> None:
        """Fetch the released checkpoint in a worker and put its path in ``field``."""
        from ..model.weights import CHECKPOINTS

        text = str(field.value())
        released = text if text in CHECKPOINTS else str(field.option.default)
        self._run(
            "download",
            _download,
            (released,),
            "SkipClick: downloading weights",
            self.download_button,
            lambda path: self._on_downloaded(engine, field, path),
            lambda exc: show_error(f"Download failed: {exc}"),
        )

    def _on_downloaded(self, engine: str, field: OptionField, path: Any) -> None:
        field.set_value(str(path))
        self.engine_combo.setCurrentText(engine)
        show_info(f"SkipClick weights ready: {path}")

    def _browse_file(self, field: OptionField) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, field.option.name.replace("_", " "), "", "PyTorch (*.pth *.pt);;All files (*)"
        )
        if path:
            field.set_value(path)

    def _browse_store(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Store folder")
        if path:
            self.store_edit.setText(path)


def _build_engine(name: str, options: dict[str, Any]) -> Generator[None, None, Any]:
    """The engine, in one step (a ``StoppableWorker``'s generator)."""
    from ..engines import create_engine

    yield
    return create_engine(name, **options)


def _download(name: str) -> Generator[None, None, Any]:
    """The released checkpoint's path, in one step (a ``StoppableWorker``'s generator)."""
    from ..model.weights import fetch_checkpoint

    yield
    return fetch_checkpoint(name, progressbar=False)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row
