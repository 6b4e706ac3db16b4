"""An encode asked to stop (the session closes) ends at the backbone's next block, caching
nothing of it."""

from __future__ import annotations

import threading

from napari_skipclick.cancel import EncodeCancelled, stopping_when
from napari_skipclick.engines.base import features_key
from napari_skipclick.session import AnnotationSession
from support.engines import moving_squares
from support.tiny import tiny_engine, watch_blocks


def test_an_encode_asked_to_stop_ends_before_the_next_block_and_caches_nothing():
    """Closing waited for the whole encode of the frame being computed: seconds on a CPU."""
    engine = tiny_engine()
    session = AnnotationSession(moving_squares(3), engine)
    reached, go = threading.Event(), threading.Event()

    def before(index: int) -> None:
        if index == 1:
            reached.set()
            assert go.wait(30)

    ran = watch_blocks(engine, before)
    stop, outcome = threading.Event(), []

    def encode() -> None:
        try:
            with stopping_when(stop):
                session.features(0)
        except EncodeCancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=encode)
    thread.start()
    assert reached.wait(30)
    stop.set()  # asked while block 1 runs
    go.set()
    thread.join(30)
    assert outcome and ran == [0, 1]  # block 2 never ran
    assert not session.cache.contains(session.frame_key(0), features_key(engine))
    session.features(0)  # a later encode, not asked to stop, runs whole and is cached
    assert ran[2:] == list(range(len(engine.model.dinov2.blocks)))
    assert session.has_features(0)
