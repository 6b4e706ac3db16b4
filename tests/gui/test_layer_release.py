"""Removing a video layer from the viewer releases its file, unless another layer shows it."""

from __future__ import annotations

import pytest

from napari_skipclick._qt.widget import SkipClickWidget
from napari_skipclick._sample_data import giant_slalom
from napari_skipclick.io import VideoError
from support.widget import click

pytestmark = [pytest.mark.gui]


def test_removed_video_layer_is_closed(make_napari_viewer):
    viewer = make_napari_viewer()
    widget = SkipClickWidget(viewer)
    viewer.window.add_dock_widget(widget, name="SkipClick")
    data, kwargs, _ = giant_slalom()[0]
    layer = viewer.add_image(data, **kwargs)
    twin = viewer.add_image(data, name="same video")
    viewer.layers.remove(layer)
    assert data.frame(3).shape == (480, 854, 3)  # still shown by the twin: kept open
    viewer.layers.remove(twin)
    with pytest.raises(VideoError, match="closed"):
        data.frame(3)


def test_removing_the_annotated_layer_ends_the_session(annotator, qtbot):
    viewer, widget = annotator
    controller = widget.controller
    image = controller.layers.image_layer
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    prompts = controller.layers.prompts
    viewer.layers.remove(image)
    assert controller.session is None
    # the widget says so: Start (not Apply), no session (not "no store chosen"), no old points
    assert widget.setup_panel.start_button.text() == "Start annotating"
    assert widget.save_label.text() == "No session running"
    assert len(prompts.data) == 0


def test_the_plugin_widget_knows_its_layers_through_napari_proxies(
    make_napari_viewer, qtbot, feature_cache
):
    """napari gives a plugin's widget proxies of its layers: identity must see through them."""
    from napari_skipclick.engines import create_engine
    from support.widget import wait_idle

    viewer = make_napari_viewer()
    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    panel = widget.objects_panel
    assert panel.import_combo.count() == 0  # its own labels layer is not offered for import
    viewer.layers.remove(image)  # the annotated layer: the session ends ...
    assert controller.session is None
    assert data.frame(2).shape == (480, 854, 3)  # ... and its video is not closed under it


def test_the_plugin_widget_touches_no_private_napari_attribute(
    make_napari_viewer, qtbot, feature_cache
):
    """napari warns (FutureWarning) when a plugin's widget reads its viewer's private
    attributes: a session started in the widget napari builds must give no such warning, and
    the *new* button of the labels controls still adds an object."""
    import warnings

    from napari_skipclick._qt.keybindings import new_label_button
    from napari_skipclick.engines import create_engine
    from support.widget import wait_idle

    viewer = make_napari_viewer()
    data, kwargs, _ = giant_slalom()[0]
    image = viewer.add_image(data, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
        controller = widget.controller
        controller.start_session(image, create_engine("embedded"), cache=feature_cache)
        wait_idle(qtbot, controller)
        assert controller.session.objects == []
        button = new_label_button(controller.layers.labels)
        assert button is not None and new_label_button(controller.layers.prompts) is None
        button.click()
    assert [o.id for o in controller.session.objects] == [1]
    assert controller.current_object == 1 == controller.layers.labels.selected_label
    controller.close_session()


def test_a_removed_layer_is_told_but_closing_the_viewer_is_not(
    make_napari_viewer, qtbot, feature_cache, monkeypatch
):
    """napari's close takes every layer out before its window goes: that ended the session
    with the notice "a layer of the session was removed" on every close."""
    from napari_skipclick._qt import controller as controller_module
    from napari_skipclick._qt import messages
    from napari_skipclick.engines import create_engine
    from support.widget import sample_widget, wait_idle

    told: list[str] = []
    monkeypatch.setattr(controller_module, "show_warning", told.append)
    monkeypatch.setattr(messages, "show_warning", told.append)
    for close in (False, True):
        viewer = make_napari_viewer()
        image, widget = sample_widget(viewer)
        controller = widget.controller
        controller.start_session(image, create_engine("embedded"), cache=feature_cache)
        wait_idle(qtbot, controller)
        if close:
            viewer.close()
        else:
            viewer.layers.remove(controller.layers.prompts)
        assert controller.session is None
        qtbot.wait(20)
        assert told == [controller_module.LAYER_REMOVED]  # the removal once, the close never


def test_the_labels_and_clicks_follow_the_image_scaled_or_moved(annotator, qtbot):
    """They stayed where the image had been: a click landed on other pixels than it showed."""
    _, widget = annotator
    layers = widget.controller.layers
    image = layers.image_layer
    image.scale = (1, 3, 3)
    image.translate = (0, 10, 20)
    assert tuple(layers.labels.scale) == (1, 3, 3) and tuple(layers.prompts.scale) == (3, 3)
    assert tuple(layers.labels.translate) == (0, 10, 20)
    assert tuple(layers.prompts.translate) == (10, 20)
    world = image.data_to_world((0, 144, 335))  # the skier, where the screen shows it
    assert tuple(layers.labels.world_to_data(world)) == pytest.approx((0, 144, 335))


def test_start_on_another_video_puts_it_and_its_masks_on_top(annotator, qtbot, feature_cache):
    """Start on a second video reused the labels layer where it was, under the new opaque
    image: the masks were drawn and clicked on unseen; back on the first, it showed the second."""
    import numpy as np

    from napari_skipclick.engines import create_engine
    from support.widget import wait_idle

    viewer, widget = annotator
    controller = widget.controller
    first = controller.layers.image_layer
    second = viewer.add_image(np.zeros((3, 48, 64, 3), np.uint8), rgb=True, name="second")
    for image in (second, first):
        controller.close_session()
        controller.start_session(image, create_engine("embedded"), cache=feature_cache)
        wait_idle(qtbot, controller)
        names = [layer.name for layer in viewer.layers]
        assert names[-3:] == [image.name, "SkipClick labels", "SkipClick prompts"], names


def test_the_labels_and_clicks_follow_the_image_rotated_or_sheared(annotator, qtbot):
    """Only scale and translate were followed: on an image rotated (a phone video turned
    upright in napari) a click landed on another pixel and the masks lay unrotated over it."""
    import numpy as np

    _, widget = annotator
    layers = widget.controller.layers
    image = layers.image_layer
    image.rotate = 30
    image.shear = [0.0, 0.0, 0.2]
    world = image.data_to_world((0, 144, 335))
    assert tuple(layers.labels.world_to_data(world)) == pytest.approx((0, 144, 335))
    assert tuple(layers.prompts.world_to_data(world[1:])) == pytest.approx((144, 335))
    image.affine = np.diag([1.0, 2.0, 0.5, 1.0])
    world = image.data_to_world((0, 200, 100))
    assert tuple(layers.labels.world_to_data(world)) == pytest.approx((0, 200, 100))
    assert tuple(layers.prompts.world_to_data(world[1:])) == pytest.approx((200, 100))


def test_a_session_without_a_store_leaves_its_labels_to_the_next(annotator, qtbot, feature_cache):
    """Start again (or Apply on another video) after a session with no store took its labels
    layer over: the masks were gone without a question."""
    import numpy as np

    from napari_skipclick.engines import create_engine
    from support.widget import wait_idle

    viewer, widget = annotator
    controller = widget.controller
    image = controller.layers.image_layer
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    wait_idle(qtbot, controller)
    earlier = controller.layers.labels
    painted = int(np.count_nonzero(earlier.data[0]))
    assert painted > 0
    controller.close_session()
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    assert controller.layers.labels is not earlier
    assert earlier in viewer.layers and earlier.name == "SkipClick labels (not saved)"
    assert int(np.count_nonzero(earlier.data[0])) == painted
    assert not np.asarray(controller.layers.labels.data[0]).any()
    earlier.data[0, :10, :10] = 5  # by code: into its own labels, never the new session's
    assert (np.asarray(earlier.data[0])[:10, :10] == 5).all()
    assert not np.asarray(controller.layers.labels.data[0]).any()
    controller.close_session()  # nothing of its own: its layer is the next session's again
    assert controller.layers is None
    assert [n for n in (layer.name for layer in viewer.layers) if "(not saved)" in n] == [
        "SkipClick labels (not saved)"
    ]


def test_the_session_labels_are_not_replaced_and_copy_as_plain_arrays(annotator, qtbot):
    """``labels.data = ...`` cut the layer off the session (masks no longer shown, paint saved
    nowhere, "All changes saved"); Duplicate Layer and Convert datatype raised errors."""
    import numpy as np
    from napari.layers._layer_actions import _convert_dtype, _duplicate_layer

    from support.widget import wait_idle

    viewer, widget = annotator
    controller = widget.controller
    labels = controller.layers.labels
    session_data = labels.data
    labels.data = np.zeros(labels.data.shape, np.uint8)
    assert labels.data is session_data
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    wait_idle(qtbot, controller)
    viewer.layers.selection.active = labels
    _convert_dtype(viewer.layers, "uint16")
    assert labels.data is session_data  # the session's, as before
    _duplicate_layer(viewer.layers)
    copy = viewer.layers[f"{labels.name} copy"]
    assert isinstance(copy.data, np.ndarray)
    np.testing.assert_array_equal(copy.data[0], np.asarray(labels.data[0]))
    copy.data[0, :5, :5] = 7  # a layer of its own: the session's labels stay
    assert not np.asarray(labels.data[0][:5, :5] == 7).any()
    viewer.layers.selection.active = controller.layers.image_layer
    _duplicate_layer(viewer.layers)  # the video shown through the widget's display
    video_copy = viewer.layers[f"{controller.layers.image_layer.name} copy"]
    assert video_copy.data.shape == controller.layers.image_layer.data.shape
    np.testing.assert_array_equal(
        np.asarray(video_copy.data[2]), np.asarray(controller.layers.image_layer.data.video[2])
    )
