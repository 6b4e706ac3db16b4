"""The propagation half of ``AnnotationSession``: carrying masks frame by frame, and filling
the frames between two keyframes from both ends."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from . import fill as filling
from . import propagation as prop


class SessionPropagation:
    """Propagation entry points (a mixin: the work is ``session.propagation`` and
    ``session.fill``, which use the session's public steps)."""

    #: the settings of the last run started (``propagate``, ``fill``, ``fill_all``): the
    #: limits by which a frame you accept judges the marks of the frames after it again
    #: (``accepted``); the defaults until a run starts
    run_settings: prop.PropagationSettings = prop.PropagationSettings()

    def propagate(
        self: Any,
        obj_ids: Iterable[int],
        start: int,
        *,
        n_frames: int | None = None,
        direction: int = 1,
        settings: prop.PropagationSettings | None = None,
    ) -> Iterator[prop.PropagationStep]:
        """Carry the objects' masks from frame ``start`` frame by frame (generator)."""
        settings = settings or prop.PropagationSettings()
        return self._started(
            prop.run(self, list(obj_ids), start, n_frames, direction, settings), settings
        )

    def fill(
        self: Any,
        obj_ids: Iterable[int],
        start: int,
        end: int,
        *,
        settings: prop.PropagationSettings | None = None,
    ) -> Iterator[prop.PropagationStep]:
        """Carry the objects' masks into the frames between keyframes ``start`` and ``end``
        from both ends, each frame from the nearer one (generator; see ``session.fill``)."""
        settings = settings or prop.PropagationSettings()
        return self._started(filling.run(self, list(obj_ids), start, end, settings), settings)

    def fill_all(
        self: Any,
        obj_ids: Iterable[int] | None = None,
        *,
        settings: prop.PropagationSettings | None = None,
    ) -> Iterator[prop.PropagationStep]:
        """Fill the gaps between two consecutive keyframes as ``fill`` does, each with those
        of the objects (None: all) that have a mask on one of its keyframes and are empty or
        stale between them (``fill.gaps_to_fill``; a gap filled since is left as it was); one
        undo step (generator; see ``session.fill``)."""
        ids = [obj.id for obj in self.objects] if obj_ids is None else list(obj_ids)
        settings = settings or prop.PropagationSettings()
        return self._started(filling.run_all(self, ids, settings), settings)

    def _started(
        self: Any, steps: Iterator[prop.PropagationStep], settings: prop.PropagationSettings
    ) -> Iterator[prop.PropagationStep]:
        """The ``steps`` of a run checked and started with ``settings`` (``run_settings``)."""
        self.run_settings = settings
        return steps
