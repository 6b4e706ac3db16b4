"""Undo/redo restore clicks, masks, statuses and objects exactly."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.frame_changes import changed_box, frame_change
from napari_skipclick.session.history import History
from napari_skipclick.session.undoing import run_to_end
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, HeldEngine, moving_squares
from support.sessions import assert_same, snapshot


def test_undo_and_redo_are_exact_over_a_mixed_sequence():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red, blue = session.add_object(), session.add_object()
    states = [snapshot(session)]
    edits = [
        lambda: session.set_clicks(0, red.id, [Click(25, 15, True)]),
        lambda: session.set_clicks(0, blue.id, [Click(45, 70, True)]),
        lambda: session.set_clicks(0, red.id, [Click(25, 15, True), Click(45, 80, True)]),
        lambda: session.set_clicks(0, red.id, [Click(25, 15, True), Click(45, 80, False)]),
        lambda: list(session.propagate([red.id, blue.id], 0, n_frames=3)),
        lambda: session.set_status(2, FrameStatus.REVIEWED),
        lambda: session.set_clicks(2, blue.id, [Click(45, 70, True), Click(25, 20, True)]),
        lambda: session.delete_object(red.id),
    ]
    for edit in edits:
        edit()
        states.append(snapshot(session))
    assert session.objects == [blue]
    for expected in reversed(states[:-1]):
        assert session.undo() is not None
        assert_same(snapshot(session), expected)
    assert session.undo() is None and session.objects == [red]  # blue's addition undone
    assert session.undo() is None and session.objects == [] and not session.can_undo
    assert session.redo() is None and session.redo() is None  # the objects come back first
    assert session.objects == [red, blue]
    for expected in states[1:]:
        assert session.redo() is not None
        assert_same(snapshot(session), expected)
    assert session.redo() is None and not session.can_redo


def test_a_propagation_run_undoes_at_once_and_a_new_edit_clears_redo():
    session = AnnotationSession(moving_squares(6), ColourEngine())
    obj = session.add_object()
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    before = snapshot(session)
    steps = list(session.propagate([obj.id], 0))
    assert [s.frame for s in steps] == [1, 2, 3, 4, 5]
    assert session.undo() == 1
    assert_same(snapshot(session), before)
    assert session.can_redo
    session.set_clicks(3, obj.id, [Click(25, 20, True)])
    assert not session.can_redo


def test_undone_objects_come_back_with_their_id_and_colour():
    session = AnnotationSession(moving_squares(2), ColourEngine())
    obj = session.add_object(name="skier")
    session.set_clicks(1, obj.id, [Click(25, 17, True)])
    session.delete_object(obj.id)
    assert session.frames_of(obj.id) == [] and session.objects == []
    session.undo()
    assert session.objects == [obj]
    assert session.frames_of(obj.id) == [1]
    assert session.add_object().id == 2


def test_history_keeps_only_changed_boxes_and_is_bounded():
    before = np.zeros((100, 100), np.uint32)
    after = before.copy()
    after[10:12, 20:25] = 3
    assert changed_box(before, after) == (10, 12, 20, 25)
    assert changed_box(before, before) is None
    change = frame_change(0, before, after, {}, {}, FrameStatus.EMPTY, FrameStatus.CLICKED)
    assert change.labels_after.shape == (2, 5) and change.nbytes == 2 * 2 * 5 * 4
    history = History(max_edits=3)
    for _ in range(5):
        history.push([change])
    undone = 0
    while history.pop_undo():
        undone += 1
    assert undone == 3


def _propagated_then_deleted() -> tuple[AnnotationSession, int, list[tuple]]:
    """Red and blue propagated over 6 frames (one undo group), then red deleted. Returns the
    session, red's id and the snapshots before the run, before the delete and at the end."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    states = [snapshot(session)]
    list(session.propagate([red, blue], 0))
    states.append(snapshot(session))
    session.delete_object(red)
    states.append(snapshot(session))
    return session, red, states


def test_undoing_yields_each_changed_frame_and_returns_undos_frame():
    session, red, states = _propagated_then_deleted()
    reference, _, _ = _propagated_then_deleted()
    frames = session.history.next_frames()
    steps = session.undoing()
    first = next(steps)
    assert red in {o.id for o in session.objects}  # the deleted object is back from the start
    assert sorted({first, *list(steps)}) == frames
    assert_same(snapshot(session), states[1])
    assert run_to_end(session.undoing()) == (reference.undo(), reference.undo())[1]
    assert_same(snapshot(session), states[0])


def test_an_undo_or_redo_stopped_between_frames_changes_nothing():
    session, red, states = _propagated_then_deleted()
    to_undo = session.history.next_frames()
    steps = session.undoing()  # the delete
    done = [next(steps), next(steps)]
    assert all((session.labels.read(t) == red).any() for t in done)
    steps.close()  # Escape in the widget
    assert_same(snapshot(session), states[2])
    assert session.history.next_frames() == to_undo and not session.can_redo
    session.undo(), session.undo()  # the delete, then the run
    assert_same(snapshot(session), states[0])
    to_redo = session.history.next_frames(redo=True)
    steps = session.undoing(redo=True)  # the run
    next(steps), next(steps)
    steps.close()
    assert_same(snapshot(session), states[0])
    assert session.history.next_frames(redo=True) == to_redo
    session.redo(), session.redo()
    assert_same(snapshot(session), states[2])
    assert not session.can_redo


def test_a_folded_stroke_keeps_the_byte_bound_and_undoes_to_its_start():
    history = History(max_mib=1500 / 2**20)
    clicked = FrameStatus.CLICKED
    zeros, ones = np.zeros((4, 4), np.uint32), np.ones((4, 4), np.uint32)
    history.push([frame_change(0, zeros, ones, {}, {}, FrameStatus.EMPTY, clicked)])
    stroke = history.new_group()
    frame = np.zeros((16, 16), np.uint32)
    frame[:8, :8] = 2  # the first dab
    first = frame_change(1, np.zeros((8, 8), np.uint32), frame[:8, :8], {}, {}, clicked, clicked)
    history.push([first], group=stroke)
    frame[8:, 8:] = 2  # the second dab
    second = frame_change(
        1, np.zeros((8, 8), np.uint32), frame[8:, 8:], {}, {}, clicked, clicked, (8, 8)
    )
    history.push([second], group=stroke)
    assert history.fold_group(stroke + 1, lambda t: frame) == 0  # another stroke: nothing
    assert history.fold_group(stroke, lambda t: frame) == 2  # one patch of both boxes
    (edit,) = history.pop_undo()
    (change,) = edit.changes
    assert change.box == (0, 16, 0, 16) and not change.labels_before.any()
    np.testing.assert_array_equal(change.labels_after, frame)
    assert not history.can_undo  # 2 KiB of patches: the click edit before went


def test_only_a_stroke_of_label_patches_folds():
    history = History()
    zeros, ones = np.zeros((2, 2), np.uint32), np.ones((2, 2), np.uint32)
    group = history.new_group()
    clicks = {1: [(Click(0, 0, True), 0.0)]}
    for clicks_after in ({}, clicks):  # a dab, then an edit of clicks in the same group
        history.push(
            [
                frame_change(
                    0, zeros, ones, {}, clicks_after, FrameStatus.EMPTY, FrameStatus.CLICKED
                )
            ],
            group=group,
        )
    assert history.fold_group(group, lambda t: ones) == 0
    assert len(history.pop_undo()) == 2


def test_a_step_past_the_byte_bound_is_kept_whole_and_older_ones_go_whole():
    """The bound dropped the oldest edits one by one, those of the run on top too: an undo
    took back frames 7-50 of a 50-frame run, frames 1-6 stayed propagated for good."""
    history = History(max_mib=1000 / 2**20)
    zeros, ones = np.zeros((5, 5), np.uint32), np.ones((5, 5), np.uint32)  # 200 bytes a change

    def change(t: int):
        return frame_change(t, zeros, ones, {}, {}, FrameStatus.EMPTY, FrameStatus.CLICKED)

    older = history.new_group()
    for t in range(3):
        history.push([change(t)], group=older)  # 600 bytes: within the bound
    run = history.new_group()
    for t in range(10, 18):  # 1,600 bytes: over the bound alone
        history.push([change(t)], group=run)
    edits = history.pop_undo()
    assert sorted(c.frame for e in edits for c in e.changes) == list(range(10, 18))
    assert not history.can_undo  # the older step went whole, not frame by frame


def test_an_edit_keeps_the_place_among_the_users_actions_it_was_asked_for_at():
    """Clicks waiting for features are decoded after later edits: each step keeps the stamp of
    when it was asked for, and a redo is an action of its own."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red = session.add_object().id
    asked = session.history.tick()  # a click asked for now, decoded below
    session.mark_absent(3, red)
    absent = session.history.newest_stamp
    assert absent > asked
    result = session.compute(0, red, [Click(25, 15, True)])
    session.apply(replace(result, stamp=asked))
    assert session.history.newest_stamp == absent  # the click went below the newer mark
    session.undo()
    assert session.history.newest_stamp == asked  # the click's place, not its decode's
    session.undo()
    assert session.history.newest_stamp < asked
    session.redo()
    assert session.history.newest_stamp > absent  # the redo is the newest action


def test_a_click_decoded_after_newer_actions_is_undone_after_them():
    """A click made while its frame's features were computed was decoded after the actions
    made meanwhile and its undo step pushed above them: Ctrl+Z took back the click first and
    left *Not here* and the class change, the user's newer actions."""
    session = AnnotationSession(moving_squares(6), HeldEngine(), classes=("thing", "car"))
    red, blue = session.add_object().id, session.add_object().id
    asked = session.history.tick()  # the click on frame 0 is made; its features are computed
    results = []
    decode = threading.Thread(
        target=lambda: results.append(session.compute(0, red, [Click(25, 15, True)]))
    )
    decode.start()
    assert session.engine.started.wait(10)
    session.mark_absent(3, blue)  # newer actions, made while the click waits
    session.set_object_class(blue, "car")
    session.engine.release.set()
    decode.join(10)
    session.apply(replace(results[0], stamp=asked))
    assert session.clicks(0, red) and session.marks_on(3).absent == {blue}
    session.undo()  # the class change, the newest action
    assert session.object(blue).class_name == "thing" and session.clicks(0, red)
    session.undo()  # Not here
    assert session.marks_on(3).absent == set() and session.clicks(0, red)
    session.undo()  # the click, the oldest
    assert session.clicks(0, red) == [] and not (session.labels.read(0) == red).any()
    for _ in range(3):
        session.redo()
    assert session.clicks(0, red) and session.marks_on(3).absent == {blue}
    assert session.object(blue).class_name == "car"


def test_a_late_edit_stays_above_a_newer_one_of_its_frame_and_keeps_groups_whole():
    """A late edit goes below newer steps only where they undo apart from it: one that changed
    its frame (its patch was made on top of it) stays below it, a group is passed whole."""
    history = History()
    zeros, ones = np.zeros((5, 5), np.uint32), np.ones((5, 5), np.uint32)

    def change(t: int):
        return frame_change(t, zeros, ones, {}, {}, FrameStatus.EMPTY, FrameStatus.CLICKED)

    early, late = history.tick(), history.tick()
    history.push([change(1)])  # made after both
    run = history.new_group()
    history.push([change(2)], group=run)
    history.push([change(3)], group=run)
    history.push([change(2)], stamp=late)  # frame 2 changed by the run: stays on top
    history.push([change(5)], stamp=early)  # apart from all: at the bottom
    undone = []
    while history.can_undo:
        undone.append([c.frame for e in history.pop_undo() for c in e.changes])
    assert undone == [[2], [3, 2], [1], [5]]
