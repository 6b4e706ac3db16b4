"""The store never holds half an edit: while a deletion, an undo or an import runs frame by
frame, commits write nothing; a crash while the frames of one edit are committed is put back
as before the edit on opening; and within one commit a crash never leaves pixels of an
object that the store does not list (the store is reopened as after a crash)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.imports import import_frames
from support.engines import ColourEngine
from support.sessions import two_objects_in_store

N_FRAMES = 8


class PowerCut(Exception):
    """The process dies in the middle of a write."""


def _saved(tmp_path) -> tuple[AnnotationSession, int, int]:
    """A store of 8 frames: red propagated over all, blue clicked on frame 0; all saved."""
    session, red, blue = two_objects_in_store(tmp_path / "s.zarr", N_FRAMES)
    session.commit_all()
    return session, red, blue


def _on_disk(session: AnnotationSession) -> tuple[list[int], list[set[int]]]:
    """What a session opened on the store after a crash sees: the object IDs listed and the
    IDs in each frame's pixels."""
    path = session.store.path
    session.store.close()
    store = AnnotationStore.open(path)
    try:
        listed = [o.id for o in store.objects()]
        pixels = [set(np.unique(store.read_labels(t)).tolist()) - {0} for t in range(N_FRAMES)]
    finally:
        store.close()
    return listed, pixels


def test_a_deletion_under_way_is_not_saved_until_it_ends(tmp_path):
    session, red, blue = _saved(tmp_path)
    steps = session.deleting(red)
    next(steps), next(steps), next(steps)  # frames 0..2 cleared in memory
    assert session.edit_open
    assert session.commit_all() == [] and session.commit(0) is False  # the autosave's turn
    assert session.dirty_frames() == [0, 1, 2] and session.objects_dirty
    list(steps)
    assert not session.edit_open
    assert session.commit_all() == list(range(N_FRAMES))
    assert _on_disk(session) == ([blue], [{blue}] + [set()] * (N_FRAMES - 1))


def test_a_crash_during_a_deletion_leaves_the_store_as_before_it(tmp_path):
    session, red, blue = _saved(tmp_path)
    steps = session.deleting(red)
    for _ in range(4):
        next(steps)
    session.commit_all()
    assert _on_disk(session) == ([red, blue], [{red, blue}] + [{red}] * (N_FRAMES - 1))


@pytest.mark.parametrize("redo", [False, True])
def test_an_undo_or_redo_under_way_is_not_saved_until_it_ends(tmp_path, redo):
    session, red, blue = _saved(tmp_path)
    session.delete_object(red)
    session.commit_all()
    if redo:
        session.undo()
        session.commit_all()
    on_disk_before = [o.id for o in session.store.objects()]
    steps = session.undoing(redo=redo)
    next(steps), next(steps)
    assert session.commit_all() == []
    assert [o.id for o in session.store.objects()] == on_disk_before
    steps.close()  # stopped: put back, nothing to save but what it marked
    session.commit_all()
    list(session.undoing(redo=redo))
    session.commit_all()
    expected = [blue] if redo else [red, blue]
    assert [o.id for o in session.store.objects()] == expected


def test_an_import_is_saved_whole(tmp_path):
    session, red, blue = _saved(tmp_path)
    session.delete_object(red)
    session.commit_all()
    real, saved_meanwhile = session.record, []

    def record_and_autosave(change, group=None):
        real(change, group=group)
        saved_meanwhile.extend(session.commit_all())  # the writer's turn between two frames

    session.record = record_and_autosave
    labels = np.zeros(session.frame_shape, np.uint16)
    labels[5:15, 5:15] = 7
    import_frames(session, {3: labels, 4: labels})
    assert saved_meanwhile == []
    session.commit_all()
    listed, pixels = _on_disk(session)
    assert listed == [blue, 7] and pixels[3] == pixels[4] == {7}


def _dying_after(session: AnnotationSession, writes: int) -> None:
    """The store's process dies at its ``writes + 1``-th write (frames or the object list)."""
    store, count = session.store, [0]

    def dying(real):
        def write(*args, **kwargs):
            count[0] += 1
            if count[0] > writes:
                raise PowerCut
            return real(*args, **kwargs)

        return write

    store.commit_frame = dying(store.commit_frame)
    store.write_objects = dying(store.write_objects)


def _deletion_cut_short(
    tmp_path, writes: int, *, one_frame: bool = False
) -> tuple[AnnotationSession, int, int]:
    """``_saved``'s session, red deleted (``one_frame``: blue, on frame 0 only) and the
    commit of the deletion dying at its ``writes + 1``-th write."""
    session, red, blue = _saved(tmp_path)
    session.delete_object(blue if one_frame else red)
    _dying_after(session, writes)
    with pytest.raises(PowerCut):
        session.commit_all()
    return session, red, blue


@pytest.mark.parametrize("writes", range(N_FRAMES + 2))  # the list, each frame, the list
def test_a_crash_while_a_deletion_is_saved_leaves_no_pixels_of_an_unlisted_object(tmp_path, writes):
    session, _, _ = _deletion_cut_short(tmp_path, writes)
    listed, pixels = _on_disk(session)
    assert set().union(*pixels) <= set(listed)


@pytest.mark.parametrize("writes", range(N_FRAMES + 1))  # the list, then each frame
def test_a_crash_while_an_undone_deletion_is_saved_leaves_no_pixels_of_an_unlisted_object(
    tmp_path, writes
):
    session, red, _ = _saved(tmp_path)
    session.delete_object(red)
    session.commit_all()
    session.undo()
    _dying_after(session, writes)
    with pytest.raises(PowerCut):
        session.commit_all()
    listed, pixels = _on_disk(session)
    assert set().union(*pixels) <= set(listed)


@pytest.mark.parametrize("writes", range(N_FRAMES + 2))  # the list, each frame, the list
def test_a_deletion_of_frames_a_crash_cut_short_is_put_back_whole(tmp_path, writes):
    """It stayed half written (the object marked as leaving) until a session finished it."""
    session, red, blue = _deletion_cut_short(tmp_path, writes)
    frames, path = session.frames, session.store.path
    session.store.close()
    assert any(f"the deletion of object {red}" in p for p in AnnotationStore.open(path).problems)
    store = AnnotationStore.open(path, readonly=False)
    assert store.leaving() == [] and any(f"object {red}" in r for r in store.repairs)
    reopened = AnnotationSession(frames, ColourEngine(), store=store)
    assert [o.id for o in reopened.objects] == [red, blue] and not reopened.unfinished_deletions
    assert _on_disk(reopened) == ([red, blue], [{red, blue}] + [{red}] * (N_FRAMES - 1))
    assert AnnotationStore.open(path).problems == []


@pytest.mark.parametrize("writes", [1, 2])  # the list, the one frame, the list
def test_a_deletion_a_crash_left_half_saved_stays_marked_until_it_is_finished(tmp_path, writes):
    session, red, blue = _deletion_cut_short(tmp_path, writes, one_frame=True)
    frames, path = session.frames, session.store.path
    session.store.close()
    store = AnnotationStore.open(path, readonly=False)
    assert store.leaving() == [blue] and "was being deleted" in store.problems[0]
    reopened = AnnotationSession(frames, ColourEngine(), store=store)
    assert [o.id for o in reopened.objects] == [red, blue]
    assert reopened.unfinished_deletions == [blue]
    added = reopened.add_object().id
    reopened.commit_all()  # another change to the list keeps the mark
    assert store.leaving() == [blue]
    assert reopened.finish_deletions() == [blue] and reopened.unfinished_deletions == []
    assert not any(blue in reopened.ids_on(t) for t in range(N_FRAMES))
    reopened.commit_all()
    assert store.leaving() == [] and store.problems == []
    assert all(blue not in store.clicks(t) for t in range(N_FRAMES))
    assert _on_disk(reopened) == ([red, added], [{red}] * N_FRAMES)


def test_an_unfinished_deletion_given_up_keeps_the_object_for_good(tmp_path):
    # the list written, not the frame yet
    session, red, blue = _deletion_cut_short(tmp_path, 1, one_frame=True)
    frames, path = session.frames, session.store.path
    session.store.close()
    store = AnnotationStore.open(path, readonly=False)
    reopened = AnnotationSession(frames, ColourEngine(), store=store)
    assert reopened.keep_objects([red, blue]) == [blue]  # red was never being deleted
    assert reopened.unfinished_deletions == [] and reopened.keep_objects([blue]) == []
    reopened.commit_all()
    assert store.leaving() == [] and store.problems == []
    store.close()
    again = AnnotationSession(frames, ColourEngine(), store=AnnotationStore.open(path))
    assert [o.id for o in again.objects] == [red, blue] and again.unfinished_deletions == []
    assert blue in again.ids_on(0)


def test_the_store_is_not_closed_or_switched_under_an_edit(tmp_path):
    session, red, blue = _saved(tmp_path)
    steps = session.deleting(red)
    next(steps)
    with pytest.raises(RuntimeError, match="let it end or stop it first"):
        session.close()
    with pytest.raises(RuntimeError, match="let it end or stop it first"):
        session.save_to(session.store)
    steps.close()
    session.close()  # the deletion was put back: nothing lost, nothing to write but marks
    assert _on_disk(session)[0] == [red, blue]


def test_pixels_of_an_unlisted_object_are_listed_again_on_opening(tmp_path):
    """A store an earlier version left with pixels of an object its list lacks (a crash
    between two writes): the object is listed again, so that it can be seen and deleted, and
    a new object does not take its ID (it would own those pixels)."""
    session, red, blue = _saved(tmp_path)
    session.store.write_objects([session.object(blue)], session.classes)
    frames, path = session.frames, session.store.path
    session.store.close()
    reopened = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert [o.id for o in reopened.objects] == [red, blue]
    assert reopened.object(red).name == f"object {red} (pixels with no object)"
    assert reopened.repaired == [f"object {red} listed again (pixels with no object)"]
    assert reopened.objects_dirty  # the repaired list is written by the next commit
    assert reopened.add_object().id == blue + 1
    reopened.delete_object(red)
    reopened.commit_all()
    assert _on_disk(reopened) == ([blue, blue + 1], [{blue}] + [set()] * (N_FRAMES - 1))


def test_a_damaged_object_list_is_started_again_and_kept_aside(tmp_path):
    """A truncated objects.json made the store unopenable for annotation (a deleted one was
    repaired): its objects are listed again from the frames, and the damaged file kept."""
    session, red, blue = _saved(tmp_path)
    frames, path = session.frames, session.store.path
    session.store.close()
    damaged = (path / "objects.json").read_bytes()[:25]
    (path / "objects.json").write_bytes(damaged)
    reopened = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert [o.id for o in reopened.objects] == [red, blue]
    assert reopened.repaired[0].startswith("the object list was damaged")
    reopened.rename_object(red, "skier")
    reopened.close()
    assert (path / "objects.json.damaged").read_bytes() == damaged
    with AnnotationStore.open(path) as back:
        assert next((o.id, o.name) for o in back.objects()) == (red, "skier")
