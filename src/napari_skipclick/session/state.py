"""Objects and classes of a session (each object ID's colour: ``colors.color_for``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import chain, islice
from typing import Any

from ..checks import MAX_OBJECT_ID
from ..colors import COLORS, color_for
from ..types import ObjectInfo

__all__ = ["COLORS", "ObjectRegistry", "color_for", "within_limit"]


def class_names(classes: str | Iterable[str]) -> list[str]:
    """Class names as a list; one string is one name (``"skier"``, not five letters)."""
    return [classes] if isinstance(classes, str) else list(classes)


def within_limit(obj_id: int) -> int:
    """``obj_id`` if an object may have it (napari draws it: ``MAX_OBJECT_ID``); ``ValueError``
    naming it and the limit."""
    if obj_id > MAX_OBJECT_ID:
        raise ValueError(f"ID {obj_id} is above {MAX_OBJECT_ID}, the largest object ID")
    return obj_id


class ObjectRegistry:
    """The objects (stable IDs), the editable list of class names and the names that left it
    (``dropped``).

    A new object gets the ID above every ID given so far; once that would pass
    ``MAX_OBJECT_ID`` (an object 65535 imported or painted), the smallest ID no object of
    this session has had, so that an object deleted here comes back under its own ID."""

    def __init__(
        self,
        objects: Iterable[ObjectInfo] = (),
        classes: str | Iterable[str] = (),
        next_id: int = 1,
        dropped: Iterable[str] = (),
    ) -> None:
        self._objects: dict[int, ObjectInfo] = {}
        self._classes: list[str] = []
        self._dropped = list(dict.fromkeys(dropped))
        for name in class_names(classes):
            self.add_class(name)
        for info in objects:
            self._enter(info.class_name)
            self._objects[within_limit(info.id)] = info
        self._next_id = max(max(self._objects, default=0) + 1, int(next_id))
        #: every ID an object of this session has had (deleted ones' too)
        self._given: set[int] = set(self._objects)

    @property
    def objects(self) -> list[ObjectInfo]:
        """All objects in ID order."""
        return [self._objects[i] for i in sorted(self._objects)]

    @property
    def classes(self) -> list[str]:
        return list(self._classes)

    @property
    def dropped(self) -> list[str]:
        """Class names renamed away or removed (and not back since), oldest first: a taxonomy
        given again (``AnnotationSession.use_classes``) does not add them back."""
        return list(self._dropped)

    def __contains__(self, obj_id: int) -> bool:
        return obj_id in self._objects

    def get(self, obj_id: int) -> ObjectInfo:
        """The object with this ID; ``KeyError`` with a clear message if there is none."""
        try:
            return self._objects[obj_id]
        except KeyError:
            raise KeyError(f"no object with ID {obj_id}") from None

    def add_class(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a class name cannot be empty")
        if name in self._classes:
            raise ValueError(f"class {name!r} already exists")
        self._enter(name)

    def rename_class(self, name: str, new_name: str) -> list[ObjectInfo]:
        """Rename class ``name`` in place (its position stays); its objects follow. Returns
        them, renamed."""
        self._check_class(name)
        new_name = new_name.strip()
        if not new_name:
            raise ValueError("a class name cannot be empty")
        if new_name != name and new_name in self._classes:
            raise ValueError(f"class {new_name!r} already exists")
        if new_name != name:
            self._classes[self._classes.index(name)] = new_name
            self._dropped = [*(n for n in self._dropped if n not in (name, new_name)), name]
        for obj_id, info in self._objects.items():
            if info.class_name == name:
                self._objects[obj_id] = replace(info, class_name=new_name)
        return [info for info in self.objects if info.class_name == new_name]

    def insert_class(self, name: str, index: int) -> None:
        """Put the class ``name`` back at place ``index`` (undo and redo); nothing if it is
        there."""
        if name not in self._classes:
            self._classes.insert(max(index, 0), name)
            self._dropped = [n for n in self._dropped if n != name]

    def drop_class(self, name: str) -> None:
        """Take out the class ``name`` (undo and redo) unless an object has it or it is the
        last."""
        used = any(o.class_name == name for o in self._objects.values())
        if name in self._classes and not used and len(self._classes) > 1:
            self._leave(name)

    def remove_class(self, name: str, *, remember: bool = True) -> None:
        """Remove class ``name``, which no object may have, and not the last class;
        ``remember``: note it in ``dropped``."""
        self._check_class(name)
        users = [info.name for info in self.objects if info.class_name == name]
        if users:
            shown = ", ".join(users[:3]) + (" …" if len(users) > 3 else "")
            raise ValueError(
                f"class {name!r} is the class of {len(users)} object(s) ({shown}): give them "
                "another class first"
            )
        if len(self._classes) == 1:
            raise ValueError("the last class cannot be removed: add another one first")
        if remember:
            self._leave(name)
        else:
            self._classes.remove(name)

    @property
    def next_id(self) -> int:
        """One above every ID given so far (the store keeps it)."""
        return self._next_id

    def new_id(self) -> int:
        """The ID the next object gets: ``next_id`` up to ``MAX_OBJECT_ID``, then the smallest
        ID not given in this session; ``ValueError`` when every ID is taken."""
        return self.new_ids(1)[0]

    def new_ids(self, count: int, besides: Iterable[int] = ()) -> list[int]:
        """``count`` IDs for new objects by ``new_id``'s rule, none of ``besides`` (IDs about to
        be used) and above all of them while that stays within ``MAX_OBJECT_ID``;
        ``ValueError`` when too few are free."""
        besides = set(besides)
        start = max([self._next_id, *(i + 1 for i in besides)])
        below = (i for i in range(1, start) if not self.was_given(i) and i not in besides)
        ids = list(islice(chain(range(start, MAX_OBJECT_ID + 1), below), count))
        if len(ids) < count:
            raise ValueError(
                f"all {MAX_OBJECT_ID} object IDs are taken (deleted objects keep theirs until "
                "the session is closed): delete objects, close and reopen the store"
            )
        return ids

    def was_given(self, obj_id: int) -> bool:
        """Whether an object of this session has had ``obj_id`` (a deleted one keeps it): any
        ID below ``next_id`` while that is within ``MAX_OBJECT_ID``, then the IDs given in
        this session."""
        return obj_id in self._given or (self._next_id <= MAX_OBJECT_ID and obj_id < self._next_id)

    def add_object(
        self, class_name: str | None = None, name: str | None = None, obj_id: int | None = None
    ) -> ObjectInfo:
        """Create an object; the class must exist (default: the first).

        Args:
            class_name: its class (default: the first class).
            name: its name (default: the class and the ID).
            obj_id: its ID (default: ``new_id``); an ID given before (``was_given``: an
                object deleted may come back with undo) raises ``ValueError``.
        """
        if class_name is None:
            if not self._classes:
                raise ValueError("add a class before adding objects")
            class_name = self._classes[0]
        self._check_class(class_name)
        obj_id = self.new_id() if obj_id is None else self._checked_id(int(obj_id))
        self._next_id = max(self._next_id, obj_id + 1)
        self._given.add(obj_id)
        info = ObjectInfo(obj_id, name or f"{class_name} {obj_id}", class_name, color_for(obj_id))
        self._objects[obj_id] = info
        return info

    def rename(self, obj_id: int, name: str) -> ObjectInfo:
        if not name.strip():
            raise ValueError("an object name cannot be empty")
        info = self._objects[obj_id] = replace(self.get(obj_id), name=name.strip())
        return info

    def set_class(self, obj_id: int, class_name: str) -> ObjectInfo:
        self._check_class(class_name)
        info = self._objects[obj_id] = replace(self.get(obj_id), class_name=class_name)
        return info

    def remove(self, obj_id: int) -> ObjectInfo:
        return self._objects.pop(self.get(obj_id).id)

    def restore(self, info: ObjectInfo) -> None:
        """Put back a removed object under its own ID (undo; an object a store's frames hold
        that its list lacks); ``ValueError`` for an ID above ``MAX_OBJECT_ID``."""
        within_limit(info.id)
        self._enter(info.class_name)
        self._objects[info.id] = info
        self._next_id = max(self._next_id, info.id + 1)
        self._given.add(info.id)

    def _checked_id(self, obj_id: int) -> int:
        """``obj_id`` if a new object may have it; ``ValueError`` saying why not."""
        if obj_id < 1:
            raise ValueError(f"object IDs start at 1 (0 is the background), not {obj_id}")
        if self.was_given(obj_id):
            raise ValueError(f"ID {obj_id} was given before (an object deleted keeps its ID)")
        return within_limit(obj_id)

    def _enter(self, name: str) -> None:
        """Put the class ``name`` at the end of the list, if it is not there, back from
        ``dropped``."""
        if name not in self._classes:
            self._classes.append(name)
            self._dropped = [n for n in self._dropped if n != name]

    def _leave(self, name: str) -> None:
        """Take the class ``name`` out of the list and note it in ``dropped``."""
        self._classes.remove(name)
        self._dropped = [*(n for n in self._dropped if n != name), name]

    def _check_class(self, class_name: str) -> None:
        if class_name not in self._classes:
            raise ValueError(f"unknown class {class_name!r}; add it first")


def stored_registry(store: Any, classes: Sequence[str]) -> tuple[ObjectRegistry, str]:
    """The store's objects and classes, and what was repaired: a damaged object list (a
    truncated ``objects.json``, kept as ``objects.json.damaged`` when the list is written
    again) starts empty; the session lists the objects its frames hold again."""
    try:
        objects, names = store.objects(), store.classes() or classes
        dropped = store.dropped_classes()
        return ObjectRegistry(objects, names, store.next_object_id(), dropped), ""
    except Exception as exc:  # StoreCorruptError (the session does not import io)
        note = f"the object list was damaged ({exc}): its objects are listed again, unnamed"
        return ObjectRegistry((), classes), note
