"""Labels imported into a session: checked first, one undo step, frames with labels refused."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.imports import FrameStates, fresh_ids, import_frames, labels_met
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, moving_squares, red_box


def test_import_then_refine_by_click_and_refusals():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[10:20, 10:20] = 5
    added = import_frames(session, {2: labels}, {5: ("ski", "ski")})
    assert [(o.id, o.name, o.class_name) for o in added] == [(5, "ski", "ski")]
    assert session.status(2) == FrameStatus.IMPORTED and session.ids_on(2) == {5}
    with pytest.raises(ValueError, match=r"objects already have a mask on frames \[2\]"):
        import_frames(session, {2: labels})
    with pytest.raises(ValueError, match="shape"):
        import_frames(session, {3: labels[:-1]})
    assert session.ids_on(3) == frozenset()
    session.set_clicks(2, 5, [Click(15, 15, True)])  # an imported object is refined like any
    assert session.status(2) == FrameStatus.CLICKED
    session.undo()
    assert session.status(2) == FrameStatus.IMPORTED
    session.undo()
    assert session.ids_on(2) == frozenset()


def test_propagation_starts_from_imported_labels_and_leaves_them():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    ys, xs = red_box(1)
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[ys, xs] = 3
    import_frames(session, {1: labels, 4: labels})
    list(session.propagate([3], 1, n_frames=4))
    ys2, xs2 = red_box(2)
    assert (session.labels.read(2)[ys2, xs2] == 3).mean() > 0.8  # carried from the import
    assert session.status(2) == FrameStatus.PROPAGATED
    np.testing.assert_array_equal(session.labels.read(4), labels)  # imported: not overwritten
    assert session.status(4) == FrameStatus.IMPORTED


def test_ids_given_to_other_objects_are_refused_and_fresh_ids_renumbers_them():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    skier = session.add_object(name="skier")
    gone = session.add_object()
    session.delete_object(gone.id)
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[10:20, 10:20] = gone.id
    with pytest.raises(ValueError, match=rf"IDs \[{gone.id}\] were given to other objects"):
        import_frames(session, {2: labels})  # a deleted object's ID is never given again
    labels[10:20, 10:20] = skier.id
    with pytest.raises(ValueError, match="were given to other objects"):
        import_frames(session, {2: labels}, {skier.id: ("model 1", "object")})
    assert session.ids_on(2) == frozenset() and [o.id for o in session.objects] == [skier.id]
    import_frames(session, {2: labels}, {skier.id: ("skier", "object")})  # the skier's own
    assert session.ids_on(2) == {skier.id}
    names = {skier.id: ("model 1", "object"), gone.id: ("model 2", "object"), 4: ("m", "object")}
    assert fresh_ids(session.registry, {skier.id, gone.id, 4}, names) == {
        skier.id: 5,
        gone.id: 6,
        4: 4,
    }


def test_frames_nobody_checked_keep_their_status_and_reasons():
    """Another store's frames *needs review* stay so with their reasons (no keyframe, not
    accepted), *propagated* ones stay propagated; frames without a status are *imported*."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    frames = {}
    for t in (0, 1, 2):
        frames[t] = np.zeros(session.frame_shape, np.uint32)
        frames[t][10:20, 10 + t : 20 + t] = 4
    statuses = {0: FrameStatus.CLICKED, 1: FrameStatus.NEEDS_REVIEW, 2: FrameStatus.PROPAGATED}
    derived = {1: {4: [(14.0, 15.0, True, 100.0)]}}  # propagation's click, made long ago
    states = FrameStates(statuses, {1: {4: "the mask shrank"}}, derived)
    import_frames(session, frames, {4: ("ski", "object")}, states)
    assert session.status(0) == FrameStatus.IMPORTED
    assert session.status(1) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(1) == {4: "the mask shrank"}
    assert session.status(2) == FrameStatus.PROPAGATED
    assert session.keyframe_statuses()[1] == FrameStatus.NEEDS_REVIEW
    assert session.derived_clicks(1, 4) == [Click(14, 15, True)]
    session.set_clicks(1, 4, [*session.clicks(1, 4), Click(15, 15, True)])  # settles the doubt
    assert session.status(1) == FrameStatus.CLICKED and session.review_reasons(1) == {}
    session.undo()
    assert session.review_reasons(1) == {4: "the mask shrank"}
    session.undo()
    assert session.statuses() == {}


def test_objects_of_another_annotator_join_a_frame_and_its_labels_keep_their_pixels():
    """Two annotators' objects on the same frames: the import was refused for any frame that
    held labels (then: for any pixel where they met, as propagated masks at a contact do)."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    skier = session.add_object(name="skier")
    mine = np.zeros(session.frame_shape, np.uint32)
    mine[10:20, 10:20] = skier.id
    session.paint(1, (0, mine.shape[0], 0, mine.shape[1]), mine, skier.id)
    session.set_status(1, FrameStatus.REVIEWED)
    theirs = np.zeros(session.frame_shape, np.uint32)
    theirs[15:40, 15:40] = 7  # meets the skier on [15:20, 15:20]
    assert labels_met(session, {1: theirs}) == {1: ({7}, {skier.id}, 25)}
    import_frames(session, {1: theirs, 2: theirs}, {7: ("ski-B", "object")})
    both = session.labels.read(1)
    assert (both[10:20, 10:20] == skier.id).all() and (both[20:40, 15:40] == 7).all()
    assert session.ids_on(1) == {skier.id, 7} and session.status(1) == FrameStatus.REVIEWED
    assert session.status(2) == FrameStatus.IMPORTED
    with pytest.raises(ValueError, match=r"already have a mask on frames \[1\] \(frame 1: ski-B\)"):
        import_frames(session, {1: theirs, 3: theirs})  # the same object twice on frame 1
    assert session.ids_on(3) == frozenset()
    session.undo()  # the import of frames 1 and 2, one step
    np.testing.assert_array_equal(session.labels.read(1), mine)
    assert session.status(1) == FrameStatus.REVIEWED and session.ids_on(2) == frozenset()


def test_a_frame_imported_without_propagations_clicks_takes_your_first_click_as_yours():
    """A frame *needs review* imported without the clicks propagation derived there: your
    first click on the object in doubt was read as propagation's (``made_by_user``), so it
    settled nothing and propagation from the frame started without it."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[10:20, 10:20] = 4
    states = FrameStates({1: FrameStatus.NEEDS_REVIEW}, {1: {4: "the mask shrank"}})
    import_frames(session, {1: labels}, {4: ("ski", "object")}, states)
    assert session.status(1) == FrameStatus.NEEDS_REVIEW and session.user_clicks(1, 4) == []
    derived = session.derived_clicks(1, 4)  # as propagation derives them from the mask
    assert derived and any(labels[round(c.y), round(c.x)] == 4 for c in derived if c.positive)
    mine = Click(15, 16, True)
    session.set_clicks(1, 4, [*session.clicks(1, 4), mine])
    assert session.user_clicks(1, 4) == [mine] and session.derived_clicks(1, 4) == derived
    assert session.status(1) == FrameStatus.CLICKED and session.review_reasons(1) == {}
