"""The store through napari: the plugin's writer saves a labels layer, the reader reopens it."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick._writer import write_labels
from napari_skipclick.io.store import AnnotationStore, StoreError, StoreMismatchError
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

PLUGIN = "napari-skipclick"


def painted(shape=(3, 20, 30)) -> np.ndarray:
    labels = np.zeros(shape, np.uint32)
    labels[0, 2:6, 3:9] = 1
    labels[2, 10:15, 5:25] = 2
    labels[2, 0, 0] = 300
    return labels


@pytest.mark.gui
def test_save_labels_layer_with_the_plugin_and_reopen(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    layer = viewer.add_labels(painted(), name="painted")
    path = tmp_path / "saved.zarr"
    written = viewer.layers.save(str(path), plugin=PLUGIN)
    assert written == [str(path)]

    store = AnnotationStore.open(path)
    np.testing.assert_array_equal(np.asarray(store.labels), painted())
    assert store.annotated_frames() == [0, 2]  # the empty frame 1 is not written
    assert [o.id for o in store.objects()] == [1, 2, 300]
    assert store.statuses() == {0: FrameStatus.CLICKED, 2: FrameStatus.CLICKED}

    layer.data[2, 10:15, 5:25] = 0  # edit and save again: the same store is updated
    viewer.layers.save(str(path), plugin=PLUGIN)
    assert not AnnotationStore.open(path).read_labels(2)[10:15, 5:25].any()

    [reopened] = viewer.open(str(path), plugin=PLUGIN)
    assert reopened.name == "SkipClick labels (saved.zarr)" and reopened._type_string == "labels"
    np.testing.assert_array_equal(np.asarray(reopened.data), np.asarray(layer.data))
    assert [o["name"] for o in reopened.metadata["objects"]] == [
        "object 1",
        "object 2",
        "object 300",
    ]


def test_writer_keeps_store_objects_video_and_refuses_another_video(tmp_path):
    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, video) as store:
        store.write_objects([ObjectInfo(2, "skier", "person", (9, 9, 9))], ["person"])
        store.commit_frame(
            2, painted()[2], FrameRecord(FrameStatus.REVIEWED, {2: [(12.0, 6.0, True, 1.0)]})
        )
    meta = {"metadata": {"video_info": video}}
    assert write_labels(str(path), painted(), meta) == [str(path)]
    store = AnnotationStore.open(path)
    assert store.objects()[1] == ObjectInfo(2, "skier", "person", (9, 9, 9))
    assert store.statuses()[2] == FrameStatus.REVIEWED  # unchanged frame: status and clicks kept
    assert store.clicks(2) == {2: [(12.0, 6.0, True, 1.0)]}
    with pytest.raises(StoreMismatchError):
        write_labels(str(path), painted((4, 20, 30)), {})
    with pytest.raises(StoreError, match="T, H, W"):
        write_labels(str(tmp_path / "x.zarr"), np.zeros((1, 2, 3, 4), np.uint8), {})
    single = tmp_path / "one.zarr"
    write_labels(str(single), painted()[0], {"metadata": {}})
    assert AnnotationStore.open(single).read_labels(0).sum() == painted()[0].sum()


def test_labels_that_are_no_object_ids_are_refused_before_a_store_is_made(
    make_napari_viewer, tmp_path
):
    """napari takes a writer's ValueError for "not a valid writer" and hides it: the refusal
    is a StoreError that reaches the user, and no half-made store is left."""
    import napari

    labels = np.zeros((3, 20, 30), np.int64)
    labels[1, 2, 2] = -1
    with pytest.raises(StoreError, match="frame 1: it holds the label -1"):
        write_labels(str(tmp_path / "neg.zarr"), labels, {})
    assert not (tmp_path / "neg.zarr").exists()
    viewer = make_napari_viewer()
    layer = viewer.add_labels(labels)
    with pytest.raises(StoreError, match="it holds the label -1"):
        napari.save_layers(str(tmp_path / "gui.zarr"), [layer], plugin="napari-skipclick")
    assert not (tmp_path / "gui.zarr").exists()


@pytest.mark.gui
def test_a_store_opened_in_napari_takes_paint_and_saves_it(make_napari_viewer, tmp_path):
    """The reader's store is read-only: napari's brush and fill paint copies of the frames,
    the store changes only when the layer is saved (frames painted become *clicked*, the
    others keep the statuses the layer was read with, in the same store or a new one)."""
    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, video) as store:
        store.write_objects([ObjectInfo(2, "skier", "person", (9, 9, 9))], ["person"])
        store.commit_frame(0, painted()[0], FrameRecord(FrameStatus.NEEDS_REVIEW, {}))
        store.commit_frame(
            2, painted()[2], FrameRecord(FrameStatus.REVIEWED, {2: [(12.0, 6.0, True, 1.0)]})
        )
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(path), plugin=PLUGIN)
    assert layer.editable
    viewer.dims.set_point(0, 2)
    layer.mode, layer.brush_size = "paint", 3
    layer.paint((2, 3, 20), 2)  # a brush dab
    layer.fill((2, 18, 2), 2)  # the background flooded
    assert layer.data[2, 3, 20] == 2 and layer.data[2, 18, 2] == 2
    layer.paint((1, 5, 5), 2)
    layer.undo()  # napari's own undo takes the dab on frame 1 back
    assert not np.asarray(layer.data[1]).any()
    assert (AnnotationStore.open(path).read_labels(2) == painted()[2]).all()  # not saved yet

    copy = tmp_path / "copy.zarr"
    viewer.layers.save(str(copy), plugin=PLUGIN)
    viewer.layers.save(str(path), plugin=PLUGIN)
    for saved in (path, copy):
        store = AnnotationStore.open(saved)
        labels = store.read_labels(2)
        assert labels[3, 20] == 2 and labels[18, 2] == 2 and labels[0, 0] == 300
        assert store.annotated_frames() == [0, 2]
        assert store.statuses() == {0: FrameStatus.NEEDS_REVIEW, 2: FrameStatus.CLICKED}
        assert store.video == video and {o.id: o.name for o in store.objects()}[2] == "skier"


def test_a_plain_labels_layers_store_is_taken_by_the_first_video_of_its_size(tmp_path):
    """A Labels layer that knows no video is saved as a store of its size; the video then
    opened with it (the widget's Store field, ``annotate --store``) makes it its own."""
    path = tmp_path / "plain.zarr"
    write_labels(str(path), painted(), {})
    assert AnnotationStore.open(path).video.labels_only
    with pytest.raises(StoreMismatchError, match="fingerprint labels-layer:3x20x30"):  # whole
        AnnotationStore.open_or_create(path, VideoInfo("/v/b.mp4", 4, 20, 30, 25.0, "fp-b"))
    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    with AnnotationStore.open_or_create(path, video) as store:
        assert store.video == video
        np.testing.assert_array_equal(store.read_labels(2), painted()[2])
    assert AnnotationStore.open(path).video == video  # recorded: now a.mp4's store only
    with pytest.raises(StoreMismatchError):
        AnnotationStore.open_or_create(path, VideoInfo("/v/c.mp4", 3, 20, 30, 25.0, "fp-c"))
    with pytest.raises(StoreMismatchError, match="a plain Labels layer is never saved into"):
        write_labels(str(path), np.zeros((3, 20, 30), np.uint32), {})  # nor overwrites it
    np.testing.assert_array_equal(AnnotationStore.open(path).read_labels(2), painted()[2])


@pytest.mark.gui
def test_a_store_with_ids_past_what_napari_draws_opens_and_draws(make_napari_viewer, tmp_path):
    """Another tool's store may hold uint32 labels past 65535, which napari cannot colour
    without numba: the layer opens and draws them grey; our own writer refuses them."""
    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    labels = painted()[2]
    labels[0:4, 0:4] = 70_000
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, video) as store:
        store.write_objects([ObjectInfo(70_000, "far", "object", (1, 2, 3))], ["object"])
        store.commit_frame(2, labels, FrameRecord(FrameStatus.CLICKED, {}))
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(path), plugin=PLUGIN)
    viewer.dims.set_point(0, 2)
    viewer.screenshot()  # raised "Please install numba" with a colour for 70000
    assert tuple(layer.get_color(70_000)) == (0.5, 0.5, 0.5, 1.0)
    with pytest.raises(StoreError, match="label 70000; object IDs are 1 to 65535"):
        write_labels(str(tmp_path / "new.zarr"), labels, {})


SKIER = ObjectInfo(2, "skier", "person", (9, 9, 9))


def _annotated_store(path, video, frames=(0, 2), obj=SKIER):
    """A store whose frames hold ``obj`` with a click, a propagated frame's marks and courses."""
    with AnnotationStore.open_or_create(path, video) as store:
        store.write_objects([obj], [obj.class_name])
        for t in frames:
            labels = np.zeros((20, 30), np.uint32)
            labels[10:15, 5:25] = obj.id
            record = FrameRecord(
                FrameStatus.NEEDS_REVIEW,
                {obj.id: [(12.0, 6.0, True, 1.0 + t)]},
                engine_key="embedded",
                carried=[obj.id],
                review={obj.id: "in doubt"},
            )
            store.commit_frame(t, labels, record)
            store.write_courses(t, {obj.id: {"shift": np.array([1.0, 2.0])}})
    return path


def test_a_store_saved_under_a_new_path_keeps_every_frames_commit(tmp_path):
    """Saved as a new store, the reader's layer lost every click, propagation's marks and the
    courses; a painted frame alone is the annotator's now (clicked, no clicks)."""
    from napari_skipclick._reader import read_store

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    source = _annotated_store(tmp_path / "s.zarr", video)
    [(data, meta, _)] = read_store(str(source))
    data[2, 0:2, 0:2] = 2  # napari's brush on frame 2
    write_labels(str(tmp_path / "new.zarr"), data, meta)
    with AnnotationStore.open(tmp_path / "new.zarr") as new, AnnotationStore.open(source) as old:
        assert new.clicks(0) == old.clicks(0) and new.frame_record(0)["engine_key"] == "embedded"
        assert new.review_reasons() == {0: {2: "in doubt"}}
        assert (0, 2) in new.carried_masks() and new.read_courses(0).keys() == {2}
        assert new.statuses() == {0: FrameStatus.NEEDS_REVIEW, 2: FrameStatus.CLICKED}
        assert new.clicks(2) == {} and new.read_labels(2)[0, 0] == 2


def test_the_widgets_layer_saved_as_a_new_store_keeps_the_clicks_of_saved_frames(tmp_path):
    from napari_skipclick._layer_data import SAVED_IN, VIDEO

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    source = _annotated_store(tmp_path / "s.zarr", video)
    with AnnotationStore.open(source) as store:
        labels = np.stack([store.read_labels(t) for t in range(3)])
    meta = {"metadata": {VIDEO: dict(video.__dict__), SAVED_IN: str(source)}}
    write_labels(str(tmp_path / "new.zarr"), labels, meta)
    with AnnotationStore.open(tmp_path / "new.zarr") as new:
        assert new.clicks(2) == {2: [(12.0, 6.0, True, 3.0)]}


def test_a_layer_of_other_annotations_is_not_saved_over_a_store(tmp_path):
    """Annotator 1's layer saved onto annotator 2's store of the same video emptied its frames
    (statuses kept) and renamed its objects, without a word."""
    from napari_skipclick._reader import read_store

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    first = _annotated_store(tmp_path / "one.zarr", video, frames=(0,))
    second = _annotated_store(
        tmp_path / "two.zarr", video, frames=(2,), obj=ObjectInfo(2, "pole", "pole", (1, 1, 1))
    )
    [(data, meta, _)] = read_store(str(first))
    with pytest.raises(StoreError, match=r"\(frame 2 holds objects the layer has none of"):
        write_labels(str(second), data, meta)
    with AnnotationStore.open(second) as store:
        labels = np.stack([store.read_labels(t) for t in range(3)])  # the same frames
    with pytest.raises(StoreError, match=r"object 2 is 'pole' there, 'skier' in the layer"):
        write_labels(str(second), labels, meta)
    with AnnotationStore.open(second) as store:
        assert store.read_labels(2).any() and store.objects()[0].name == "pole"


def test_a_store_saved_back_keeps_what_others_saved_there_since(tmp_path):
    """Saved back into the store it was read from, the layer rolled back every frame another
    session had saved since it was opened."""
    from napari_skipclick._reader import read_store

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    path = _annotated_store(tmp_path / "s.zarr", video, frames=(0,))
    [(data, meta, _)] = read_store(str(path))
    data[0, 0:2, 0:2] = 2  # napari's brush
    with AnnotationStore.open_or_create(path, video) as store:  # another session, meanwhile
        pole = ObjectInfo(3, "pole", "pole", (1, 1, 1))
        store.write_objects([*store.objects(), pole], ["person", "pole"])
        labels = np.zeros((20, 30), np.uint32)
        labels[1:3, 20:29] = 3
        store.commit_frame(
            2, labels, FrameRecord(FrameStatus.CLICKED, {3: [(2.0, 25.0, True, 9.0)]})
        )
    write_labels(str(path), data, meta)
    with AnnotationStore.open(path) as store:
        assert [o.id for o in store.objects()] == [2, 3]
        assert (
            store.clicks(2) == {3: [(2.0, 25.0, True, 9.0)]} and (store.read_labels(2) == 3).any()
        )
        assert store.read_labels(0)[0, 0] == 2 and store.statuses()[0] == FrameStatus.CLICKED


def test_a_frame_cleared_in_the_layer_is_saved_again_not_refused(tmp_path):
    """A store saved as a new one, then a frame cleared in napari: saving it again was refused
    as another annotator's store; a plain layer's store the same (napari overwrites files)."""
    from napari_skipclick._reader import read_store

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    source = _annotated_store(tmp_path / "s.zarr", video)
    [(data, meta, _)] = read_store(str(source))
    write_labels(str(tmp_path / "copy.zarr"), data, meta)
    data[2] = 0  # the wrong mask of frame 2 cleared
    write_labels(str(tmp_path / "copy.zarr"), data, meta)
    with AnnotationStore.open(tmp_path / "copy.zarr") as copy:
        assert not copy.read_labels(2).any() and copy.read_labels(0).any()
    plain = painted()
    write_labels(str(tmp_path / "plain.zarr"), plain, {})
    plain[0] = 0  # the only object of frame 0 erased
    write_labels(str(tmp_path / "plain.zarr"), plain, {})
    with AnnotationStore.open(tmp_path / "plain.zarr") as store:
        assert not store.read_labels(0).any()


def test_saving_the_readers_layer_keeps_the_objects_marked_not_here(tmp_path):
    """A frame holding absent marks alone was left out of a new store (the object then
    propagated back onto it, the export lost the negative example), and a frame painted in
    napari lost its marks when saved back."""
    from napari_skipclick._reader import read_store

    video = VideoInfo("/videos/a.mp4", 3, 20, 30, 25.0, "fp-a")
    source = _annotated_store(tmp_path / "s.zarr", video, frames=(0,))
    with AnnotationStore.open_or_create(source, video) as store:
        store.commit_frame(
            1, np.zeros((20, 30), np.uint32), FrameRecord(FrameStatus.CLICKED, {}, absent=[2])
        )
        store.commit_frame(
            2, np.zeros((20, 30), np.uint32), FrameRecord(FrameStatus.CLICKED, {}, absent=[2])
        )
    [(data, meta, _)] = read_store(str(source))
    write_labels(str(tmp_path / "new.zarr"), data, meta)
    with AnnotationStore.open(tmp_path / "new.zarr") as new:
        assert new.absent_marks() == {(1, 2), (2, 2)} and new.annotated_frames() == [0, 1, 2]
    data[2, 0:2, 0:2] = 3  # napari's brush: another object on frame 2
    write_labels(str(source), data, meta)
    with AnnotationStore.open(source) as store:
        assert store.absent_marks() == {(1, 2), (2, 2)} and store.read_labels(2)[0, 0] == 3


class FramesRead(np.ndarray):
    """Labels that note every frame read."""

    read: list[int]

    def __getitem__(self, key):
        if isinstance(key, int):
            self.read.append(key)
        return super().__getitem__(key)


def test_the_writer_reads_and_writes_only_the_frames_it_is_given(tmp_path):
    """A session's recovery copy writes its changed frames alone, each reported as it goes
    (a long clip's other frames, never changed, were read one by one)."""
    labels = painted((5, 20, 30)).view(FramesRead)
    labels.read = []
    reported: list[int] = []
    write_labels(str(tmp_path / "some.zarr"), labels, {}, only=[2, 0], on_frame=reported.append)
    assert reported == [0, 2] and set(labels.read) == {0, 2}
    with AnnotationStore.open(tmp_path / "some.zarr") as store:
        assert store.annotated_frames() == [0, 2] and store.video.n_frames == 5
        np.testing.assert_array_equal(store.read_labels(2), painted((5, 20, 30))[2])
