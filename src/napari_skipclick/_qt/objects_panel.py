"""Objects panel: the class list, and a table of objects (ID with its colour, name, class, frames).

Each row's ID cell is filled with the object's colour (``color_for``) and carries a swatch of
it as its icon, so the colour stays visible when the row is selected.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..colors import color_for
from ..frame_lists import frame_ranges
from ..types import ObjectInfo
from .imports import candidate_layers, import_choices

#: the Import labels list's tooltip (the chosen layer's store path follows it)
IMPORT_TIP = "A Labels layer of the video's shape (another tool's or a model's labels)"


class ObjectTable(QTableWidget):
    """The objects table: a letter typed on it is a shortcut (T, R, N, M …), passed on to
    napari; a name is edited by a double click or F2 (a letter opened the editor and went
    into the name while its shortcut ran too)."""

    def __init__(self) -> None:
        super().__init__(0, 4)
        triggers = QAbstractItemView.EditTrigger
        self.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed)

    def keyPressEvent(self, event: Any) -> None:
        plain = not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        if plain and event.text().isprintable() and event.text().strip():
            event.ignore()  # to the window: napari's key bindings
            return
        super().keyPressEvent(event)


ID_COLUMN, NAME_COLUMN, CLASS_COLUMN, FRAMES_COLUMN = range(4)


class ObjectsPanel(QWidget):
    """Shows the session's objects; edits go through the controller (never the session itself)."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        controller.new_object_class = self.class_of_new_objects  # M, a first click, a new label
        self._updating = False
        #: object id -> frames where it has pixels or clicks (kept up to date edit by edit)
        self._frames: dict[int, set[int]] = {}
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("Class of new objects (Rename and Remove act on it)")
        self.class_edit = QLineEdit()
        self.class_edit.setPlaceholderText("new class")
        self.class_edit.returnPressed.connect(self.add_class)
        add_class = QPushButton("Add class")
        add_class.clicked.connect(self.add_class)
        rename_class = QPushButton("Rename")
        rename_class.setToolTip(
            "Rename the class chosen in the list to the name typed below (its objects follow)"
        )
        rename_class.clicked.connect(self.rename_class)
        remove_class = QPushButton("Remove")
        remove_class.setToolTip("Remove the class chosen in the list (no object may have it)")
        remove_class.clicked.connect(self.remove_class)
        self.add_button = QPushButton("Add object (M)")
        self.add_button.clicked.connect(self.add_object)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected object on every frame (undo: Ctrl+Z)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.table = ObjectTable()
        self.table.setHorizontalHeaderLabels(["ID", "Name", "Class", "Frames"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FRAMES_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(110)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        classes = QHBoxLayout()
        classes.addWidget(self.class_combo, 1)
        classes.addWidget(rename_class)
        classes.addWidget(remove_class)
        new_class = QHBoxLayout()
        new_class.addWidget(self.class_edit, 1)
        new_class.addWidget(add_class)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        self.import_combo = QComboBox()
        self._import_layers: list[Any] = []  # the layers listed, in the list's order
        self.import_combo.currentIndexChanged.connect(self._show_import_tip)
        self.import_button = QPushButton("Import labels")
        self.import_button.setToolTip(
            "Bring the layer's labels into the session as objects, beside the objects a frame "
            "holds (refused where their pixels meet; undo: Ctrl+Z)"
        )
        self.import_button.clicked.connect(self.import_selected_layer)
        imports = QHBoxLayout()
        imports.addWidget(self.import_combo, 1)
        imports.addWidget(self.import_button)
        layout.addLayout(classes)
        layout.addLayout(new_class)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addLayout(imports)
        events = controller.viewer.layers.events
        for event in (events.inserted, events.removed, events.renamed):
            event.connect(self.refresh_import_layers)
        controller.session_changed.connect(self.refresh_import_layers)
        controller.objects_changed.connect(self.refresh)
        controller.session_changed.connect(self.refresh)
        controller.current_object_changed.connect(self._show_current)
        controller.annotations_changed.connect(self.refresh_frames)
        self.refresh()

    # -- actions ---------------------------------------------------------------------------------

    def add_class(self) -> None:
        name = self.class_edit.text().strip()
        if not name or self.controller.session is None:
            return
        if not self._edit_classes(self.controller.add_class, name):
            return
        self.class_edit.clear()
        self.class_combo.setCurrentText(name)

    def rename_class(self) -> None:
        """Rename the class chosen in the list to the name typed in the field."""
        name, new_name = self.class_combo.currentText(), self.class_edit.text().strip()
        if self.controller.session is None or not name:
            return
        if not new_name:
            self.controller._warn(f"Type the new name of class {name!r} first, then Rename")
            return
        if self._edit_classes(self.controller.rename_class, name, new_name):
            self.class_edit.clear()
            self.class_combo.setCurrentText(new_name)

    def remove_class(self) -> None:
        """Remove the class chosen in the list."""
        name = self.class_combo.currentText()
        if self.controller.session is not None and name:
            self._edit_classes(self.controller.remove_class, name)

    def _edit_classes(self, edit: Any, *args: str) -> bool:
        """``edit(*args)``; a refusal (``ValueError``) is shown. Whether it was done."""
        try:
            return edit(*args)
        except ValueError as exc:
            self.controller._warn(str(exc))
            return False

    def add_object(self) -> None:
        if self.controller.session is None:
            self.controller._warn("Start a session first")
            return
        self.controller.add_object()

    def class_of_new_objects(self) -> str | None:
        """The class chosen in the list (None when it is none of the session's classes)."""
        name = self.class_combo.currentText()
        session = self.controller.session
        return name if session is not None and name in session.classes else None

    def release_viewer(self) -> None:
        """Stop following the viewer's layers (the widget is gone)."""
        events = self.controller.viewer.layers.events
        for event in (events.inserted, events.removed, events.renamed):
            event.disconnect(self.refresh_import_layers)

    def refresh_import_layers(self, *_: Any) -> None:
        """List the Labels layers that could be imported into the session (a store's layer
        with its store's path as tooltip, and the folder that tells two of one name apart)."""
        layers = candidate_layers(self.controller.viewer, self.controller)
        self._import_layers = layers
        self.import_combo.clear()
        for i, (text, tip) in enumerate(import_choices(layers)):
            self.import_combo.addItem(text)
            self.import_combo.setItemData(i, tip or None, Qt.ItemDataRole.ToolTipRole)
        self.import_button.setEnabled(bool(layers))
        self._show_import_tip()

    def _show_import_tip(self, *_: Any) -> None:
        """The list's tooltip, with the chosen layer's store path when it has one."""
        tip = self.import_combo.currentData(Qt.ItemDataRole.ToolTipRole)
        self.import_combo.setToolTip(IMPORT_TIP + (f"\n{tip}" if tip else ""))

    def import_selected_layer(self) -> None:
        """Import the chosen Labels layer (read in a worker), if it is still in the viewer."""
        i = self.import_combo.currentIndex()
        if not 0 <= i < len(self._import_layers):
            return
        chosen = self._import_layers[i]
        layers = candidate_layers(self.controller.viewer, self.controller)
        if any(layer is chosen for layer in layers):
            self.controller.import_labels(chosen)

    def delete_selected(self) -> None:
        """Delete the selected objects (in a worker)."""
        self.controller.delete_objects(self.selected_ids())

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [int(self.table.item(row, ID_COLUMN).text()) for row in rows]

    # -- view ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Rebuild the class list and the table from the session."""
        session = self.controller.session
        self._updating = True
        try:
            current_class = self.class_combo.currentText()
            self.class_combo.clear()
            objects = session.objects if session is not None else []
            if session is not None:
                self.class_combo.addItems(session.classes)
                if current_class in session.classes:
                    self.class_combo.setCurrentText(current_class)
            self.table.setRowCount(len(objects))
            for row, info in enumerate(objects):
                self._fill_row(row, info, session)
        finally:
            self._updating = False
        self.refresh_frames()
        self._show_current()

    def refresh_frames(self, frames: list[int] | None = None) -> None:
        """Update the Frames column: for the given frames only, or from scratch (None)."""
        session = self.controller.session
        if session is None:
            return
        if frames is None:
            self._frames = {o.id: set(session.frames_of(o.id)) for o in session.objects}
        else:
            for t in frames:
                on_frame = session.ids_on(t)
                for info in session.objects:
                    annotated = self._frames.setdefault(info.id, set())
                    if info.id in on_frame or session.clicks(t, info.id):
                        annotated.add(t)
                    else:
                        annotated.discard(t)
        for row in range(self.table.rowCount()):
            obj_id = int(self.table.item(row, ID_COLUMN).text())
            text = frame_ranges(sorted(self._frames.get(obj_id, ())))
            self.table.item(row, FRAMES_COLUMN).setText(text)

    def _fill_row(self, row: int, info: ObjectInfo, session: Any) -> None:
        color = QColor(*color_for(info.id))
        id_item = QTableWidgetItem(str(info.id))
        id_item.setFlags(id_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        id_item.setBackground(color)
        id_item.setForeground(QColor("black"))
        id_item.setData(Qt.ItemDataRole.DecorationRole, color)  # a swatch, seen when selected
        id_item.setToolTip(f"Object {info.id}: colour {color.name()} in the labels layer")
        self.table.setItem(row, ID_COLUMN, id_item)
        self.table.setItem(row, NAME_COLUMN, QTableWidgetItem(info.name))
        self._fill_class_box(row, info, session.classes)
        frames = QTableWidgetItem()
        frames.setFlags(frames.flags() & ~Qt.ItemFlag.ItemIsEditable)
        frames.setToolTip("Frames where the object is annotated")
        self.table.setItem(row, FRAMES_COLUMN, frames)

    def _fill_class_box(self, row: int, info: ObjectInfo, classes: list[str]) -> None:
        """The row's class box, reused from the last refresh (a replaced box lingered on the
        viewport, drawn over row 0, until Qt's deferred delete ran)."""
        combo = self.table.cellWidget(row, CLASS_COLUMN)
        if not isinstance(combo, QComboBox):
            combo = QComboBox()
            combo.currentTextChanged.connect(
                lambda name, box=combo: self._on_class_chosen(box, name)
            )
            self.table.setCellWidget(row, CLASS_COLUMN, combo)
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItems(classes)
            combo.setCurrentText(info.class_name)
        finally:
            combo.blockSignals(False)
        combo.setProperty("object_id", info.id)

    def _on_class_chosen(self, combo: QComboBox, name: str) -> None:
        """Set the class of the object the box was filled for, while the box still sits in that
        object's row; a box no longer in the table edits nothing."""
        obj_id = combo.property("object_id")
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, CLASS_COLUMN) is combo:
                if int(self.table.item(row, ID_COLUMN).text()) == obj_id:
                    self.controller.set_object_class(obj_id, name)
                return

    def _show_current(self) -> None:
        current = self.controller.current_object
        self._updating = True
        try:
            if current is None:  # none selected: a click on any row selects its object
                self.table.clearSelection()
                self.table.setCurrentCell(-1, -1)
            for row in range(self.table.rowCount()):
                if int(self.table.item(row, ID_COLUMN).text()) == current:
                    if row not in {i.row() for i in self.table.selectedIndexes()}:
                        self.table.selectRow(row)
                    self.table.setCurrentCell(row, NAME_COLUMN)
                    break
        finally:
            self._updating = False

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating or item.column() != NAME_COLUMN:
            return
        obj_id = int(self.table.item(item.row(), ID_COLUMN).text())
        self.controller.rename_object(obj_id, item.text().strip())

    def _on_selection_changed(self) -> None:
        if self._updating:
            return
        row = self.table.currentRow()
        if row >= 0 and self.table.item(row, ID_COLUMN) is not None:
            self.controller.select_object(int(self.table.item(row, ID_COLUMN).text()))
