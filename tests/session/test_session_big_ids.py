"""A store another tool wrote, with object IDs above 65535, is refused as it is opened."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.checks import MAX_OBJECT_ID
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.state import ObjectRegistry
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo
from support.engines import ColourEngine, moving_squares

BIG = 70_000


def files(path) -> dict[str, bytes]:
    """The store's files and their bytes, less the writer's lock."""
    return {str(f): f.read_bytes() for f in path.rglob("*") if f.is_file() and f.name != ".lock"}


def store_with_a_big_id(path, frames: np.ndarray, listed: bool) -> None:
    """A store whose frame 1 holds object ``BIG`` (``listed``: in its object list too) beside
    object 1."""
    t, h, w, _ = frames.shape
    video = VideoInfo("synthetic.mp4", t, h, w, 25.0, "fingerprint-squares")
    with AnnotationStore.open_or_create(path, video) as store:
        objects = [ObjectInfo(1, "skier", "object", (1, 2, 3))]
        objects += [ObjectInfo(BIG, "gate", "object", (4, 5, 6))] * listed
        store.write_objects(objects, ["object"])
        labels = np.zeros((h, w), np.uint32)
        labels[2:6, 2:6] = 1
        store.commit_frame(0, labels, FrameRecord(FrameStatus.CLICKED))
        labels[10:14, 10:14] = BIG
        store.commit_frame(1, labels, FrameRecord(FrameStatus.REVIEWED))


@pytest.mark.parametrize("listed", [True, False])
def test_a_store_holding_an_id_above_the_largest_opens_no_session(tmp_path, listed):
    """Opened, the object 70000 became 4464 in the widget's uint16 labels layer."""
    frames = moving_squares(4)
    path = tmp_path / "other.zarr"
    store_with_a_big_id(path, frames, listed)
    store = AnnotationStore.open(path, readonly=False)
    before = files(path)
    with pytest.raises(ValueError, match=rf"object ID {BIG}, above {MAX_OBJECT_ID}") as error:
        AnnotationSession(frames, ColourEngine(), store=store)
    assert "Renumber its objects" in str(error.value)
    store.close()
    assert files(path) == before  # nothing was written, the frames and objects are all there


def test_the_registry_takes_back_no_object_above_the_largest_id():
    registry = ObjectRegistry((), ["object"])
    with pytest.raises(ValueError, match=f"ID {BIG} is above {MAX_OBJECT_ID}"):
        registry.restore(ObjectInfo(BIG, "gate", "object", (4, 5, 6)))
    assert registry.objects == []
    with pytest.raises(ValueError, match=f"ID {BIG} is above {MAX_OBJECT_ID}"):
        ObjectRegistry([ObjectInfo(BIG, "gate", "object", (4, 5, 6))], ["object"])
    registry.restore(ObjectInfo(MAX_OBJECT_ID, "top", "object", (1, 2, 3)))
    assert [o.id for o in registry.objects] == [MAX_OBJECT_ID]
