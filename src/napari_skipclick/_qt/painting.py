"""Painting by hand on the "SkipClick labels" layer: napari's brush, eraser, fill and polygon
become session edits (``AnnotationSession.paint_at``).

napari writes a stroke into its layer's data one dab at a time (``data[key] = region``) and
emits ``events.paint`` when the stroke ends. The layer's data is a ``PaintedLabels``
(``_layer_data``): it reads the session's labels (each frame as a copy napari may draw into)
and hands every write to the controller, which makes it a session edit in the stroke's undo
group, so that one Ctrl+Z takes back the whole stroke; the frame becomes *clicked* and is saved
as any edit is. A write that cannot be one (a deleted object's label, a background job writing,
a frame whose click waits for its mask) changes nothing: the frame is shown again as it is, and
the status line says why, once a stroke (napari writes a stroke in dabs: it warned once a dab);
the rest of a refused stroke is refused too. The brush paints the current object: choosing an
object sets the layer's label, and choosing an object's label in the layer's controls makes it
the current object; painting with a label no object has had adds that object."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..types import ObjectInfo


class ControllerPainting:
    """Painting by hand in the ``AnnotationController`` (a mixin)."""

    session: Any
    layers: Any
    saving: Any
    edits: Any
    current_object: int | None
    source: Any  # FrameSource
    #: the undo group of the stroke being painted (None: between strokes)
    _stroke: int | None = None
    #: the frames the stroke being painted changed, shown in the widget when it ends
    _painted: set[int]
    #: the object the stroke being painted added for its new label, if any
    _added: ObjectInfo | None = None
    #: whether the stroke being painted was refused (its later dabs are, without a word)
    _refused: bool = False

    def _attach_painting(self) -> None:
        """Follow painting on the new session's labels layer."""
        self._stroke, self._painted, self._added, self._refused = None, set(), None, False
        self.layers.follow_painting(self._on_stroke_end, self._on_paint_label_chosen)

    def _on_labels_written(self, key: Any, value: Any) -> None:
        """napari painted into the labels layer: make it a session edit, or show the frame
        as it is when it cannot be one."""
        if self.session is None or self.layers is None:
            return
        if self._refused or self._refuse_while_busy("paint"):
            self._refused = True
            self.layers.refresh_labels()
            return
        session = self.session
        frames: list[int] = []
        try:
            waiting = set(self.edits.waiting_frames()) & set(session.labels.frames_of(key))
            if waiting:  # its mask, decoded later, would replace the paint
                raise ValueError(
                    f"a click on frame {min(waiting)} waits for its mask: paint once it shows"
                )
            self._add_object_for_new_label(value)
            if self._stroke is None:
                self._stroke = session.history.new_group()
            frames = session.paint_at(key, value, group=self._stroke)
        except (ValueError, IndexError) as exc:
            self._refused = True
            self._warn(f"Not painted: {exc}")
            self.layers.refresh_labels()  # napari shows the dab it drew: show the frame as it is
        if frames:
            self._painted.update(frames)
            self.saving.schedule()  # at once: the save line never calls a painted frame saved

    def _add_object_for_new_label(self, value: Any) -> None:
        """Painting with a label chosen in the layer's controls that no object of the session
        has had (``ObjectRegistry.was_given``) adds an object with that ID (as painting a new
        label makes a new segment in napari); a label of a deleted object stays refused."""
        label = int(self.layers.labels.selected_label)
        if self.session.registry.was_given(label) or not np.any(np.asarray(value) == label):
            return
        self._added = self.add_object(obj_id=label, with_next_edit=True)  # undone with it

    def _on_stroke_end(self, _event: Any = None) -> None:
        """A stroke ended: the next one is an undo step of its own, and the frame strip and
        the objects' frames show what it painted (once a stroke, not once a dab: reading a
        1080p frame's IDs again takes 5 ms)."""
        stroke, self._stroke, self._refused = self._stroke, None, False
        if stroke is not None and self.session is not None:
            self.session.end_stroke(stroke)  # one patch per frame for its undo
        frames, self._painted = sorted(self._painted), set()
        added, self._added = self._added, None
        if frames:
            self.statuses_changed.emit()
            self.annotations_changed.emit(frames)
            named = self.source.named(frames[0])
            self._say(f"{named}: painted by hand (undo: Ctrl+Z)", frame=frames[0])
        if added is not None:
            self._say(
                f"Added object {added.id} ({added.class_name}) for the label you painted with: "
                "name it and choose its class in the Objects panel"
            )

    def _paint_with_current(self) -> None:
        """The brush paints the current object."""
        if self.layers is not None and self.current_object is not None:
            self.layers.paint_with(self.current_object)

    def _on_paint_label_chosen(self, label: int) -> None:
        """An object's label chosen in the labels layer's controls makes it current."""
        if self.session is None or label == self.current_object:
            return
        if label in self.session.registry:
            self.select_object(label)
