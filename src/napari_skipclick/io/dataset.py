"""Training data: a torch ``Dataset`` over the annotated frames of a store and its video.

Each item is ``(image, masks, class_ids)``: ``image`` float32 (3, H, W) in [0, 1], ``masks``
bool (N, H, W) one per object present in the frame, ``class_ids`` int64 (N,) where class
``i + 1`` is ``dataset.class_names[i]``. Frames and labels are read lazily, per item, by the
rules of an export (``export.taken``): the store may be written meanwhile.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..types import FrameStatus
from .export import (
    ExportError,
    object_ids_in,
    problem_warnings,
    read_taken,
    select_frames,
    take_objects,
)
from .export.asked import asked_frames, asked_statuses
from .export.common import nothing_chosen
from .export.images import check_video, no_video_text
from .store import AnnotationStore, StoreError

Item = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class SkipClickDataset(Dataset):
    """Annotated frames of a store as training samples (safe with ``DataLoader`` workers).

    ``video``: an array-like ``(T, H, W, 3)`` uint8 (e.g. ``open_video(...)``) or a path;
    default: the video path recorded in the store. ``statuses`` / ``frames`` restrict the
    frames (``statuses="reviewed"`` or a list, ``frames="0-99"`` or a list);
    ``transform(image, masks, class_ids)`` is applied to each item. ``class_names``: one
    list given to the datasets of several stores (a ``ConcatDataset``), extended in place, so
    that a class has one id in all of them.
    """

    def __init__(
        self,
        store: str | Path | AnnotationStore,
        video: Any = None,
        *,
        statuses: str | Iterable[FrameStatus | str] | None = None,
        frames: str | int | Iterable[int] | None = None,
        transform: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Item] | None = None,
        class_names: list[str] | None = None,
    ) -> None:
        self.store_path = Path(store.path if isinstance(store, AnnotationStore) else store)
        self._store: AnnotationStore | None = None
        opened = self.store
        frames = asked_frames(frames, opened.video.n_frames)
        if frames is not None:
            past = [t for t in frames if not 0 <= t < opened.video.n_frames]
            if past:
                raise ValueError(
                    f"frames {past[:10]} are outside the video's 0..{opened.video.n_frames - 1}"
                )
        for text in problem_warnings(opened):
            warnings.warn(text, stacklevel=2)
        self.frames = select_frames(opened, frames, statuses)
        if not self.frames:  # as an export refuses it: an empty Dataset fails later, obscurely
            raise ValueError(str(nothing_chosen(frames, statuses)))
        self._statuses = asked_statuses(statuses)
        self.class_names = [] if class_names is None else class_names
        [self._objects] = take_objects([opened], [self.frames], self.class_names)
        self.transform = transform
        self._video_source = opened.video.path if video is None else video
        self._video: Any = None if isinstance(self._video_source, (str, Path)) else video
        if self._video is not None:
            self._check_video(self._video)

    @property
    def store(self) -> AnnotationStore:
        """The store, opened read-only (again in each worker process)."""
        if self._store is None:
            self._store = AnnotationStore.open(self.store_path, readonly=True)
        return self._store

    @property
    def video(self) -> Any:
        """The frames, opened lazily (again in each worker process)."""
        if self._video is None:
            from .video import VideoError, open_video

            name, source = self.store_path.name, self._video_source
            give = "SkipClickDataset(store, video=PATH)"
            if not source:
                raise ValueError(no_video_text(name, source, None, give))
            try:
                self._video = open_video(source)
            except VideoError as e:
                raise VideoError(no_video_text(name, source, e, give)) from e
            self._check_video(self._video)
        return self._video

    def _check_video(self, video: Any) -> None:
        """As an export checks a video given: another size is refused, another file (another
        clip of the same size, or the same frames encoded again) warned of."""
        source = getattr(getattr(video, "info", None), "path", None) or "the video given"
        try:
            check_video(self.store, source, video, _warn)
        except ExportError as e:
            raise ValueError(str(e)) from e

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_store"] = None
        if isinstance(self._video_source, (str, Path)):
            state["_video"] = None
        return state

    def __len__(self) -> int:
        return len(self.frames)

    def object_ids(self, index: int) -> list[int]:
        """Object ids of the masks of item ``index``, in order."""
        return object_ids_in(self._read(index)[1])

    def __getitem__(self, index: int) -> Item:
        t, labels = self._read(index)
        ids = np.array(object_ids_in(labels), dtype=np.uint32)
        image = torch.from_numpy(np.array(self.video[t], dtype=np.float32)).permute(2, 0, 1) / 255
        masks = torch.from_numpy(labels[None] == ids[:, None, None])
        classes = [self._objects.category(int(i)) for i in ids]
        class_ids = torch.tensor(classes, dtype=torch.int64)
        if self.transform is not None:
            return self.transform(image, masks, class_ids)
        return image, masks, class_ids

    def _read(self, index: int) -> tuple[int, np.ndarray]:
        """The frame of item ``index`` and its labels (``export.read_taken``); a frame whose
        status is no longer one asked for (the store was written since the dataset was made)
        is served as the next one that still is, with a warning."""
        n = len(self.frames)
        for k in range(n):
            t = self.frames[(index + k) % n]
            read = read_taken(self.store, t, self._statuses, self._objects)
            if read is not None:
                return t, read[0]
            warnings.warn(
                f"frame {t} of {self.store_path.name} changed status since the dataset was "
                "made: the next frame that did not is served instead",
                stacklevel=3,
            )
        raise StoreError(
            f"no frame of the dataset of {self.store_path.name} has the status asked for any "
            "more: make the dataset again"
        )


def _warn(text: str) -> None:
    warnings.warn(text, stacklevel=4)
