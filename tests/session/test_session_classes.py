"""Classes: renamed (their objects follow) and removed (not while an object has one), a
taxonomy given up front (``use_classes``), all written to the store with the object list."""

from __future__ import annotations

import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import DEFAULT_CLASS, VideoInfo
from support.engines import ColourEngine, moving_squares


def _session(tmp_path) -> AnnotationSession:
    frames = moving_squares(3)
    video = VideoInfo("squares.mp4", *frames.shape[:3], 25.0, "squares")
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video)
    return AnnotationSession(frames, ColourEngine(), store=store, classes=("sky", "pole"))


def test_a_renamed_class_keeps_its_place_and_its_objects(tmp_path):
    session = _session(tmp_path)
    a, b = session.add_object("sky").id, session.add_object("pole").id
    renamed = session.rename_class("sky", " ski ")
    assert session.classes == ["ski", "pole"] and [o.id for o in renamed] == [a]
    assert session.object(a).class_name == "ski" and session.object(b).class_name == "pole"
    session.commit_all()
    assert session.store.classes() == ["ski", "pole"]
    assert [o.class_name for o in session.store.objects()] == ["ski", "pole"]


def test_class_list_edits_are_undone_in_order_with_the_objects(tmp_path):
    session = _session(tmp_path)
    obj = session.add_object("sky").id
    session.delete_object(obj)
    session.rename_class("sky", "ski")
    session.add_class("gate")
    session.remove_class("pole")
    assert session.classes == ["ski", "gate"]
    session.undo()
    assert session.classes == ["ski", "pole", "gate"]  # back in its place
    session.undo()
    assert session.classes == ["ski", "pole"]
    session.undo()  # the rename: the objects follow, also the one deleted meanwhile
    assert session.classes == ["sky", "pole"]
    session.undo()
    assert session.object(obj).class_name == "sky"
    for _ in range(4):
        session.redo()
    assert session.classes == ["ski", "gate"] and session.objects == []
    session.undo(), session.undo()  # the removal, the addition
    session.rename_class("ski", "skis")  # a new step: the redo stack goes
    assert not session.can_redo
    session.undo(), session.undo(), session.undo()  # the renames, the deletion
    assert session.object(obj).class_name == "sky" and session.classes == ["sky", "pole"]


def test_the_classes_a_session_starts_with_are_no_undo_step_and_stay(tmp_path):
    session = AnnotationSession(moving_squares(2), ColourEngine())
    session.add_class("gate")
    session.use_classes(["skier", "ski"])  # the taxonomy given up front
    assert session.classes == ["gate", "skier", "ski"]
    session.undo()  # the class added before
    assert session.classes == ["skier", "ski"] and not session.can_undo
    session.redo()
    assert session.classes == ["skier", "gate", "ski"]  # at the place it was added at


@pytest.mark.parametrize(
    ("name", "new_name", "message"),
    [("sky", "pole", "already exists"), ("sky", "  ", "cannot be empty"), ("sun", "x", "unknown")],
)
def test_a_rename_that_cannot_be_done_changes_nothing(tmp_path, name, new_name, message):
    session = _session(tmp_path)
    session.add_object("sky")
    with pytest.raises(ValueError, match=message):
        session.rename_class(name, new_name)
    assert session.classes == ["sky", "pole"] and session.objects[0].class_name == "sky"


def test_a_class_is_removed_only_when_no_object_has_it_and_never_the_last(tmp_path):
    session = _session(tmp_path)
    obj = session.add_object("pole", name="left pole").id
    with pytest.raises(
        ValueError, match=r"class 'pole' is the class of 1 object\(s\) \(left pole\)"
    ):
        session.remove_class("pole")
    session.remove_class("sky")
    assert session.classes == ["pole"]
    session.delete_object(obj)
    with pytest.raises(ValueError, match="the last class"):
        session.remove_class("pole")
    session.commit_all()
    assert session.store.classes() == ["pole"]


def test_classes_given_up_front_replace_the_unused_default(tmp_path):
    frames = moving_squares(3)
    session = AnnotationSession(frames, ColourEngine())
    assert session.classes == [DEFAULT_CLASS]
    session.use_classes(["skier", " ski", "pole", "ski"])
    assert session.classes == ["skier", "ski", "pole"]
    session.use_classes(["skier", "gate"])  # more later: added, none removed
    assert session.classes == ["skier", "ski", "pole", "gate"]


def test_the_default_class_stays_while_an_object_has_it_or_it_is_named(tmp_path):
    session = AnnotationSession(moving_squares(3), ColourEngine())
    session.add_object()
    session.use_classes(["skier"])
    assert session.classes == [DEFAULT_CLASS, "skier"]
    named = AnnotationSession(moving_squares(3), ColourEngine())
    named.use_classes(["skier", DEFAULT_CLASS])
    assert named.classes == [DEFAULT_CLASS, "skier"]
    with pytest.raises(ValueError, match="cannot be empty"):
        named.use_classes(["gate", ""])
    assert named.classes == [DEFAULT_CLASS, "skier"]


def test_a_taxonomy_given_again_keeps_the_classes_renamed_or_removed(tmp_path):
    session = _session(tmp_path)
    session.use_classes(["skier", "ski", "pole", "gate"])
    session.add_object("pole")
    session.rename_class("pole", "poles")
    session.remove_class("gate")
    session.close()
    path = tmp_path / "s.zarr"
    with AnnotationStore.open(path) as store:
        assert store.dropped_classes() == ["pole", "gate"]
    store = AnnotationStore.open(path, readonly=False)
    reopened = AnnotationSession(moving_squares(3), ColourEngine(), store=store)
    written = (path / "objects.json").read_bytes()
    left_out = reopened.use_classes(["skier", "ski", "pole", "gate"])
    assert left_out == ["pole", "gate"]
    assert reopened.classes == ["sky", "poles", "skier", "ski"]
    reopened.commit_all()
    assert (path / "objects.json").read_bytes() == written  # nothing changed: not written
    assert reopened.use_classes(["pole", "flag"]) == ["pole"]  # a new name is still added
    assert reopened.classes == ["sky", "poles", "skier", "ski", "flag"]
    reopened.add_class("gate")  # added by hand: back, and no longer left out
    assert reopened.use_classes(["gate"]) == [] and reopened.registry.dropped == ["pole"]
    reopened.undo()  # the addition taken back: left out again
    assert reopened.registry.dropped == ["pole", "gate"]
    reopened.close()


def test_undoing_a_rename_or_removal_gives_its_name_back_to_the_taxonomy(tmp_path):
    session = _session(tmp_path)
    session.rename_class("pole", "poles")
    session.remove_class("sky")
    session.undo(), session.undo()
    assert session.classes == ["sky", "pole"] and session.registry.dropped == ["poles"]
    assert session.use_classes(["pole", "sky", "poles"]) == ["poles"]
    session.commit_all()
    assert session.store.dropped_classes() == ["poles"]
    session.close()


def test_a_writer_that_knows_no_dropped_classes_keeps_the_stored_ones(tmp_path):
    session = _session(tmp_path)
    session.remove_class("sky")
    session.close()
    with AnnotationStore.open(tmp_path / "s.zarr", readonly=False) as store:
        store.write_objects([], ["pole"])  # e.g. an import of labels
        assert store.dropped_classes() == ["sky"]
        store.write_objects([], ["pole", "sky"])  # back in the list: no longer dropped
        assert store.dropped_classes() == []
