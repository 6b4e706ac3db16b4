"""The two layers the widget drives, "SkipClick prompts" (Points) and "SkipClick labels", kept in
step with the viewer: point edits reach the controller, session state is shown, the time
slider is the frame (`TimeSlider`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from typing import Any

import numpy as np
from napari.layers import Labels, Points
from napari.layers.base import ActionType

from .._layer_data import (
    CLASSES,
    OBJECTS,
    SAVED_IN,
    STATUSES,
    STORE,
    VIDEO,
    VIDEO_INFO,
    PaintedLabels,
    unwrapped,
)
from ..checks import click_inside
from ..colors import color_for
from ..io.video import VideoArray
from ..session.labels_ahead import LabelsAhead
from ..types import Click, FrameStatus, ObjectInfo, VideoInfo
from .display import VideoDisplay, shown_data
from .labels_keeping import keep_session_data, set_aside_unsaved
from .object_colormap import object_colormap
from .placement import PARTS, place, placement
from .prompt_points import PromptPoints
from .time_slider import TimeSlider

PROMPTS_LAYER = "SkipClick prompts"
LABELS_LAYER = "SkipClick labels"
#: point edits that change the clicks (not selection or highlight changes)
_EDITS = (ActionType.ADDED, ActionType.REMOVED, ActionType.CHANGED)


class AnnotationLayers:
    """Creates (or reuses) the prompts and labels layers over an image layer and keeps them in sync.

    The prompts layer is 2D ``(y, x)`` in the image's pixel coordinates and holds the clicks of
    the current frame and object; its ``positive`` feature is each click's sign. A user's edit
    of its points calls ``on_edit``; Ctrl/Cmd-click or a right click adds a point of the sign
    opposite to ``positive``; a click in the 3D view (no point) is told to ``say``. The labels
    layer shows object ID ``i`` in ``color_for(i)``.
    A lazy video's image layer shows it through a ``VideoDisplay`` while the layers are
    attached (napari's slicing then never decodes a frame on the GUI thread).
    """

    def __init__(
        self,
        viewer: Any,
        image_layer: Any,
        labels_data: Any,
        on_edit: Callable[[], None],
        positive: bool,
        say: Callable[[str], None],
    ) -> None:
        self.viewer = viewer
        self.image_layer = image_layer
        self.syncing = False
        self.positive = bool(positive)
        self.default_positive = self.positive
        self._on_edit = on_edit
        self._say = say
        self._painting: tuple[Callable[..., None], Callable[[int], None]] | None = None
        self._border_color: tuple[float, ...] | None = None
        self._derived_shown: list[bool] = []  # per point shown: derived by propagation
        self._colored: frozenset[int] | None = None  # the IDs the labels colormap colours
        self._recolouring = False  # napari re-announces the label to paint: nobody chose it
        self._to_top(image_layer)  # the video annotated, over another one opened since
        self._labels_data = labels_data
        self.labels = self._labels_layer(labels_data)
        self._keep_data = partial(keep_session_data, self.labels, labels_data)
        self.labels.events.data.connect(self._keep_data)
        info = image_layer.metadata.get(VIDEO_INFO)  # the video it shows, for napari's writer
        self.labels.metadata = {VIDEO: asdict(info)} if isinstance(info, VideoInfo) else {}
        side = max(labels_data.shape[1:])  # 1.2 % of it, at least 5 px (1/40 of a small frame)
        self.point_size = size = max(0.012 * side, min(5.0, side / 40))
        self.prompts = self._prompts_layer(size)
        self.prompts.events.data.connect(self._on_data)
        viewer.dims.events.ndisplay.connect(self._on_ndisplay)
        for part in PARTS:
            getattr(image_layer.events, part).connect(self._follow_image)
        self.prompts.mouse_drag_callbacks.insert(0, self._on_press)
        self.prompts.mouse_drag_callbacks.append(self._on_press_in_3d)
        self.set_sign(self.positive)
        viewer.layers.selection.active = self.prompts
        self.slider = TimeSlider(viewer, self.labels)
        if labels_data.shape[0] > 1:
            self.slider.label_frame_axis()
        self.display = self._display_video(unwrapped(image_layer))
        volume = getattr(labels_data, "volume", None)
        self.ahead = LabelsAhead(volume) if volume is not None and len(volume) > 1 else None
        self.frame_shown(self.slider.frame_on_screen())

    def _display_video(self, layer: Any) -> VideoDisplay | None:
        """Show the image layer's lazy video through a ``VideoDisplay`` (None: not a video)."""
        data = unwrapped(layer.data)
        video = shown_data(data)
        if not isinstance(video, VideoArray) or len(video) < 2:
            return None
        if isinstance(data, VideoDisplay):
            data.stop()
        display = VideoDisplay(video, lambda _t: layer.refresh(extent=False, highlight=False))
        layer.data = display
        return display

    def _labels_layer(self, data: Any) -> Any:
        layer = self._existing(LABELS_LAYER, Labels)
        if layer is None:
            return self.viewer.add_labels(
                data, name=LABELS_LAYER, opacity=0.6, **placement(self.image_layer, 3)
            )
        layer.data = data
        place(layer, self.image_layer, 3)
        layer.editable = True
        self._to_top(layer)  # over the image it annotates (it was under one opened later)
        return layer

    def _to_top(self, layer: Any) -> None:
        layers = self.viewer.layers
        layers.move(layers.index(layer), len(layers))

    def _prompts_layer(self, size: float) -> PromptPoints:
        layer = self._existing(PROMPTS_LAYER, Points)
        if layer is not None:
            self.viewer.layers.remove(layer)
        layer = PromptPoints(size, name=PROMPTS_LAYER, **placement(self.image_layer, 2))
        self.viewer.add_layer(layer)
        layer.mode = "add"
        return layer

    def _on_ndisplay(self, _event: Any = None) -> None:
        """Back in 2D, clicks add points again (napari's 3D view set the points to pan and zoom,
        and left them so)."""
        if self.viewer.dims.ndisplay == 2 and self.prompts.mode == "pan_zoom":
            self.prompts.mode = "add"

    def _existing(self, name: str, kind: type) -> Any:
        """A layer of an earlier session to use again; never a store the reader opened (it
        bears the same name: its paint not saved yet would be lost)."""
        for layer in self.viewer.layers:
            own = STORE not in layer.metadata
            if layer.name == name and isinstance(layer, kind) and own:
                return layer
        return None

    def _follow_image(self, _event: Any = None) -> None:
        """The image layer was scaled, moved, rotated or sheared: the labels and the clicks go
        with it (they stayed where it had been)."""
        place(self.labels, self.image_layer, 3)
        place(self.prompts, self.image_layer, 2)

    def detach(self) -> None:
        """Stop reporting point edits (the layers stay in the viewer); the image layer shows
        its video directly again."""
        self.viewer.dims.events.ndisplay.disconnect(self._on_ndisplay)
        for part in PARTS:
            getattr(self.image_layer.events, part).disconnect(self._follow_image)
        try:
            self.labels.events.data.disconnect(self._keep_data)
            self.prompts.events.data.disconnect(self._on_data)
            self.prompts.mouse_drag_callbacks.remove(self._on_press)
            self.prompts.mouse_drag_callbacks.remove(self._on_press_in_3d)
            if self._painting is not None:
                self.labels.events.paint.disconnect(self._painting[0])
                self.labels.events.selected_label.disconnect(self._on_label_chosen)
                self.labels.mouse_drag_callbacks.remove(self._on_labels_press)
        except (ValueError, RuntimeError):
            pass
        self._painting = None
        self.labels.editable = False  # no session takes a paint any more
        set_aside_unsaved(self.viewer, self.labels, self._labels_data)
        if isinstance(self._labels_data, PaintedLabels):  # written by code: into its own labels,
            self._labels_data.on_write = self._labels_data.volume.__setitem__  # not the next
        self.prompts.replace(np.empty((0, 2)), [], np.empty(0), None)  # the session's clicks
        if self.ahead is not None:
            self.ahead.stop()
        display, self.display = self.display, None
        if display is not None:
            display.stop()
            layer = unwrapped(self.image_layer)
            if unwrapped(layer.data) is display:
                layer.data = display.video

    def shows(self, data: Any) -> bool:
        """Whether the annotated image layer shows ``data`` (a video behind its display)."""
        data = unwrapped(data)
        own = unwrapped(unwrapped(self.image_layer).data)
        return data is own or data is shown_data(own)

    def holds(self, layer: Any) -> bool:
        """Whether ``layer`` is the annotated image or one of the two SkipClick layers."""
        layer = unwrapped(layer)
        return any(layer is unwrapped(own) for own in (self.prompts, self.labels, self.image_layer))

    # -- frames ----------------------------------------------------------------------------------

    def frame_shown(self, t: int) -> None:
        """Frame ``t`` is on screen: the labels of the next frames are read ahead."""
        if self.ahead is not None:
            self.ahead.shown(t)

    # -- prompts ---------------------------------------------------------------------------------

    def read_clicks(self) -> list[Click]:
        """The prompts layer's points as clicks in image pixels (row, column, sign)."""
        data = np.asarray(self.prompts.data, float).reshape(-1, 2)
        positive = self.prompts.features.get("positive", np.ones(len(data), bool))
        pairs = zip(data, positive, strict=True)
        return [Click(float(y), float(x), bool(p)) for (y, x), p in pairs]

    def _on_press(self, layer: Any, event: Any) -> None:
        """Ctrl/Cmd-click or right click adds a click of the opposite sign."""
        if layer.mode != "add":
            return
        if "Control" in event.modifiers or getattr(event, "button", 1) == 2:
            self.set_default_sign(not self.positive)

    def _on_press_in_3d(self, layer: Any, event: Any) -> Iterator[None]:
        """A click (a press let go where it was: a drag turns the view) in napari's 3D view
        adds no point: say that clicks need the 2D view."""
        if self.viewer.dims.ndisplay != 3:
            return
        moved = False
        yield
        while event.type == "mouse_move":
            moved = True
            yield
        if not moved:
            self._say("Clicks need the 2D view: switch back to 2D (the viewer's 2D/3D button)")

    def _on_data(self, event: Any) -> None:
        if self.syncing or event.action not in _EDITS:
            return
        if self.default_positive != self.positive:
            self.set_default_sign(self.positive)
        self._on_edit()

    def take_clicks(self) -> tuple[list[Click], list[Click]]:
        """The points as clicks inside the image, and those outside it (their points removed)."""
        clicks = self.read_clicks()
        shape = self.labels.data.shape[1:]
        outside = [i for i, c in enumerate(clicks) if not click_inside(c.y, c.x, shape)]
        if outside:
            self.remove_points(outside)
        inside = [c for i, c in enumerate(clicks) if i not in set(outside)]
        return inside, [clicks[i] for i in outside]

    def show_clicks(
        self, clicks: Sequence[Click], obj_id: int | None, derived: Sequence[Click] = ()
    ) -> None:
        """Replace the points by ``clicks`` (without triggering a decode), bordered in the colour
        of object ``obj_id``; those among ``derived`` (propagation's, each one click: not yours
        on its very spot) are drawn at a third of the size, so they neither hide a thin mask
        nor pass for your clicks."""
        color = None
        if obj_id is not None:
            color = (*(c / 255 for c in color_for(obj_id)), 1.0)
        unmatched, kinds = list(derived), []
        for c in clicks:
            kinds.append(c in unmatched)
            if kinds[-1]:
                unmatched.remove(c)
        same = list(clicks) == self.read_clicks() and kinds == self._derived_shown
        if same and color == self._border_color:
            return
        self.syncing = True
        try:
            coords = np.array([(c.y, c.x) for c in clicks], float).reshape(-1, 2)
            sizes = np.where(kinds, self.point_size / 3, self.point_size)
            self.prompts.replace(coords, [c.positive for c in clicks], sizes, color)
            self._derived_shown = kinds
            self.set_default_sign(self.default_positive)
            if color is not None:
                self._border_color = color
        finally:
            self.syncing = False

    def set_sign(self, positive: bool) -> None:
        """The sign of clicks from now on (a Ctrl/Cmd or right click takes the other one)."""
        self.positive = bool(positive)
        self.set_default_sign(positive)

    def set_default_sign(self, positive: bool) -> None:
        """Sign (hence colour) that the next added point gets."""
        self.default_positive = bool(positive)
        self.prompts.feature_defaults = {"positive": self.default_positive}

    def remove_points(self, indices: Sequence[int]) -> None:
        """Delete points by index without triggering a decode."""
        self.syncing = True
        try:
            self.prompts.remove_at([int(i) for i in indices])
        finally:
            self.syncing = False

    # -- labels ----------------------------------------------------------------------------------

    def note_objects(self, objects: Sequence[ObjectInfo], classes: Sequence[str]) -> None:
        """Keep the objects and classes in the labels layer's metadata, as the reader gives a
        store's layer: napari's writer (*Save Selected Layers*) saves them with the labels."""
        self.labels.metadata[OBJECTS] = [asdict(o) for o in objects]
        self.labels.metadata[CLASSES] = list(classes)

    def note_store(self, path: str | None) -> None:
        """Keep the store the session saves into in the labels layer's metadata: saved as a new
        store, frames it holds unchanged keep their clicks (``_writer``)."""
        if path is None:
            self.labels.metadata.pop(SAVED_IN, None)
        else:
            self.labels.metadata[SAVED_IN] = path

    def note_statuses(self, statuses: Mapping[int, FrameStatus]) -> None:
        """Keep the frame statuses in the labels layer's metadata too: *Save Selected Layers*
        writes each frame with its status (it wrote them all *clicked*)."""
        self.labels.metadata[STATUSES] = {t: status.value for t, status in statuses.items()}

    def set_objects(self, objects: Sequence[ObjectInfo]) -> None:
        """Colour each object's ID in the labels layer (ID ``i`` in ``color_for(i)``); the same
        IDs as before (a rename, a class change): nothing to do."""
        ids = frozenset(info.id for info in objects)
        if ids != self._colored:
            self._recolouring = True
            try:  # the label to paint is announced again: no object was chosen
                self.labels.colormap = object_colormap(ids)
            finally:
                self._recolouring = False
            self._colored = ids

    def follow_painting(
        self, on_stroke_end: Callable[..., None], on_label_chosen: Callable[[int], None]
    ) -> None:
        """Call ``on_stroke_end`` when a stroke painted on the labels layer ends (or the next
        press on it starts one), and ``on_label_chosen(label)`` when the label to paint with is
        chosen in its controls."""
        self._painting = (on_stroke_end, on_label_chosen)
        self.labels.events.paint.connect(on_stroke_end)
        self.labels.events.selected_label.connect(self._on_label_chosen)
        self.labels.mouse_drag_callbacks.insert(0, self._on_labels_press)

    def _on_labels_press(self, _layer: Any, _event: Any) -> None:
        """A press on the labels layer starts a new stroke: one whose end napari did not
        report (an aborted stroke emits no paint event) ends here."""
        if self._painting is not None:
            self._painting[0]()

    def _on_label_chosen(self, _event: Any = None) -> None:
        if self._painting is not None and not self._recolouring:
            self._painting[1](int(self.labels.selected_label))

    def paint_with(self, obj_id: int) -> None:
        """The label that the brush and fill of the labels layer paint: object ``obj_id``."""
        if self.labels.selected_label != obj_id:
            self.labels.selected_label = obj_id

    def refresh_labels(self) -> None:
        """Re-read the labels of the frame on screen (its extent and highlight stay)."""
        self.labels.refresh(extent=False, highlight=False)


def layers_in_use(viewer: Any, mine: AnnotationLayers | None) -> bool:
    """Whether the viewer's "SkipClick prompts" layer reports to another session's layers
    than ``mine`` (another widget's: starting here would take its layers from under it)."""
    for layer in viewer.layers:
        if layer.name != PROMPTS_LAYER:
            continue
        for callback in unwrapped(layer).mouse_drag_callbacks:
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, AnnotationLayers) and owner is not mine:
                return True
    return False
