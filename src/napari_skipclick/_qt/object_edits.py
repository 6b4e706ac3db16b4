"""Objects and classes in the controller: add, select, rename, change class, delete.

A mixin of ``AnnotationController`` (it uses the controller's session, layers and signals);
the object list is written by the autosave like the frames. Importing a Labels layer (new
objects from another tool) and deleting objects run in workers (``imports.LabelsImport``,
``deleting.ObjectsDelete``); the one such worker running, if any (an undo of many frames,
``undoing.HistoryStep``, too), is ``background_edit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import ObjectInfo
from .deleting import ObjectsDelete, start_delete
from .imports import LabelsImport, start_import
from .stoppable import StoppableWorker

#: seconds closing waits for a cancelled import, deletion or undo to end
STOP_EDIT_S = 300.0


class ControllerObjects:
    """Objects and classes of the ``AnnotationController``."""

    session: Any
    layers: Any
    edits: Any
    saving: Any
    current_object: int | None
    current_before: dict[int, int | None]  # the controller's
    #: the import, deletion or undo of a large edit running in a worker, if any: while it
    #: runs, other edits are refused (``_refuse_while_busy``)
    background_edit: StoppableWorker | None = None

    def _objects_noted(self) -> None:
        """The object or class list changed: save it, and note it in the labels layer's
        metadata, which napari's writer saves with the labels (names, classes)."""
        self.saving.schedule()
        if self.session is not None and self.layers is not None:
            self.layers.note_objects(self.session.objects, self.session.registry.classes)

    def _statuses_noted(self) -> None:
        """The frame statuses changed: note them in the labels layer's metadata, which
        napari's writer saves with the labels."""
        if self.session is not None and self.layers is not None:
            self.layers.note_statuses(self.session.statuses())

    @staticmethod
    def new_object_class() -> str | None:
        """The class of new objects (the Objects panel sets its choice; None: the first)."""
        return None

    def add_object(
        self,
        class_name: str | None = None,
        name: str | None = None,
        obj_id: int | None = None,
        *,
        with_next_edit: bool = False,
    ) -> ObjectInfo | None:
        """Add an object (``AnnotationSession.add_object``, an undo step; ``class_name``
        defaults to ``new_object_class``) and make it the current one. None: refused while a
        propagation or a background edit runs (its undo step must stay one), or no ID is free
        (a warning says so)."""
        session = self._need_session()
        if self._refused_list_edit("add an object"):
            return None
        if obj_id is None and self._no_free_id():
            return None
        info = session.add_object(
            class_name or self.new_object_class(), name, obj_id, with_next_edit=with_next_edit
        )
        self.current_before[info.id] = self.current_object
        self.layers.set_objects(self.session.objects)
        self.objects_changed.emit()
        self.select_object(info.id)
        self._say(f"Added object {info.id} ({info.name}, class {info.class_name})")
        return info

    def _no_free_id(self) -> bool:
        """Whether every object ID is taken (``ObjectRegistry.new_id``), warning if so."""
        try:
            self._need_session().registry.new_id()
        except ValueError as exc:
            self._warn(f"No object added: {exc}")
            return True
        return False

    def add_object_for_click(self) -> bool:
        """A click with no current object: add one for it (undone with the click) and make it
        current, keeping the click on the prompts layer. False: no ID is free (warned)."""
        if self._no_free_id():
            return False
        info = self._need_session().add_object(self.new_object_class(), with_next_edit=True)
        self.current_before[info.id] = None
        self.current_object = info.id
        self.layers.set_objects(self.session.objects)
        self.objects_changed.emit()
        self.current_object_changed.emit()
        return True

    def select_object(self, obj_id: int | None) -> None:
        if obj_id == self.current_object:
            return
        self.current_object = obj_id
        self._sync_prompts()
        self.current_object_changed.emit()

    def next_object(self, step: int = 1) -> None:
        """Make the next (``step`` 1) or previous (-1) object in the list current, and name it
        in the status line (O / Shift+O)."""
        if self.session is None or not self.session.objects:
            return
        objects = self.session.objects
        ids = [o.id for o in objects]
        index = ids.index(self.current_object) if self.current_object in ids else -step
        index = (index + step) % len(ids)
        self.select_object(ids[index])
        info = objects[index]
        where = f"{index + 1} of {len(ids)}"
        self._say(f"Object {info.id} ({info.name}, class {info.class_name}) is current: {where}")

    def rename_object(self, obj_id: int, name: str) -> None:
        """Rename an object; an empty name is refused (the table shows the name again), the
        same name is no edit."""
        session = self._need_session()
        before = session.object(obj_id).name
        if not name.strip() or name.strip() == before:
            if not name.strip():
                self._warn(f"An object needs a name: object {obj_id} stays {before!r}")
            self.objects_changed.emit()  # the table shows the name it has
            return
        if self._refused_list_edit("rename an object"):
            return
        session.rename_object(obj_id, name)
        self._objects_edited(f"Renamed object {obj_id} ({before} → {name.strip()})")

    def set_object_class(self, obj_id: int, class_name: str) -> None:
        session = self._need_session()
        before = session.object(obj_id)
        if class_name == before.class_name or self._refused_list_edit("change a class"):
            return
        session.set_object_class(obj_id, class_name)
        words = f"{before.class_name} → {class_name}"
        self._objects_edited(f"Object {obj_id} ({before.name}): class {words}")

    def add_class(self, name: str) -> bool:
        """Add a class; ``ValueError`` for a name taken. False: refused while a run goes on."""
        if self._refused_list_edit("add a class"):
            return False
        self._need_session().add_class(name)
        self._objects_edited(f"Added class {name}")
        return True

    def rename_class(self, name: str, new_name: str) -> bool:
        """Rename class ``name`` (its objects follow); ``ValueError`` for a name taken. False:
        refused while a run goes on."""
        if self._refused_list_edit("rename a class"):
            return False
        self._need_session().rename_class(name, new_name)
        self._objects_edited(f"Renamed class {name} → {new_name}")
        return True

    def remove_class(self, name: str) -> bool:
        """Remove class ``name``; ``ValueError`` while an object has it, or the last one.
        False: refused while a run goes on."""
        if self._refused_list_edit("remove a class"):
            return False
        self._need_session().remove_class(name)
        self._objects_edited(f"Removed class {name}")
        return True

    def _refused_list_edit(self, what: str) -> bool:
        """Refuse an edit of the object or class list (saying why) while a propagation or a
        background edit runs: it went between the run's frames in the undo history, and one
        Ctrl+Z no longer took the run back. The panel shows the list as it is again."""
        if not self._refuse_while_busy(what):
            return False
        self.objects_changed.emit()
        return True

    def _objects_edited(self, words: str) -> None:
        """Show an edit of the object or class list (an undo step: Ctrl+Z takes it back)."""
        self.objects_changed.emit()
        self._say(words)

    def use_classes(self, names: list[str]) -> None:
        """Add the classes ``names`` the session lacks (``AnnotationSession.use_classes``);
        the status line names those left out as renamed or removed in the store."""
        left_out = self._need_session().use_classes(names)
        self.objects_changed.emit()
        if left_out:
            listed = ", ".join(left_out)
            self._say(
                f"Classes not added again: {listed} (renamed or removed in this store; "
                "Add class brings one back)"
            )

    def delete_object(self, obj_id: int) -> ObjectsDelete | None:
        """Delete the object on every frame, in a worker (``delete_objects``)."""
        return self.delete_objects([obj_id])

    def delete_objects(self, ids: list[int]) -> ObjectsDelete | None:
        """Delete the objects ``ids`` on every frame, in a worker (progress in the activity
        dock; Escape cancels it: the object being deleted is kept); each is one undoable step."""
        if not ids or self._refuse_while_busy("delete an object"):
            return None
        session = self._need_session()
        for obj_id in ids:
            session.object(obj_id)  # KeyError for an unknown object, before anything starts
            self.edits.discard(obj_id=obj_id)
        return start_delete(self, ids)

    def import_labels(self, layer: Any) -> LabelsImport | None:
        """Import the labelled frames of a Labels ``layer`` of the video's shape (read and
        imported in a worker, one undoable step; objects named after the layer)."""
        if self.session is None or self._refuse_while_busy("import labels"):
            return None
        return start_import(self, layer)

    def refuse_while_editing(self, what: str) -> bool:
        """Refuse (saying why) while the ``background_edit`` runs (the store gets none of it
        until it ends: ``AnnotationSession.saved_whole``)."""
        if self.background_edit is None:
            return False
        doing = self.background_edit.doing
        self._warn(f"Cannot {what} while {doing}: wait or cancel it (Escape)")
        return True

    def _start_background_edit(
        self, run: StoppableWorker, done: Callable[[Any], None], what: str
    ) -> None:
        """Run ``run`` as the ``background_edit``: ``done`` gets its result on the GUI thread
        (None when napari aborted it), unless the session ended meanwhile; an error is shown
        as "Cannot ``what``", after the session's state is shown again."""
        session = self.session

        def ended() -> bool:
            if self.background_edit is run:
                self.background_edit = None
            self.busy_changed.emit()
            return self.session is session

        def returned(result: Any) -> None:
            if ended():
                done(result)

        def failed(exc: Exception) -> None:
            if ended():
                self._after_history_change(None)
            self._error(f"Cannot {what}: {exc}")

        run.worker.returned.connect(returned)
        run.worker.aborted.connect(lambda: returned(None))
        run.worker.errored.connect(failed)
        self.background_edit = run
        run.start()
        self.busy_changed.emit()
        self._say(f"Wait while {run.doing} (Escape cancels)")  # the last message stood

    def cancel_background_edit(self) -> None:
        """Stop the import, deletion or undo running in a worker (between frames; what it
        did is put back: ``ObjectsDelete``, ``HistoryStep``, ``LabelsImport``)."""
        if self.background_edit is not None:
            self.background_edit.cancel()

    def stop_background_edit(self) -> None:
        """Cancel the import, deletion or undo and wait until its worker has ended (before
        closing the session)."""
        run, self.background_edit = self.background_edit, None
        if run is not None:
            run.stop(STOP_EDIT_S)
