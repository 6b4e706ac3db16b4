"""``AnnotationController``: an ``AnnotationSession`` tied to the viewer, its layers and workers.

The controller owns no annotation state of its own: objects, clicks, labels, statuses and undo
live in the session, and the layers (``layers.AnnotationLayers``) show them. It turns point
edits into session edits (decoded in a worker), follows the time slider, prefetches features,
undoes, accepts and saves frames (through ``saving.Autosave``: never on the GUI thread), runs
propagation in the background, and makes painting on the labels layer session edits too.
"""

from __future__ import annotations

from typing import Any

from napari.utils.notifications import show_warning
from qtpy.QtCore import QObject, Qt, QTimer, Signal

from .._layer_data import PaintedLabels, release_layer_data
from ..checks import LAYER_DTYPE
from ..engines.base import Engine
from ..engines.cache import FeatureCache
from ..io.store import interrupted_import
from ..session import AnnotationSession, EditResult
from ..session.review_stops import runs_on
from ..types import Click, FrameStatus
from .clicking import CLOSE_WAIT_S, ControllerClicks
from .contrast import ContrastFollowing
from .feature_loader import FeatureLoader
from .frame_following import ControllerFrames
from .frame_source import FrameSource
from .frames import layer_frames, open_in_place_of
from .layers import AnnotationLayers, layers_in_use
from .messages import ControllerMessages
from .object_edits import ControllerObjects
from .painting import ControllerPainting
from .propagating import ControllerPropagation
from .saving import Autosave, SaveState, StoreWriter
from .undoing import ControllerHistory
from .unsaved import UnsavedHandler, save_for_close
from .workers import EditQueue, PropagationRun

#: frames after the current one whose features are computed ahead
PREFETCH = 3

#: what a session ended by a removed layer says
LAYER_REMOVED = "A layer of the session was removed: press Start to annotate again"


class AnnotationController(
    ControllerClicks,
    ControllerObjects,
    ControllerHistory,
    ControllerPropagation,
    ControllerPainting,
    ControllerFrames,
    ControllerMessages,
    QObject,
):
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
    #: a ``saving.SaveState``: frames pending, saving, saved, or why saving failed
    save_state_changed = Signal(object)
    #: the session is about to close (work that holds the store, e.g. an export, stops)
    closing = Signal()
    #: a frame whose saved labels are damaged was read (from any thread): frame, why
    frame_unreadable = Signal(int, str, str)
    #: the disk cache folder refuses writes (from any thread): why
    disk_cache_refused = Signal(str)

    def __init__(self, viewer: Any) -> None:
        super().__init__()
        self.viewer = viewer
        self.session: AnnotationSession | None = None
        #: features of every session of this viewer (a new store on the same video re-uses them)
        self.cache = FeatureCache()
        self.layers: AnnotationLayers | None = None
        self.current_object: int | None = None
        #: a video's frames or separate photos (the layer's ``metadata["photos"]``)
        self.source = FrameSource()
        #: object -> the object current when it was added (current again if an undo takes it out)
        self.current_before: dict[int, int | None] = {}
        self._failures_told: set[tuple[int, str]] = set()  # ControllerFrames
        self.positive = True
        self.zoom = False
        self._override = False
        self.prefetch = PREFETCH
        self.last_message, self._passing, self._said_about = "", True, None
        self._frame = 0
        self._propagation: PropagationRun | None = None
        self.loader = FeatureLoader()
        self.edits = EditQueue()
        self.contrast = ContrastFollowing(self)
        self.loader.ready.connect(self._on_features_ready)
        self.loader.failed.connect(self._on_features_failed)
        self.loader.busy_changed.connect(lambda _: self.busy_changed.emit())
        self.edits.applied.connect(self._on_edit_applied)
        self.edits.failed.connect(self._on_edit_failed)
        self.edits.waiting.connect(self.loader.refetch)
        self.edits.busy_changed.connect(lambda _: self.busy_changed.emit())
        self.saving = Autosave(self, self.edits)
        self.saving.state_changed.connect(self.save_state_changed)
        self.saving.failed.connect(self._on_save_failed)
        #: asked when closing cannot save everything (the widget's dialog); None: raise
        self.unsaved_handler: UnsavedHandler | None = None
        self.objects_changed.connect(self._objects_noted)
        queued = Qt.ConnectionType.QueuedConnection  # told once the reader let go of its lock
        self.frame_unreadable.connect(self._on_frame_unreadable, queued)
        self.disk_cache_refused.connect(self._on_disk_cache_refused)
        self.statuses_changed.connect(self._statuses_noted)
        self.session_changed.connect(self.current_before.clear)
        self.session_changed.connect(self._failures_told.clear)
        self.current_object_changed.connect(self._paint_with_current)
        viewer.dims.events.current_step.connect(self._on_dims_changed)
        viewer.layers.events.removed.connect(self._on_layer_removed)

    # -- session life ----------------------------------------------------------------------------

    def start_session(
        self,
        image_layer: Any,
        engine: Engine,
        *,
        store_path: str | None = None,
        cache: FeatureCache | None = None,
        photos: bool | None = None,
    ) -> AnnotationSession:
        """Annotate ``image_layer`` with ``engine``; ``store_path`` autosaves to a zarr store;
        ``photos``: a folder's images as separate photos (None: as the layer says).

        The previous session is saved and closed once the new one is open. Raises the store's
        errors (another video, in use, not writable: the previous session goes on) and
        ``ValueError`` for an image layer it cannot use, or while another widget's session
        holds the viewer's SkipClick layers.
        """
        if layers_in_use(self.viewer, self.layers):
            raise ValueError("another SkipClick widget annotates in this viewer: close it first")
        frames = layer_frames(image_layer)
        source = FrameSource.of_layer(image_layer, photos)
        if cache is not None:
            self.cache = cache
        self.session = session = open_in_place_of(
            self.session, self.close_session, image_layer, frames, engine, store_path, self.cache
        )
        self.source = source = source.kept_by(session.store)
        self.saving.set_session(session)
        self.loader.set_session(session)
        self.edits.set_session(session)
        session.labels.unreadable.on_unreadable = self.frame_unreadable.emit
        labels = PaintedLabels(session.labels, self._on_labels_written, LAYER_DTYPE)
        self.layers = AnnotationLayers(
            self.viewer, image_layer, labels, self._on_clicks_edited, self.positive, self._say
        )
        if source.photos:
            self.layers.slider.label_frame_axis(source.word)
        self._attach_painting()
        self.contrast.follow(image_layer, frames)
        self.layers.set_objects(session.objects)
        self.current_object = session.objects[0].id if session.objects else None
        self._frame = self.layers.slider.frame_on_screen()
        self._sync_prompts()
        self.session_changed.emit()
        self.objects_changed.emit()
        self.current_object_changed.emit()
        self.statuses_changed.emit()
        self.frame_changed.emit(self._frame)
        self._request_features(self._frame)
        store = session.store
        self.layers.note_store(str(store.path) if store is not None else None)
        where = f"saving to {store.path}" if store is not None else "not saved (no store chosen)"
        notes = [f"; repaired: {', '.join(session.repaired)}"] if session.repaired else []
        notes += [f"; {news}" for news in (store.taken_in if store is not None else [])]
        cut_short = interrupted_import(store.path) if store is not None else None
        notes += [f"; {cut_short}"] if cut_short else []
        unfinished = session.unfinished_deletions  # a crash cut their deletion short
        notes += [
            f"; finishing the deletion of object {i} (a crash cut it short)" for i in unfinished
        ]
        text = f"Annotating {session.n_frames} {source.word}(s) with {engine.name}; {where}"
        self._say(text + "".join(notes), passing=not notes)
        if unfinished:
            self.delete_objects(unfinished)
        return session

    def switch_engine(self, engine: Engine) -> None:
        """Use ``engine`` from now on; work in flight for the previous engine is recomputed."""
        if self.session is None:
            return
        self.cancel_propagation()
        self.contrast.apply()  # Apply reads the layer's contrast limits again
        self.loader.set_session(None)
        self.session.set_engine(engine)
        self.loader.set_session(self.session)
        self._request_features(self._frame)
        self.edits.kick()
        self._say(f"Engine: {engine.name}")

    def release_viewer(self) -> None:
        """Stop following the viewer's slider and layers (the widget is gone: a closed dock's
        controller took a later session's layer removals for its own)."""
        viewer = self.viewer
        for event, handler in (
            (viewer.dims.events.current_step, self._on_dims_changed),
            (viewer.layers.events.removed, self._on_layer_removed),
        ):
            event.disconnect(handler)

    def use_cache(self, cache: FeatureCache) -> None:
        """Keep frame features in ``cache`` from now on (the running session too); a disk
        folder that refuses writes is said once, and the cache goes on in memory."""
        cache.on_disk_error = lambda error: self.disk_cache_refused.emit(str(error))
        cache.check_disk()
        self.cache = cache
        self.loader.ready_frames.clear()
        if self.session is not None:
            self.session.cache = cache

    def close_session(self) -> None:
        """Stop the workers, write everything, release the store (the layers stay), and tell
        ``session_changed``: the dock shows that no session runs, whoever closed it.

        When saving fails, ``unsaved_handler`` chooses: retry, another store, or discard.
        Without a handler it raises ``UnsavedChangesError`` and the session stays open.
        """
        if self.session is None:
            return
        self.closing.emit()
        self.stop_propagation()
        self.stop_background_edit()
        self.finish_waiting_clicks()
        # a decode or a frame's features still computing when Python exits emits into signals
        # deleted by then ("RuntimeError in aborted thread"): they end with the session
        self.edits.stop(CLOSE_WAIT_S)
        self.loader.stop(CLOSE_WAIT_S)
        session = self.session
        save_for_close(session, self.writer, self.unsaved_handler)
        self.loader.set_session(None)
        self.edits.set_session(None)
        self.contrast.stop()
        if self.layers is not None:
            self.layers.detach()
        if session.store is not None:
            self.writer.submit(session.store.close).result()
        self.session = None
        self.layers = None
        self.current_object = None
        self.source = FrameSource()
        self.saving.set_session(None)
        self.session_changed.emit()

    # -- state -----------------------------------------------------------------------------------

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def writer(self) -> StoreWriter:
        """The one thread that writes to the store (saves and exports, in order)."""
        return self.saving.writer

    @property
    def save_state(self) -> SaveState:
        """Frames pending, saving, saved, or why saving failed."""
        return self.saving.state

    @property
    def idle(self) -> bool:
        """No click, features, propagation, import, deletion or undo in flight."""
        busy = self.edits.busy or self.loader.busy or self.propagating
        return not (busy or self.background_edit is not None)

    def clicks(self, t: int, obj_id: int) -> list[Click]:
        """The object's clicks on frame ``t``, including ones still waiting to be decoded."""
        pending = self.edits.pending(t, obj_id)
        if pending is not None:
            return pending
        return self.session.clicks(t, obj_id) if self.session is not None else []

    def go_to_frame(self, t: int) -> None:
        if self.layers is not None:
            self.layers.slider.go_to_frame(t)

    def go_to_last_edit(self) -> None:
        """Show the frame a resumed store's last edit went to (``resume_frame``); none: stay."""
        store = None if self.session is None else self.session.store
        resumed = None if store is None else store.resume_frame()
        if resumed is not None:
            self.go_to_frame(resumed)

    def _on_edit_applied(self, result: EditResult) -> None:
        if result.message:
            self._warn(result.message.capitalize())
        if result.frame == self._frame:  # a mask of another frame is read when it is shown
            if result.obj_id == self.current_object:
                self._sync_prompts()
            self.layers.refresh_labels()
        self.statuses_changed.emit()
        self.annotations_changed.emit([result.frame])
        self.saving.schedule()
        zoomed = " in zoom mode" * (result.zoom_box is not None)  # R's news stays told
        self._say(
            f"{self.source.named(result.frame)}: object {result.obj_id} updated{zoomed}",
            passing=True,
            frame=result.frame,
        )

    def _on_edit_failed(self, t: int, obj_id: int, error: str) -> None:
        self._error(f"{self.source.named(t)}, object {obj_id}: {error}")
        if t == self._frame and obj_id == self.current_object:
            self._sync_prompts()

    # -- clicks on screen ------------------------------------------------------------------------

    def _sync_prompts(self) -> None:
        if self.layers is None or self.session is None:
            return
        t, obj = self._frame, self.current_object
        shown = obj is not None and self.layers.slider.past_end() is None
        clicks = self.clicks(t, obj) if shown else []
        self.layers.show_clicks(clicks, obj, self.session.derived_clicks(t, obj) if clicks else [])

    # -- accept, save --------------------------------------------------------------------------

    def accept_frame(self) -> None:
        """Mark the frame on screen reviewed and write it to the store (in the background),
        saying which objects' absence it accepted on their frames not carried after a stop."""
        if self.session is None or self._refuse_while_busy("accept a frame"):
            return
        runs = runs_on(self.session, self._frame)
        if not self.session.set_status(self._frame, FrameStatus.REVIEWED):
            self._say(f"{self.source.named(self._frame)} already reviewed", frame=self._frame)
            return
        self.statuses_changed.emit()
        self.save()  # the save line tells when it is on disk, or why not
        absent = "".join(
            f"; {self.session.object(run.obj_id).name} accepted as not here on {run.span()}"
            for run in runs
        )
        self._say(f"{self.source.named(self._frame)} reviewed{absent}", frame=self._frame)

    def save(self) -> None:
        """Write every changed frame to the store in the background (the store writer).

        While a propagation runs it writes its own frames, so this waits for its end.
        ``save_state_changed`` tells when it is on disk, or why not.
        """
        self.saving.save()

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything now and wait until it is on disk (scripts and tests; blocks).

        Returns False when it failed (the error was shown; the changes stay in memory).
        """
        return self.saving.flush(timeout)

    def _on_save_failed(self, error: str) -> None:
        self._error(f"Saving failed, your edits are kept in memory and saved again: {error}")

    # -- helpers ---------------------------------------------------------------------------------

    def _need_session(self) -> AnnotationSession:
        if self.session is None:
            raise RuntimeError("start a session first (choose an image layer and press Start)")
        return self.session

    def _on_layer_removed(self, event: Any) -> None:
        """A removed layer of the session ends it (saving); any other video layer releases its
        file (the session's own video is released once its workers let go of it)."""
        if self.layers is not None and self.layers.holds(event.value):
            self.close_session()
            self._say(LAYER_REMOVED)
            QTimer.singleShot(0, self._warn_layer_removed)
        elif self.layers is None or not self.layers.shows(event.value.data):
            release_layer_data(event.value, self.viewer.layers)

    def _on_frame_unreadable(self, t: int, what: str, why: str) -> None:
        self._warn(
            f"Frame {t}'s saved {what} cannot be read ({why}): it shows without them; "
            "annotate it again (its next save replaces the file)"
        )

    def _on_disk_cache_refused(self, why: str) -> None:
        self._warn(f"{why}; features are kept in memory only")

    def _warn_layer_removed(self) -> None:
        """The notice of a removed layer, unless the viewer is closing: napari's close takes
        every layer out, one by one, before its window goes."""
        if len(self.viewer.layers) and self.session is None:
            show_warning(LAYER_REMOVED)
