"""``AnnotationController``: an ``AnnotationSession`` tied to the viewer, its layers and workers.

The controller owns no annotation state of its own: objects, clicks, labels, statuses and undo
live in the session. It turns prompt-layer edits into session edits (decoded in a worker),
follows the time slider, prefetches features and runs propagation in the background.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers.base import ActionType
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QObject, QTimer, Signal

from .._layer_data import layer_video_info
from ..engines.cache import FeatureCache
from ..session import AnnotationSession
from ..types import Click, ObjectInfo
from .edits import EditQueue
from .frame_actions import FrameActions
from .frames import layer_frames
from .layers import AnnotationLayers
from .workers import FeatureLoader

#: frames after the current one whose features are computed ahead
PREFETCH = 3
#: milliseconds after the last edit before changed frames are written to the store
AUTOSAVE_MS = 1500


class AnnotationController(FrameActions, QObject):
    """Drives one annotation session inside a napari viewer (GUI thread only)."""

    session_changed = Signal()
    objects_changed = Signal()
    current_object_changed = Signal()
    frame_changed = Signal(int)
    statuses_changed = Signal()
    #: masks or clicks changed on these frames (None: anywhere)
    annotations_changed = Signal(object)
    #: one-line state for the widget ("frame 3: computing features ...")
    message = Signal(str)
    busy_changed = Signal()
    mode_changed = Signal()

    def __init__(self, viewer: Any) -> None:
        super().__init__()
        self.viewer = viewer
        self.session: AnnotationSession | None = None
        #: features of every session of this viewer (a new store on the same video re-uses them)
        self.cache = FeatureCache()
        self.layers: AnnotationLayers | None = None
        self.current_object: int | None = None
        self.positive = True
        self.zoom = False
        self._override = False
        self.prefetch = PREFETCH
        self.last_message = ""
        self._frame = 0
        #: frames whose features were reported ready for the current engine (a hint: the cache
        #: may drop them, then the edit queue reports the frames it waits for)
        self._ready: set[int] = set()
        self._propagation = None
        self.loader = FeatureLoader()
        self.edits = EditQueue()
        self.loader.ready.connect(self._on_features_ready)
        self.loader.failed.connect(self._on_features_failed)
        self.loader.busy_changed.connect(lambda _: self.busy_changed.emit())
        self.edits.applied.connect(self._on_edit_applied)
        self.edits.failed.connect(self._on_edit_failed)
        self.edits.waiting.connect(self._on_edits_waiting)
        self.edits.busy_changed.connect(lambda _: self.busy_changed.emit())
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save)
        viewer.dims.events.current_step.connect(self._on_dims_changed)
        viewer.layers.events.removed.connect(self._on_layer_removed)

    # -- session life ----------------------------------------------------------------------------

    def start_session(
        self, image_layer: Any, engine: Any, *, store_path: str | None = None, cache: Any = None
    ) -> AnnotationSession:
        """Annotate ``image_layer`` with ``engine``; ``store_path`` autosaves to a zarr store.

        The previous session is saved and closed first. Raises the store's errors (another
        video, in use, not writable) and ``ValueError`` for an image layer it cannot use.
        """
        frames = layer_frames(image_layer)
        self.close_session()
        store = None
        if store_path:
            from ..io.store import AnnotationStore

            info = layer_video_info(image_layer, frames)
            store = AnnotationStore.open_or_create(store_path, info, engine_key=engine.key)
        if cache is not None:
            self.cache = cache
        try:
            session = AnnotationSession(frames, engine, store=store, cache=self.cache)
        except Exception:
            if store is not None:
                store.close()
            raise
        self.session = session
        self.loader.set_session(session)
        self.edits.set_session(session)
        self._ready.clear()
        self.layers = AnnotationLayers(self.viewer, image_layer, session.labels)
        self.layers.prompts.events.data.connect(self._on_prompts_changed)
        self.layers.prompts.mouse_drag_callbacks.insert(0, self._on_prompt_press)
        self.layers.set_default_sign(self.positive)
        self.layers.set_objects(session.objects)
        self.viewer.layers.selection.active = self.layers.prompts
        self.current_object = session.objects[0].id if session.objects else None
        self._frame = self._frame_on_screen()
        self._sync_prompts()
        self.session_changed.emit()
        self.objects_changed.emit()
        self.current_object_changed.emit()
        self.statuses_changed.emit()
        self.frame_changed.emit(self._frame)
        self._request_features(self._frame)
        where = f"saving to {store.path}" if store is not None else "not saved (no store chosen)"
        self._say(f"Annotating {session.n_frames} frame(s) with {engine.name}; {where}")
        return session

    def switch_engine(self, engine: Any) -> None:
        """Use ``engine`` from now on; work in flight for the previous engine is recomputed."""
        if self.session is None:
            return
        self.cancel_propagation()
        self.loader.set_session(None)
        self._ready.clear()
        self.session.set_engine(engine)
        self.loader.set_session(self.session)
        self._request_features(self._frame)
        self.edits.kick()
        self._say(f"Engine: {engine.name}")

    def use_cache(self, cache: FeatureCache) -> None:
        """Keep frame features in ``cache`` from now on (the running session too)."""
        self.cache = cache
        self._ready.clear()
        if self.session is not None:
            self.session.cache = cache

    def close_session(self) -> None:
        """Save, stop the workers and release the store (the layers stay in the viewer)."""
        if self.session is None:
            return
        run = self._propagation
        self.cancel_propagation()
        self.loader.set_session(None)
        self.edits.set_session(None)
        self.save()  # (no-op while a propagation runs: then saved when it ends, below)
        self._propagation = None
        if self.layers is not None:
            try:
                self.layers.prompts.events.data.disconnect(self._on_prompts_changed)
                self.layers.prompts.mouse_drag_callbacks.remove(self._on_prompt_press)
            except (ValueError, RuntimeError):
                pass
        session, store = self.session, self.session.store
        if store is not None and run is not None:
            run.finished.connect(lambda _cancelled: _save_and_close(session))
        elif store is not None:
            store.close()
        self.session = None
        self.layers = None
        self.current_object = None

    # -- state -----------------------------------------------------------------------------------

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def idle(self) -> bool:
        """No click waiting, no features being computed, no propagation running."""
        return not (self.edits.busy or self.loader.busy or self.propagating)

    def object_color(self, obj_id: int | None) -> np.ndarray | None:
        if self.session is None or obj_id is None:
            return None
        return np.r_[np.asarray(self.session.object(obj_id).color, np.float32) / 255.0, 1.0]

    def clicks(self, t: int, obj_id: int) -> list[Click]:
        """The object's clicks on frame ``t``, including ones still waiting to be decoded."""
        pending = self.edits.pending(t, obj_id)
        if pending is not None:
            return pending
        return self.session.clicks(t, obj_id) if self.session is not None else []

    def go_to_frame(self, t: int) -> None:
        if self.session is None:
            return
        t = int(np.clip(t, 0, self.session.n_frames - 1))
        axis = self.viewer.dims.ndim - 3
        if axis >= 0:
            self.viewer.dims.set_current_step(axis, t)

    def _frame_on_screen(self) -> int:
        if self.layers is None or self.session is None or self.session.n_frames == 1:
            return 0
        data_point = self.layers.labels.world_to_data(self.viewer.dims.point)
        return int(np.clip(round(float(data_point[0])), 0, self.session.n_frames - 1))

    # -- objects and classes ---------------------------------------------------------------------

    def add_object(self, class_name: str | None = None, name: str | None = None) -> ObjectInfo:
        info = self._need_session().add_object(class_name, name)
        self.layers.set_objects(self.session.objects)
        self.objects_changed.emit()
        self.select_object(info.id)
        return info

    def select_object(self, obj_id: int | None) -> None:
        if obj_id == self.current_object:
            return
        self.current_object = obj_id
        self._sync_prompts()
        self.current_object_changed.emit()

    def next_object(self, step: int = 1) -> None:
        if self.session is None or not self.session.objects:
            return
        ids = [o.id for o in self.session.objects]
        index = ids.index(self.current_object) if self.current_object in ids else -step
        self.select_object(ids[(index + step) % len(ids)])

    def rename_object(self, obj_id: int, name: str) -> None:
        self._need_session().rename_object(obj_id, name)
        self.objects_changed.emit()

    def set_object_class(self, obj_id: int, class_name: str) -> None:
        self._need_session().set_object_class(obj_id, class_name)
        self.objects_changed.emit()

    def add_class(self, name: str) -> None:
        self._need_session().add_class(name)
        self.objects_changed.emit()

    def delete_object(self, obj_id: int) -> None:
        if self._refuse_while_propagating("delete an object"):
            return
        self.edits.discard(obj_id=obj_id)
        self._need_session().delete_object(obj_id)
        if self.current_object == obj_id:
            self.current_object = None
        self._after_history_change(None)

    # -- clicks ----------------------------------------------------------------------------------

    def toggle_sign(self) -> None:
        """Switch the sign that the next clicks get (positive <-> negative)."""
        self.positive = not self.positive
        if self.layers is not None:
            self.layers.set_default_sign(self.positive)
        self.mode_changed.emit()
        self._say(f"Next clicks are {'positive' if self.positive else 'negative'}")

    def _on_prompt_press(self, layer: Any, event: Any) -> None:
        """Ctrl/Cmd-click or right click adds a click of the opposite sign."""
        if self.layers is None or layer.mode != "add":
            return
        if "Control" in event.modifiers or getattr(event, "button", 1) == 2:
            self.layers.set_default_sign(not self.positive)

    def _on_prompts_changed(self, event: Any) -> None:
        if self.layers is None or self.layers.syncing:
            return
        if event.action not in (ActionType.ADDED, ActionType.REMOVED, ActionType.CHANGED):
            return
        if self.layers.default_positive != self.positive:
            self.layers.set_default_sign(self.positive)
        if self._refuse_while_propagating("edit clicks"):
            self._sync_prompts()
            return
        if self.current_object is None:
            info = self.session.add_object()
            self.current_object = info.id
            self.layers.set_objects(self.session.objects)
            self.objects_changed.emit()
            self.current_object_changed.emit()
        self._submit_layer_clicks()

    def _submit_layer_clicks(self) -> None:
        clicks = self.layers.read_clicks()
        height, width = self.session.frame_shape
        outside = [
            i
            for i, c in enumerate(clicks)
            if not (0 <= c.y <= height - 1 and 0 <= c.x <= width - 1)
        ]
        if outside:
            self.layers.remove_points(outside)
            where = ", ".join(f"(y={clicks[i].y:.0f}, x={clicks[i].x:.0f})" for i in outside)
            self._warn(f"Ignored click outside the {height}x{width} image: {where}")
            clicks = [c for i, c in enumerate(clicks) if i not in set(outside)]
        if outside and clicks == self.clicks(self._frame, self.current_object):
            return
        self.submit_clicks(self._frame, self.current_object, clicks, zoom=self.zoom)

    @property
    def override(self) -> bool:
        """Whether new masks may take pixels that other objects own (else earlier ones win)."""
        return self._override

    @override.setter
    def override(self, value: bool) -> None:
        self._override = bool(value)
        self.mode_changed.emit()

    def submit_clicks(self, t: int, obj_id: int, clicks: list[Click], zoom: bool = False) -> None:
        """Make ``clicks`` the object's clicks on frame ``t`` (decoded when features are ready)."""
        ready = zoom or t in self._ready
        self._say(f"Frame {t}: decoding ..." if ready else f"Frame {t}: waiting for features ...")
        self.edits.submit(t, obj_id, clicks, zoom=zoom, override=self._override)
        if not ready:
            self.loader.request([t])

    def toggle_zoom(self) -> None:
        """Switch zoom mode: clicks are decoded in a crop around the object (small objects)."""
        self.zoom = not self.zoom
        self.mode_changed.emit()
        self._say(f"Zoom mode {'on' if self.zoom else 'off'}")
        if self.zoom:
            self.refine_zoom()

    def refine_zoom(self) -> None:
        """Re-decode the current object's clicks on this frame in a crop around it."""
        if self.session is None or self.current_object is None:
            return
        if self._refuse_while_propagating("refine"):
            return
        clicks = self.clicks(self._frame, self.current_object)
        if clicks:
            self.submit_clicks(self._frame, self.current_object, clicks, zoom=True)

    def _on_edit_applied(self, result: Any) -> None:
        if result.message:
            self._warn(result.message.capitalize())
        if result.frame == self._frame and result.obj_id == self.current_object:
            self._sync_prompts()
        self.layers.refresh_labels()
        self.statuses_changed.emit()
        self.annotations_changed.emit([result.frame])
        self._autosave.start()
        self._say(f"Frame {result.frame}: object {result.obj_id} updated")

    def _on_edit_failed(self, t: int, obj_id: int, error: str) -> None:
        self._error(f"Frame {t}, object {obj_id}: {error}")
        if t == self._frame and obj_id == self.current_object:
            self._sync_prompts()

    # -- frames and features ---------------------------------------------------------------------

    def _on_dims_changed(self, _event: Any = None) -> None:
        if self.session is None or self.layers is None:
            return
        t = self._frame_on_screen()
        if t == self._frame:
            return
        self._frame = t
        if not self.propagating:
            self.save()
        self._sync_prompts()
        self.frame_changed.emit(t)
        self._request_features(t)

    def _request_features(self, t: int) -> None:
        if self.session is None or self.propagating:
            return
        wanted = [t, *self.edits.waiting_frames(), *range(t + 1, t + 1 + self.prefetch)]
        self.loader.request([f for f in wanted if f not in self._ready])

    def _on_features_ready(self, t: int) -> None:
        self._ready.add(t)
        self.edits.kick()
        if t == self._frame:
            self._say(f"Frame {t}: features ready")

    def _on_edits_waiting(self, frames: list[int]) -> None:
        self._ready.difference_update(frames)
        self.loader.request(frames)

    def _on_features_failed(self, t: int, error: str) -> None:
        self._error(f"Frame {t}: computing features failed: {error}")
        self.edits.discard(t=t)
        if t == self._frame:
            self._sync_prompts()

    def _sync_prompts(self) -> None:
        if self.layers is None or self.session is None:
            return
        obj = self.current_object
        clicks = self.clicks(self._frame, obj) if obj is not None else []
        self.layers.show_clicks(clicks, self.object_color(obj))

    # -- helpers ---------------------------------------------------------------------------------

    def _need_session(self) -> AnnotationSession:
        if self.session is None:
            raise RuntimeError("start a session first (choose an image layer and press Start)")
        return self.session

    def _on_layer_removed(self, event: Any) -> None:
        if self.layers is not None and event.value in (self.layers.prompts, self.layers.labels):
            self._warn("A SkipClick layer was removed: press Start to annotate again")
            self.close_session()
            self.session_changed.emit()

    def _say(self, text: str) -> None:
        self.last_message = text
        self.message.emit(text)

    def _warn(self, text: str) -> None:
        self._say(text)
        show_warning(text)

    def _error(self, text: str) -> None:
        self._say(text)
        show_error(text)


def _save_and_close(session: AnnotationSession) -> None:
    """Commit what a closed session still holds (after its propagation ended); close its store."""
    try:
        session.commit_all()
    except Exception as exc:
        show_error(f"Saving failed while closing the annotation session: {exc}")
    finally:
        session.store.close()
