"""The npe2 plugin: manifest discovery, the reader and the sample data through napari's API."""

from __future__ import annotations

import numpy as np
import pytest
from npe2 import PluginManager, PluginManifest
from PIL import Image

from napari_skipclick._reader import napari_get_reader
from napari_skipclick._sample_data import sample_video_path
from napari_skipclick.io import VideoArray
from napari_skipclick.types import FrameRecord, VideoInfo

PLUGIN = "napari-skipclick"


def test_manifest_is_valid_and_discovered():
    manifest = PluginManifest.from_distribution(PLUGIN)  # schema validation, as `npe2 validate`
    assert manifest.name == PLUGIN
    pm = PluginManager()
    pm.discover()
    found = pm.get_manifest(PLUGIN)
    contributions = found.contributions
    assert [s.key for s in contributions.sample_data] == ["giant_slalom"]
    assert [w.display_name for w in contributions.widgets] == ["SkipClick annotation"]
    assert [r.command for r in contributions.readers] == [f"{PLUGIN}.get_reader"]
    assert contributions.readers[0].accepts_directories
    assert [w.layer_types for w in contributions.writers] == [["labels"]]
    readers = {r.plugin_name for r in pm.iter_compatible_readers(str(sample_video_path()))}
    assert PLUGIN in readers
    folder = sample_video_path().parent  # a frame folder or a store: any directory
    assert PLUGIN in {r.plugin_name for r in pm.iter_compatible_readers(str(folder))}
    for other in ("photo.tif", "frame.jpg", "notes.txt"):  # napari's own files: never asked
        assert PLUGIN not in {r.plugin_name for r in pm.iter_compatible_readers(other)}, other


def test_manifest_python_names_import():
    manifest = PluginManifest.from_distribution(PLUGIN)
    manifest.validate_imports()  # every python_name resolves, as `npe2 validate --imports`


def test_reader_accepts_videos_and_frame_folders_only(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "frames").mkdir()
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(tmp_path / "frames" / "0.png")
    (tmp_path / "nothing").mkdir()
    assert napari_get_reader(str(tmp_path / "notes.txt")) is None
    assert napari_get_reader(str(tmp_path / "nothing")) is None
    assert napari_get_reader([str(sample_video_path())] * 2) is None
    assert callable(napari_get_reader(str(tmp_path / "frames")))
    reader = napari_get_reader([str(sample_video_path())])
    [(data, kwargs, layer_type)] = reader(str(sample_video_path()))
    assert isinstance(data, VideoArray) and layer_type == "image"
    assert kwargs["rgb"] is True and kwargs["name"] == "giant_slalom"
    info = kwargs["metadata"]["video_info"]
    assert isinstance(info, VideoInfo) and info.n_frames == 127
    assert kwargs["metadata"]["path"] == str(sample_video_path())


def make_store(path, video_info: VideoInfo) -> np.ndarray:
    """A store for ``video_info`` with frame 3 annotated; returns that frame's labels."""
    from napari_skipclick.io.store import AnnotationStore
    from napari_skipclick.types import FrameStatus, ObjectInfo

    labels = np.zeros((video_info.height, video_info.width), np.uint32)
    labels[100:200, 300:400] = 1
    with AnnotationStore.open_or_create(path, video_info) as store:
        store.write_objects([ObjectInfo(1, "skier", "person", (255, 0, 0))], ["person"])
        store.commit_frame(
            3, labels, FrameRecord(FrameStatus.CLICKED, {1: [(150.0, 350.0, True, 0.0)]})
        )
    return labels


def test_reader_opens_a_store_as_labels(tmp_path):
    info = giant_slalom_info()
    labels = make_store(tmp_path / "run.zarr", info)
    reader = napari_get_reader(str(tmp_path / "run.zarr"))
    assert reader is not None
    [(data, kwargs, layer_type)] = reader(str(tmp_path / "run.zarr"))
    assert layer_type == "labels" and data.shape == (127, 480, 854)
    assert kwargs["name"] == "SkipClick labels (run.zarr)"
    np.testing.assert_array_equal(np.asarray(data[3]), labels)
    assert not np.asarray(data[4]).any()


def giant_slalom_info() -> VideoInfo:
    [(video, _, _)] = napari_get_reader(str(sample_video_path()))(str(sample_video_path()))
    return video.info


def _displayed(layer) -> np.ndarray:
    return np.asarray(layer._slice.image.raw)


@pytest.mark.gui
def test_sample_data_opens_lazily_in_napari(make_napari_viewer):
    viewer = make_napari_viewer()
    [layer] = viewer.open_sample(PLUGIN, "giant_slalom")
    assert layer._type_string == "image" and layer.rgb
    assert layer.data.shape == (127, 480, 854, 3) and layer.data.dtype == np.uint8
    video = layer.data
    assert isinstance(video, VideoArray)
    assert video.n_decoded < 60  # showing one frame did not decode the clip
    viewer.dims.set_point(0, 100)
    np.testing.assert_array_equal(_displayed(layer), video[100])
    assert video.n_decoded < 80
    assert layer.metadata["video_info"].fps == 24.0


@pytest.mark.gui
def test_viewer_opens_video_and_frame_folder_with_plugin(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    [layer] = viewer.open(sample_video_path(), plugin=PLUGIN)
    assert layer.name == "giant_slalom" and layer.data.shape == (127, 480, 854, 3)
    viewer.dims.set_point(0, 5)
    np.testing.assert_array_equal(_displayed(layer), layer.data[5])

    frames = tmp_path / "run_1"
    frames.mkdir()
    for i in (10, 2, 1):
        Image.fromarray(np.full((12, 16, 3), i * 20, np.uint8)).save(frames / f"img_{i}.png")
    [folder] = viewer.open(frames, plugin=PLUGIN)
    assert folder.name == "run_1" and folder.data.shape == (3, 12, 16, 3)
    viewer.dims.set_point(0, 2)
    assert _displayed(folder)[0, 0, 0] == 200  # natural order: img_1, img_2, img_10


@pytest.mark.gui
def test_viewer_reports_a_broken_video_clearly(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    with pytest.raises(ValueError, match=r"broken\.mp4: not a readable video"):
        viewer.open(broken, plugin=PLUGIN)
    assert len(viewer.layers) == 0


def test_the_reader_module_is_light_to_import():
    """napari imports it to ask whether it reads a file: no session, engine or scikit-image."""
    import subprocess
    import sys

    heavy = ("torch", "skimage", "napari_skipclick.session", "napari_skipclick.engines")
    code = (
        f"import sys, napari_skipclick._reader; print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.gui
def test_a_store_the_reader_opened_keeps_its_layer_when_a_session_starts(
    make_napari_viewer, qtbot, tmp_path
):
    """Both are named "SkipClick labels": Start took the reader's layer for the session, its
    store and the paint not saved yet gone."""
    from napari_skipclick._layer_data import STORE
    from napari_skipclick.engines import create_engine
    from napari_skipclick.io.store import AnnotationStore
    from support.widget import sample_widget, wait_idle

    info = VideoInfo("/elsewhere/clip.mp4", 4, 30, 40, 25.0, "fp-read")
    with AnnotationStore.open_or_create(tmp_path / "other.zarr", info) as store:
        store.commit_frame(1, np.ones((30, 40), np.uint32), FrameRecord("clicked", {}))
    viewer = make_napari_viewer()
    [read] = viewer.open(str(tmp_path / "other.zarr"), plugin=PLUGIN)
    read.paint((1, 5, 5), 2)  # held in memory until saved
    image, widget = sample_widget(viewer)
    widget.controller.start_session(image, create_engine("embedded"))
    wait_idle(qtbot, widget.controller)
    try:
        assert STORE in read.metadata and read.data.shape == (4, 30, 40)
        assert read.data[1][5, 5] == 2  # the paint is still there
        assert widget.controller.layers.labels is not read
    finally:
        widget.controller.close_session()


@pytest.mark.gui
def test_a_phone_photo_napari_shows_sideways_is_told_and_not_recorded(
    make_napari_viewer, tmp_path, monkeypatch
):
    """A portrait photo opened with napari's own reader is shown as stored (EXIF ignored): it
    was annotated sideways without a word, and its store named the photo, whose frames (turned
    upright when read) the masks did not fit: its export failed on the shapes."""
    import napari.utils.notifications

    from napari_skipclick._qt.widget import SkipClickWidget
    from napari_skipclick.engines import create_engine
    from napari_skipclick.io.store import AnnotationStore

    photo = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90° clockwise to show
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(photo, exif=exif)
    viewer = make_napari_viewer()
    [layer] = viewer.open(photo, plugin="napari")
    assert layer.data.shape[:2] == (40, 60)  # as stored
    warned = []
    monkeypatch.setattr(napari.utils.notifications, "show_warning", warned.append)
    widget = SkipClickWidget(viewer)
    store = tmp_path / "p.zarr"
    widget.controller.start_session(layer, create_engine("embedded"), store_path=str(store))
    assert any("portrait.jpg as stored, not upright" in w for w in warned)
    widget.controller.close_session()
    with AnnotationStore.open(store) as opened:
        assert opened.video.path == ""


def test_a_folder_of_16_bit_tiff_frames_opens_as_a_video(make_napari_viewer, tmp_path):
    """napari said the plugin "refused the file" for a folder of 16-bit TIFF frames (a
    microscope's or a camera's), though the plugin reads a TIFF's own pages as frames."""
    folder = tmp_path / "tif16"
    folder.mkdir()
    for t in range(3):
        frame = np.full((24, 32), 1000 * t, np.uint16)
        frame[8:16, 10:20] = 4000  # 12-bit data: scaled from 0..4095
        Image.fromarray(frame).save(folder / f"{t:03d}.tif")
    viewer = make_napari_viewer()
    [layer] = viewer.open(folder, plugin=PLUGIN)
    assert isinstance(layer.data, VideoArray)
    assert layer.data.shape == (3, 24, 32, 3)
    frames = np.asarray(layer.data[:])
    scaled = [round(v * 255 / 4095) for v in (0, 1000, 2000, 4000)]
    assert [int(f[0, 0, 0]) for f in frames] == scaled[:3]
    assert (frames[:, 8:16, 10:20] == scaled[3]).all()
