"""The SkipClick dock widget: session settings, objects and frame controls around one controller."""

from __future__ import annotations

import os
from typing import Any

from qtpy.QtCore import QEvent, QMargins, QRect, Qt
from qtpy.QtWidgets import (
    QWIDGETSIZE_MAX,
    QAbstractButton,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QStyle,
    QStyleOptionGroupBox,
    QVBoxLayout,
    QWidget,
)

from .._layer_data import unwrapped
from .controller import AnnotationController
from .export_panel import ExportPanel
from .frame_panel import FramePanel
from .keybindings import KeyBindings
from .labels_keeping import tell_recovered
from .layers import layers_in_use
from .objects_panel import ObjectsPanel
from .setup_panel import SetupPanel
from .unsaved import ask_unsaved

#: the Session box's title while folded: how to get the settings back
SHUT_TITLE = "Session (tick to change the engine or store)"


class SkipClickWidget(QWidget):
    """Click-based video annotation: clicks on "SkipClick prompts" become masks per object."""

    _docked = False  # placed in a dock (or any parent) at some time, and still there

    def __init__(self, napari_viewer: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = napari_viewer
        self.controller = AnnotationController(napari_viewer)
        self.setup_panel = SetupPanel(napari_viewer)
        self.objects_panel = ObjectsPanel(self.controller)
        self.frame_panel = FramePanel(self.controller)
        self.export_panel = ExportPanel(self.controller)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        #: pending / saving / saved / why saving failed (``controller.save_state``)
        self.save_label = QLabel("")
        self.save_label.setWordWrap(True)
        self.controller.unsaved_handler = lambda error: ask_unsaved(self, error)
        layout = QVBoxLayout(self)
        layout.addWidget(self._panels(), stretch=1)
        layout.addWidget(self.save_label)
        layout.addWidget(self.status_label)
        self.setup_panel.start_requested.connect(self._on_start_requested)
        self.setup_panel.engine_refused.connect(self._on_engine_refused)
        self.controller.message.connect(self._on_message)
        self.controller.save_state_changed.connect(self._on_save_state)
        self.controller.session_changed.connect(self._on_session_changed)
        self.keys = KeyBindings(
            napari_viewer,
            {
                "toggle_sign": self.controller.toggle_sign,
                "undo": self.controller.undo,
                "redo": self.controller.redo,
                "new_object": self.objects_panel.add_object,
                "next_object": self.controller.next_object,
                "previous_object": lambda: self.controller.next_object(-1),
                "propagate_forward": lambda: self.frame_panel.propagate(1),
                "propagate_backward": lambda: self.frame_panel.propagate(-1),
                "fill_ahead": lambda: self.frame_panel.fill(1),
                "fill_back": lambda: self.frame_panel.fill(-1),
                "next_review": lambda: self.controller.go_to_review(1),
                "previous_review": lambda: self.controller.go_to_review(-1),
                "accept": self.controller.accept_frame,
                "absent": self.controller.mark_absent,
                "zoom": self.controller.toggle_zoom,
                "cancel": self.controller.cancel,
            },
        )
        if not layers_in_use(napari_viewer, None):  # another widget's session keeps its keys
            self.keys.bind()
        for button in self.findChildren(QAbstractButton):
            # a clicked button kept the keyboard: Space (napari's pan) clicked it again
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tell_recovered()

    def _on_message(self, text: str) -> None:
        """Show the controller's message; its tooltip holds it whole (every stop reason in
        full where the line gives their gist)."""
        self.status_label.setText(text)
        self.status_label.setToolTip(self.controller.last_whole)

    def keyPressEvent(self, event: Any) -> None:
        """Enter that confirmed a field of the dock (a class name, a frame count, a folder)
        ends here: in napari's window it marked the frame on screen *reviewed*."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def _panels(self) -> QScrollArea:
        """The four panels in a scroll area: on a short screen (a 768-pixel laptop) the dock
        scrolls instead of pushing the window past the screen; spare height goes to the
        objects table. The save state and the last message stay in sight below it.

        The Session box folds to its title while a session runs (its check box opens it), and
        the Frame panel comes before the objects: at napari's default window size the frame's
        status, Review and Propagate are in sight without scrolling."""
        panels = QWidget()
        layout = QVBoxLayout(panels)
        layout.setContentsMargins(0, 0, 0, 0)
        for title, panel in (
            ("Session", self.setup_panel),
            ("Frame", self.frame_panel),
            ("Objects", self.objects_panel),
            ("Export", self.export_panel),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(panel)
            layout.addWidget(box, stretch=int(panel is self.objects_panel))
        self.session_box = self.setup_panel.parentWidget()
        self.session_box.setCheckable(True)
        self.session_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space is napari's pan
        self._box_margins = self.session_box.layout().contentsMargins()  # those of the open box
        self.session_box.toggled.connect(self._fold_session_box)
        self._fold_session_box(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(panels)
        return scroll

    def _fold_session_box(self, opened: bool) -> None:
        """Show the settings, or fold the Session box to its title, which says how to open it.

        A shut checkable box disables what it holds: the panel stays enabled, so that Apply
        (``request_start``) works from a script whether the box is open or not."""
        box, panel = self.session_box, self.setup_panel
        panel.setVisible(opened)
        panel.setEnabled(True)
        box.layout().setContentsMargins(self._box_margins if opened else QMargins())
        box.setTitle("Session" if opened else SHUT_TITLE)
        box.setStyleSheet("" if opened else "QGroupBox { border: none; }")  # no empty frame
        box.setMaximumHeight(QWIDGETSIZE_MAX if opened else title_height(box))
        box.setToolTip(
            "Untick to hide the session settings"
            if opened
            else "Tick to show the session settings: change the engine, store or cache, then Apply"
        )

    def start(
        self,
        image_layer: Any,
        engine: Any,
        store_path: str | None = None,
        photos: bool | None = None,
    ) -> Any:
        """Start annotating ``image_layer`` with ``engine`` (what the Start button ends in);
        ``photos``: a folder's images as separate photos (None: as the layer says)."""
        try:
            session = self.controller.start_session(
                image_layer, engine, store_path=store_path, photos=photos
            )
        except Exception as exc:
            self.controller._error(f"Cannot start: {exc}")
            return None
        self.controller.go_to_last_edit()  # as `skipclick annotate` resumes a store
        return session

    def _on_start_requested(self, image_layer: Any, engine: Any, store_path: str) -> None:
        session = self.controller.session
        if session is not None and self.controller._refuse_while_busy("apply new settings"):
            return  # Apply cancelled a running propagation without a word
        self._apply_cache_settings()
        same_data = session is not None and self.controller.layers is not None
        same_data = same_data and unwrapped(self.controller.layers.image_layer) is unwrapped(
            image_layer
        )
        wanted = os.path.abspath(store_path) if store_path else None
        same_store = session is not None and _store_path(session) == wanted
        photos = self.setup_panel.photos()
        if same_data and same_store:
            self.controller.switch_engine(engine)
            if photos is not None:
                self.controller.use_photos(photos)
        else:
            self.start(image_layer, engine, store_path or None, photos)

    def _on_engine_refused(self, why: str) -> None:
        """The status line says why, and which engine annotates on (the panel shows the one
        refused)."""
        session = self.controller.session
        on = f"; annotating on with {session.engine.name}" if session is not None else ""
        self.controller._say(why + on)

    def _apply_cache_settings(self) -> None:
        """Use a new feature cache when the panel's size or disk folder changed."""
        from ..engines.cache import FeatureCache

        max_mib, disk = self.setup_panel.cache_settings()
        cache = self.controller.cache
        same_disk = str(cache.disk_path or "") == str(disk or "")
        if cache.max_bytes != int(max_mib * 2**20) or not same_disk:
            try:
                self.controller.use_cache(FeatureCache(max_mib=max_mib, disk_path=disk))
            except OSError as exc:
                self.controller._error(f"Cannot use the disk cache folder: {exc}")

    def _on_session_changed(self) -> None:
        layers = self.controller.layers
        own = (layers.labels, layers.prompts, layers.image_layer) if layers is not None else ()
        self.keys.bind(own)
        running = self.controller.session is not None
        if running and self.controller.source.folder:  # as the session annotates it
            self.setup_panel.photos_box.setChecked(self.controller.source.photos)
        self.setup_panel.start_button.setText("Apply" if running else "Start annotating")
        self.session_box.setChecked(not running)  # folded while annotating, open to start

    def _on_save_state(self, state: Any) -> None:
        self.save_label.setText(state.text())
        self.save_label.setStyleSheet("color: #e05050;" if state.error else "")

    def closeEvent(self, event: Any) -> None:
        """Save everything before the widget goes (asking what to do if saving fails)."""
        self._end()
        super().closeEvent(event)

    def event(self, event: Any) -> bool:
        """The dock's close button (napari takes the widget out of its dock, with no close
        event) ends the session as closing does: it went on unseen, holding its store."""
        if event.type() == QEvent.Type.ParentChange:
            if self.parent() is not None:
                self._docked = True
            elif self._docked:
                self._docked = False
                self._end()
        return super().event(event)

    def _end(self) -> None:
        self.controller.close_session()
        self.keys.unbind()
        self.controller.release_viewer()
        self.setup_panel.release_viewer()
        self.objects_panel.release_viewer()


def title_height(box: QGroupBox) -> int:
    """The height of ``box``'s title line: its check box and its text."""
    option = QStyleOptionGroupBox()
    box.initStyleOption(option)
    style, control = box.style(), QStyle.ComplexControl.CC_GroupBox
    parts = (QStyle.SubControl.SC_GroupBoxLabel, QStyle.SubControl.SC_GroupBoxCheckBox)
    title = QRect()
    for part in parts:
        title = title.united(style.subControlRect(control, option, part, box))
    return title.bottom() + 1


def _store_path(session: Any) -> str | None:
    store = session.store
    return None if store is None else os.path.abspath(str(store.path))
