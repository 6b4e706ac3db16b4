"""Closing a session whose changes cannot be saved: retry, save to another store, or discard.

``save_for_close`` writes everything through the store writer; when that fails it asks a
handler what to do (the widget's ``UnsavedDialog``, or a choice injected by a test or script)
and, without a handler, raises ``UnsavedChangesError``: changes are never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from napari.utils.notifications import show_error
from qtpy.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..frame_lists import counted
from ..session import AnnotationSession, UnsavedChangesError
from .saving import StoreWriter


class Choice(Enum):
    """What to do with changes that could not be saved."""

    RETRY = "retry"
    SAVE_AS = "save to another store"
    DISCARD = "discard"


@dataclass(frozen=True)
class Resolution:
    """A choice, with the store folder for ``SAVE_AS``."""

    choice: Choice
    path: str | None = None


#: asked when closing cannot save everything; returns what to do
UnsavedHandler = Callable[[UnsavedChangesError], Resolution]


def save_for_close(
    session: AnnotationSession, writer: StoreWriter, handler: UnsavedHandler | None
) -> None:
    """Write everything ``session`` holds (after the writer's queued jobs).

    On failure ``handler`` decides: retry, save to another store, or discard (the only way
    changes are dropped). Raises ``UnsavedChangesError`` without a handler.
    """
    while session.store is not None:
        try:
            writer.save(session).result()
            return
        except Exception as exc:
            error = UnsavedChangesError(
                session.dirty_frames(), session.objects_dirty, session.store.path, exc
            )
        if handler is None:
            raise error
        resolution = handler(error)
        if resolution.choice is Choice.DISCARD:
            return
        if resolution.choice is Choice.SAVE_AS and resolution.path:
            try:
                writer.submit(save_to_path, session, resolution.path).result()
                return
            except Exception as exc:
                show_error(f"Cannot save to {resolution.path}: {exc}")


def save_to_path(session: AnnotationSession, path: str) -> None:
    """Write the whole session into a (new) store at ``path`` and save there from now on."""
    from ..io.store import AnnotationStore

    video = session.store.video  # the zarr store: the only one the widget opens
    store = AnnotationStore.open_or_create(path, video, engine_key=session.engine.key)
    try:
        session.save_to(store)
    except Exception:
        store.close()
        raise


class UnsavedDialog(QMessageBox):
    """Says how many frames are not saved and why; Retry, Save to another store…, Discard."""

    def __init__(self, error: UnsavedChangesError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("SkipClick: changes not saved")
        what = counted(len(error.frames), "frame") + (" and the object list" * error.objects)
        self.setText(f"{what} could not be saved to {error.store}.")
        self.setInformativeText(
            f"{error.cause}\n\nThey are still in memory. Retry (e.g. after "
            "freeing disk space), save everything to another store, or discard them."
        )
        self.buttons = {
            Choice.RETRY: self.addButton("Retry", QMessageBox.ButtonRole.AcceptRole),
            Choice.SAVE_AS: self.addButton(
                "Save to another store…", QMessageBox.ButtonRole.ActionRole
            ),
            Choice.DISCARD: self.addButton(
                f"Discard {what}", QMessageBox.ButtonRole.DestructiveRole
            ),
        }
        self.setDefaultButton(self.buttons[Choice.RETRY])
        self.setEscapeButton(self.buttons[Choice.RETRY])  # closing the dialog never discards

    def choice(self) -> Choice:
        """The button pressed (Retry when none was)."""
        clicked = self.clickedButton()
        return next((c for c, b in self.buttons.items() if b is clicked), Choice.RETRY)


def ask_unsaved(parent: QWidget | None, error: UnsavedChangesError) -> Resolution:
    """Show ``UnsavedDialog`` (modal) and, for another store, a folder dialog."""
    dialog = UnsavedDialog(error, parent)
    dialog.exec()
    choice = dialog.choice()
    if choice is not Choice.SAVE_AS:
        return Resolution(choice)
    path = QFileDialog.getSaveFileName(parent, "New SkipClick store (a folder ending in .zarr)")[0]
    return Resolution(Choice.SAVE_AS, path) if path else Resolution(Choice.RETRY)
