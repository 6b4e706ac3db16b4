"""Keyboard shortcuts of the widget, bound on this viewer and its SkipClick layers only.

Keys follow napari's conventions: Ctrl (Cmd on macOS) + Z / Ctrl + Shift + Z undo and redo as
in the Labels layer, M makes a new object like napari's "new label", the arrow keys (napari's
own) step through frames. Keys of the Points layer (P, S, Z, A, 1-5, Delete) are left alone, and
so are Enter and Escape of the Labels layer's polygon mode.
The *new* button beside the label box of the labels layer's controls adds an object too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from app_model.types import KeyCode, KeyMod

from .._layer_data import unwrapped

#: (key, action name, what it does) — the table in docs/usage.md lists the same keys
SHORTCUTS: tuple[tuple[int, str, str], ...] = (
    (KeyCode.KeyT, "toggle_sign", "switch the next clicks between positive and negative"),
    (KeyMod.CtrlCmd | KeyCode.KeyZ, "undo", "undo the last edit"),
    (KeyMod.CtrlCmd | KeyMod.Shift | KeyCode.KeyZ, "redo", "redo"),
    (KeyCode.KeyM, "new_object", "add an object of the selected class"),
    (KeyCode.KeyO, "next_object", "select the next object"),
    (KeyMod.Shift | KeyCode.KeyO, "previous_object", "select the previous object"),
    (KeyMod.Shift | KeyCode.RightArrow, "propagate_forward", "propagate forward"),
    (KeyMod.Shift | KeyCode.LeftArrow, "propagate_backward", "propagate backward"),
    (KeyMod.Shift | KeyCode.KeyF, "fill_ahead", "fill the gap between keyframes after this frame"),
    (KeyMod.Shift | KeyCode.KeyB, "fill_back", "fill the gap between keyframes before this frame"),
    (KeyCode.KeyN, "next_review", "go to the next frame that needs review, and say why"),
    (KeyMod.Shift | KeyCode.KeyN, "previous_review", "go to the previous frame that needs review"),
    (KeyCode.Enter, "accept", "accept the frame: mark it reviewed and save it"),
    (KeyCode.KeyH, "absent", "the current object is not on this frame (hidden, out of view)"),
    (KeyCode.KeyR, "zoom", "zoom mode on/off (decode in a crop around the object)"),
    (KeyCode.Escape, "cancel", "stop background work (propagation, import, deletion, prefetch)"),
)

#: keys a Labels layer needs in its polygon mode (Enter closes the polygon, Escape drops it):
#: left to napari there while that mode is on
_POLYGON_KEYS = {int(KeyCode.Enter), int(KeyCode.Escape)}


class KeyBindings:
    """Binds ``SHORTCUTS`` to callables on a viewer and on given layers (the session's, where
    napari's layer keys would otherwise take them: M and Ctrl+Z on a Labels layer, Enter and
    Escape there outside its polygon mode, O on an Image layer); ``unbind`` restores."""

    def __init__(self, viewer: Any, actions: dict[str, Callable[[], None]]) -> None:
        self.viewer = viewer
        self.actions = actions
        self._bound: list[tuple[Any, int]] = []
        self._watched: list[Any] = []  # Labels layers whose mode decides the polygon keys
        self._buttons: list[tuple[Any, Any]] = []  # (*new* button, its Labels layer) taken

    def bind(self, layers: tuple[Any, ...] = ()) -> None:
        """(Re)bind every shortcut on the viewer and on ``layers``; the *new* button of a
        Labels layer's controls among them adds an object, as M does."""
        self.unbind()
        for key, name, _ in SHORTCUTS:
            for target in (self.viewer, *layers):
                if not (int(key) in _POLYGON_KEYS and getattr(target, "mode", None) == "polygon"):
                    self._bind(target, key, name)
        for layer in layers:
            button = new_label_button(layer)
            if button is not None:
                with suppress(TypeError):  # none connected
                    button.clicked.disconnect()  # napari's, and ours of an earlier binding
                button.clicked.connect(self._handler("new_object"))
                self._buttons.append((button, layer))
                layer.events.mode.connect(self._on_labels_mode)
                self._watched.append(layer)

    def _bind(self, target: Any, key: int, name: str) -> None:
        target.bind_key(key, self._handler(name), overwrite=True)
        self._bound.append((target, key))

    def _on_labels_mode(self, event: Any) -> None:
        """Enter and Escape go to napari while the Labels layer draws a polygon, else to us."""
        layer = event.source
        for key, name, _ in SHORTCUTS:
            if int(key) not in _POLYGON_KEYS:
                continue
            if layer.mode == "polygon":
                layer.bind_key(key, None)
                self._bound = [b for b in self._bound if b != (layer, key)]
            elif (layer, key) not in self._bound:
                self._bind(layer, key, name)

    def unbind(self) -> None:
        for layer in self._watched:
            layer.events.mode.disconnect(self._on_labels_mode)
        self._watched.clear()
        for target, key in self._bound:
            target.bind_key(key, None)
        self._bound.clear()
        for button, layer in self._buttons:  # napari's own *new* again (it still called us)
            with suppress(TypeError, RuntimeError):  # none connected; the controls are gone
                button.clicked.disconnect()
                button.clicked.connect(_napari_new_label(layer))
        self._buttons.clear()

    def _handler(self, name: str) -> Callable[[Any], None]:
        action = self.actions[name]

        def handler(_target: Any) -> None:
            action()

        handler.__doc__ = f"SkipClick: {name.replace('_', ' ')}"
        return handler


def _napari_new_label(layer: Any) -> Callable[[], None]:
    """What napari's *new* button does for ``layer`` (its Labels key binding M)."""
    try:
        from napari.layers.labels._labels_key_bindings import new_label
    except ImportError:  # another napari: the button then does nothing, as napari's would fail
        return lambda: None
    return lambda: new_label(layer)


def new_label_button(layer: Any) -> Any:
    """The *new* button beside the label box in the controls of the Labels ``layer``, or None
    (no Qt window, another layer type, a napari without it). napari's own slot looks for an
    unused label in the layer's data, which it cannot do in data that is no numpy array.

    Found through Qt's widget tree (the button's name, the controls' ``layer``), not through
    the viewer's private Qt attributes, which napari warns against in plugins."""
    from qtpy.QtWidgets import QApplication, QPushButton

    layer = unwrapped(layer)  # napari gives a plugin's widget proxies of its layers
    for window in QApplication.topLevelWidgets():
        for button in window.findChildren(QPushButton, "newLabelButton"):
            owner = button.parent()
            while owner is not None and unwrapped(getattr(owner, "layer", None)) is not layer:
                owner = owner.parent()
            if owner is not None:
                return button
    return None
