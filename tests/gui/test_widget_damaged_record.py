"""A damaged frame record (``frames/NNNNNN.json``) opens as a damaged labels chunk does: the
frame shows with no saved clicks and a warning, and its next commit repairs it."""

from __future__ import annotations

from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from support.widget import click, wait_idle


def test_a_damaged_frame_record_opens_empty_with_a_warning_and_is_repaired(saving, qtbot):
    """It stopped the store opening (the frame shown at start) or stepping to the frame."""
    widget, path = saving
    controller = widget.controller
    controller.go_to_frame(3)
    click(qtbot, controller, 144, 335)  # frame 3 annotated and saved
    assert controller.flush()
    obj = controller.current_object
    image = controller.layers.image_layer
    controller.close_session()
    for t in (0, 3):
        (path / "frames" / f"{t:06d}.json").write_bytes(b"")

    controller.start_session(image, create_engine("embedded"), store_path=str(path))
    wait_idle(qtbot, controller)  # it resumes on frame 3, the last edit's
    assert controller.frame == 3 and controller.clicks(3, obj) == []
    qtbot.waitUntil(lambda: "Frame 3's saved clicks and status cannot" in controller.last_message)
    assert "frames/000003.json" in controller.session.labels.unreadable[3]
    controller.go_to_frame(0)  # stepping onto one
    assert controller.frame == 0 and controller.clicks(0, obj) == []
    qtbot.waitUntil(lambda: "Frame 0's saved clicks and status cannot" in controller.last_message)
    controller.go_to_frame(3)

    click(qtbot, controller, 150, 340)
    assert controller.flush()
    with AnnotationStore.open(path) as store:
        assert store.frame_record(3)["clicks"][str(obj)]  # the record is whole again
        assert all("000003.json" not in p for p in store.problems)
