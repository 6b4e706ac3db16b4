"""One record for a frame's commit: the session builds a ``FrameRecord``, the store writes it."""

from __future__ import annotations

import json

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click, FrameRecord, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares

VIDEO = VideoInfo("/videos/run1.mp4", 3, 8, 10, 25.0, "sha256:aaaa")


def saved_json(store: AnnotationStore, t: int) -> dict:
    """Frame ``t``'s record on disk, less its time and commit ID."""
    doc = json.loads((store.path / "frames" / f"{t:06d}.json").read_text())
    return {k: v for k, v in doc.items() if k not in ("time", "commit")}


def test_every_field_of_a_frame_record_is_written_as_the_store_format_says(tmp_path):
    labels = np.zeros((8, 10), np.uint16)
    labels[1:3, 1:3], labels[5:7, 5:8] = 1, 2
    record = FrameRecord(
        FrameStatus.NEEDS_REVIEW,
        {2: [(5.0, 6.0, False, 6.5)]},
        engine_key="embedded",
        carried=[2, 1],
        painted=(1,),
        accepted=True,
        absent={3},
        review={2: "small"},
        settled={1: "gone"},
        derived=[4],
    )
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        store.commit_frame(1, labels, record)
        store.commit_frame(2, labels, FrameRecord(FrameStatus.CLICKED))
        assert saved_json(store, 1) == {
            "frame": 1,
            "status": "needs review",
            "labels": True,
            "clicks": {"2": [[5.0, 6.0, False, 6.5]]},
            "engine_key": "embedded",
            "carried": [1, 2],
            "painted": [1],
            "accepted": True,
            "absent": [3],
            "derived": [4],
            "ids": [1, 2],
            "review": {"2": "small"},
            "settled": {"1": "gone"},
        }
        plain = saved_json(store, 2)  # the defaults: no clicks nor marks, the store's engine
        assert plain["clicks"] == {} and plain["engine_key"] == "embedded"
        assert [plain[k] for k in ("carried", "painted", "absent", "derived")] == [[]] * 4
        assert plain["review"] == plain["settled"] == {} and plain["accepted"] is False


def test_the_session_commits_a_frame_as_one_frame_record(tmp_path, monkeypatch):
    frames = moving_squares(4)
    t, h, w, _ = frames.shape
    video = VideoInfo("synthetic.mp4", t, h, w, 25.0, "fingerprint-squares")
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video)
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object(name="skier")
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    session.set_status(0, FrameStatus.REVIEWED)
    taken, real = [], store.commit_frame

    def keep(t: int, labels: np.ndarray, record: FrameRecord) -> None:
        taken.append(record)
        real(t, labels, record)

    monkeypatch.setattr(store, "commit_frame", keep)
    session.commit(0)
    [record] = taken
    assert isinstance(record, FrameRecord) and record.status == FrameStatus.REVIEWED
    assert [(y, x, p) for y, x, p, _ in record.clicks[obj.id]] == [(25, 15, True)]
    assert record.engine_key == session.engine.key
    assert store.clicks(0)[obj.id][0][:3] == (25.0, 15.0, True)
    session.close()
