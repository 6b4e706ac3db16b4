"""The objects and classes of ``AnnotationSession``: add, rename, change class; add, rename
and remove classes. The lists are written to the store by the next commit, like the frames."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..types import DEFAULT_CLASS, ObjectInfo
from .history import ClassListChange, History
from .state import ObjectRegistry, class_names


class SessionObjects:
    """Objects and classes (a mixin: it uses the session's registry and lock)."""

    registry: ObjectRegistry
    history: History
    _lock: Any
    _mark_objects_changed: Callable[[], None]  # the session's (``SessionSaving``)
    _refuse_closed: Callable[[], None]  # the session's (``SessionSaving``)

    @property
    def objects(self) -> list[ObjectInfo]:
        with self._lock:
            return self.registry.objects

    @property
    def classes(self) -> list[str]:
        with self._lock:
            return self.registry.classes

    def object(self, obj_id: int) -> ObjectInfo:
        return self.registry.get(obj_id)

    def add_class(self, name: str) -> None:
        """Add the class ``name`` at the end of the list (an undoable step)."""
        with self._lock:
            self._change_objects(self.registry.add_class, name)
            step = ClassListChange(name.strip(), len(self.registry.classes) - 1)
            self.history.push([], classes=step)

    def rename_class(self, name: str, new_name: str) -> list[ObjectInfo]:
        """Rename the class ``name`` (an undoable step); its objects take the new name. Returns
        those objects.

        Args:
            name: a class of the session (``ValueError`` otherwise).
            new_name: a name no other class has, not empty (``ValueError`` otherwise).
        """
        with self._lock:
            renamed = self._change_objects(self.registry.rename_class, name, new_name)
            index = self.registry.classes.index(new_name.strip())
            if new_name.strip() != name:
                self.history.push([], classes=ClassListChange(name, index, new_name.strip()))
            return renamed

    def remove_class(self, name: str) -> None:
        """Remove the class ``name`` (an undoable step): ``ValueError`` while an object has it
        (give them another class first) and for the last class."""
        with self._lock:
            index = self.registry.classes.index(name) if name in self.registry.classes else -1
            self._change_objects(self.registry.remove_class, name)
            self.history.push([], classes=ClassListChange(name, index, removed=True))

    def use_classes(self, names: Sequence[str]) -> list[str]:
        """Add the classes ``names`` that the session lacks, in order, but for those renamed
        away or removed (``ObjectRegistry.dropped``: a store reopened with the taxonomy it
        started with keeps the annotator's edits). The default class (``DEFAULT_CLASS``, a new
        store's) goes when it is not named and no object has it. The taxonomy a session starts
        with: not an undo step. Returns the names left out as dropped.

        Args:
            names: class names (``ValueError`` for an empty one: nothing changes).
        """
        names = [name.strip() for name in class_names(names)]
        if not all(names):
            raise ValueError("a class name cannot be empty")
        with self._lock:
            known, dropped = self.registry.classes, self.registry.dropped
            left_out = [name for name in dict.fromkeys(names) if name in dropped]
            for name in dict.fromkeys(names):
                if name not in known and name not in dropped:
                    self._change_objects(self.registry.add_class, name)
            unused = set(self.registry.classes) - {o.class_name for o in self.registry.objects}
            if names and DEFAULT_CLASS in unused and DEFAULT_CLASS not in names:
                self._change_objects(self.registry.remove_class, DEFAULT_CLASS, remember=False)
            return left_out

    def add_object(
        self,
        class_name: str | None = None,
        name: str | None = None,
        obj_id: int | None = None,
        *,
        with_next_edit: bool = False,
    ) -> ObjectInfo:
        """Add an object: an undoable step (its ID is not given again once undone).

        Args:
            class_name: its class (default: the first).
            name: its name (default: the class and the ID).
            obj_id: its ID (default: the next; ``ObjectRegistry.add_object``).
            with_next_edit: added for the next edit (a first click, a new label painted): if
                that edit is of this object, one undo takes back both.
        """
        with self._lock:
            info = self._change_objects(self.registry.add_object, class_name, name, obj_id)
            self.history.push([], added_objects=(info,), joins_next=with_next_edit)
            return info

    def import_objects(self, infos: Sequence[ObjectInfo], group: int | None = None) -> None:
        """Register objects under their own IDs and classes (labels imported from elsewhere):
        an undoable step, of undo group ``group`` (the import's frames)."""
        with self._lock:
            for info in infos:
                self._change_objects(self.registry.restore, info)
            if infos:
                self.history.push([], group=group, added_objects=tuple(infos))

    def rename_object(self, obj_id: int, name: str) -> ObjectInfo:
        """Rename the object (an undoable step; ``ValueError`` for an empty name)."""
        return self._object_step(self.registry.rename, obj_id, name)

    def set_object_class(self, obj_id: int, class_name: str) -> ObjectInfo:
        """Give the object another class of the session (an undoable step)."""
        return self._object_step(self.registry.set_class, obj_id, class_name)

    def _object_step(
        self, change: Callable[[int, str], ObjectInfo], obj_id: int, value: str
    ) -> ObjectInfo:
        """``change(obj_id, value)`` on the registry: an undo step when it changed the object."""
        with self._lock:
            before = self.registry.get(obj_id)
            after = self._change_objects(change, obj_id, value)
            if after != before:
                self.history.push([], renamed=((before, after),))
            return after

    def _change_objects(self, change: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``change(*args, **kwargs)`` on the object registry; the lists are written by the
        next commit."""
        with self._lock:
            self._refuse_closed()
            result = change(*args, **kwargs)
            self._mark_objects_changed()
            return result
