"""Frame panel: per-frame status strip, click sign, undo/redo, accept, zoom, propagation."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QRect, Qt, Signal
from qtpy.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from qtpy.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..session.review_stops import review_stops
from ..types import FrameStatus
from .propagating import review_text

STATUS_COLORS: dict[FrameStatus, str] = {
    FrameStatus.EMPTY: "#3a3f47",
    FrameStatus.CLICKED: "#3b82f6",
    FrameStatus.PROPAGATED: "#22c55e",
    FrameStatus.NEEDS_REVIEW: "#f97316",
    FrameStatus.REVIEWED: "#a855f7",
    FrameStatus.IMPORTED: "#14b8a6",
}


class FrameStrip(QWidget):
    """One coloured cell per frame (its status) and a marker on the frame shown; click to jump."""

    frame_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_frames = 0
        self.current = 0
        self.statuses: dict[int, FrameStatus] = {}
        self.setMinimumHeight(18)
        self.setMaximumHeight(18)
        legend = ", ".join(f"{s.value}: {c}" for s, c in STATUS_COLORS.items())
        self.setToolTip(f"Frame statuses ({legend}); click to go to a frame")

    def set_state(self, n_frames: int, current: int, statuses: dict[int, FrameStatus]) -> None:
        self.n_frames, self.current, self.statuses = n_frames, current, statuses
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        width, height = self.width(), self.height()
        painter.fillRect(0, 0, width, height, QColor(STATUS_COLORS[FrameStatus.EMPTY]))
        if self.n_frames:
            for t, status in self.statuses.items():
                x0, x1 = self._x(t), max(self._x(t + 1), self._x(t) + 1)
                painter.fillRect(QRect(x0, 0, x1 - x0, height), QColor(STATUS_COLORS[status]))
            # the frame on screen: white above and below, its own status seen between them
            x = self._x(self.current)
            wide, bar = max(2, self._x(self.current + 1) - x), max(2, height // 4)
            painter.fillRect(QRect(x, 0, wide, bar), Qt.white)
            painter.fillRect(QRect(x, height - bar, wide, bar), Qt.white)
        painter.end()

    def _x(self, t: int) -> int:
        return round(t * self.width() / max(self.n_frames, 1))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.n_frames:
            t = int(event.position().x() * self.n_frames / max(self.width(), 1))
            self.frame_clicked.emit(min(max(t, 0), self.n_frames - 1))


class FramePanel(QWidget):
    """Controls that act on the frame on screen."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.strip = FrameStrip()
        self.strip.frame_clicked.connect(controller.go_to_frame)
        self.frame_label = QLabel("No session")
        self.sign_button = QPushButton()
        self.sign_button.setCheckable(True)
        self.sign_button.clicked.connect(controller.toggle_sign)
        undo = _button("Undo", "Undo the last edit (Ctrl+Z)", controller.undo)
        redo = _button("Redo", "Redo (Ctrl+Shift+Z)", controller.redo)
        accept = _button(
            "Accept", "Mark this frame reviewed and save it (Enter)", controller.accept_frame
        )
        self.zoom_button = _button(
            "Zoom mode (R)",
            "Decode clicks in a crop around the object, so small objects (poles, skis, a distant "
            "skier) get fine masks; switching it on refines the current object",
            controller.toggle_zoom,
        )
        self.zoom_button.setCheckable(True)
        previous_review = _button(
            "◀ Review",
            "Go to the previous frame that needs review (Shift+N)",
            lambda: controller.go_to_review(-1),
        )
        self.next_review = _button(
            "Review ▶",
            "Go to the next frame that needs review and say why it does (N)",
            lambda: controller.go_to_review(1),
        )
        self.absent_button = absent = _button(
            "Not here (H)",
            "The current object is not on this frame (hidden, out of view): its mask and clicks "
            "here go, and propagation and fill no longer carry it onto this frame",
            controller.mark_absent,
        )
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(0, 100000)
        self.frames_spin.setValue(10)
        self.frames_spin.setSpecialValueText("to the end")
        self.frames_spin.setSuffix(" frames")
        self.frames_spin.setToolTip("How many frames to propagate (0: to the end)")
        back = _button("◀ Propagate", "Propagate backward (Shift+Left)", lambda: self.propagate(-1))
        forward = _button(
            "Propagate ▶", "Propagate forward (Shift+Right)", lambda: self.propagate(1)
        )
        cancel = _button("Cancel", "Stop background work (Escape)", controller.cancel)
        fill_back = _button(
            "◀ Fill",
            "Carry the objects into the frames between two keyframes (clicked, accepted or "
            "imported frames), each frame from the nearer one: the gap before this frame "
            "(Shift+B)",
            lambda: self.fill(-1),
        )
        fill_ahead = _button(
            "Fill ▶",
            "Carry the objects into the frames between two keyframes (clicked, accepted or "
            "imported frames), each frame from the nearer one: the gap after this frame "
            "(Shift+F)",
            lambda: self.fill(1),
        )
        fill_every = _button(
            "Fill all",
            "Fill every gap between two keyframes of the clip, as ◀ Fill / Fill ▶ do, in one "
            "run (one undo step)",
            self.fill_all,
        )
        self.override_box = QCheckBox("clicks may take other objects' pixels")
        self.override_box.setToolTip(
            "Off: a pixel stays with the object that has it. On: the current object's new mask "
            "takes the pixels it covers from other objects"
        )
        self.override_box.toggled.connect(lambda on: setattr(controller, "override", on))
        self.current_only = QCheckBox("only the current object")
        self.current_only.setToolTip(
            "Propagate or fill the current object only (else every object here)"
        )

        edit_row = QGridLayout()
        for column, widget in enumerate((self.sign_button, undo, redo)):
            edit_row.addWidget(widget, 0, column)
        edit_row.addWidget(accept, 1, 0)
        edit_row.addWidget(self.zoom_button, 1, 1, 1, 2)
        edit_row.addWidget(previous_review, 2, 0)
        edit_row.addWidget(self.next_review, 2, 1)
        edit_row.addWidget(absent, 2, 2)
        propagate_row = QHBoxLayout()
        for widget in (back, self.frames_spin, forward, cancel):
            propagate_row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.frame_label)
        layout.addWidget(self.strip)
        layout.addLayout(edit_row)
        layout.addWidget(self.override_box)
        fill_row = QHBoxLayout()
        between = QLabel("between keyframes:")
        fill_row.addWidget(between)
        for widget in (fill_back, fill_ahead, fill_every):
            fill_row.addWidget(widget)
        layout.addLayout(propagate_row)
        layout.addLayout(fill_row)
        layout.addWidget(self.current_only)
        #: what works across frames, hidden for a single image (a photo) and separate photos
        self.video_only = [
            self.strip, previous_review, self.next_review, back, self.frames_spin, forward,
            between, fill_back, fill_ahead, fill_every, self.current_only,
        ]  # fmt: skip
        for signal in (
            controller.statuses_changed,
            controller.frame_changed,
            controller.session_changed,
            controller.busy_changed,
            controller.mode_changed,
        ):
            signal.connect(self.refresh)
        # not on a frame step: it reads each frame in review (some 30 µs each)
        for signal in (
            controller.statuses_changed,
            controller.session_changed,
            controller.objects_changed,
            controller.busy_changed,
        ):
            signal.connect(self.count_reviews)
        self.refresh()
        self.count_reviews()

    def propagate(self, direction: int) -> None:
        """Propagate every object on this frame, or only the current one when ticked."""
        self.controller.propagate(direction, self.frames_spin.value() or None, self._only())

    def fill(self, direction: int) -> None:
        """Fill the gap between keyframes after (+1) or before (-1) this frame: every object
        on its keyframes, or only the current one when ticked."""
        self.controller.fill(direction, self._only())

    def fill_all(self) -> None:
        """Fill every gap between keyframes: every object on its keyframes, or only the
        current one when ticked."""
        self.controller.fill_all(self._only())

    def _only(self) -> list[int] | None:
        """The current object when *only the current object* is ticked, else None (all)."""
        current = self.controller.current_object
        return [current] if self.current_only.isChecked() and current is not None else None

    def refresh(self, *_args: Any) -> None:
        session = self.controller.session
        positive = self.controller.positive
        self.sign_button.setChecked(not positive)
        self.zoom_button.setChecked(self.controller.zoom)
        self.override_box.setChecked(self.controller.override)
        self.sign_button.setText("Clicks: positive (T)" if positive else "Clicks: negative (T)")
        across = session is None or (session.n_frames > 1 and not self.controller.source.photos)
        for widget in self.video_only:
            widget.setVisible(across)
        self.absent_button.setVisible(not self.controller.source.photos)
        if session is None:
            self.frame_label.setText("No session: choose an image and press Start")
            self.frame_label.setToolTip("")
            self.strip.set_state(0, 0, {})
            return
        t = self.controller.frame
        status = session.status(t)
        busy = " · working …" if not self.controller.idle else ""
        where = self.controller.source.where(t, session.n_frames)
        layers = self.controller.layers
        past = None if layers is None else layers.slider.past_end()
        if past is not None:  # a longer layer in the viewer sets the slider's range
            end = f"past the video's end (frames 0–{session.n_frames - 1})"
            self.frame_label.setText(f"Frame {past}: {end}")
            self.frame_label.setToolTip("")
            self.strip.set_state(session.n_frames, t, session.statuses())
            return
        self.frame_label.setText(f"{where} · {status.value}{busy}")
        needs_review = status is FrameStatus.NEEDS_REVIEW
        self.frame_label.setToolTip(review_text(session, t) if needs_review else "")
        self.strip.set_state(session.n_frames, t, session.statuses())

    def count_reviews(self, *_args: Any) -> None:
        """Show on **Review ▶** how many frames are worth a look (``review_stops``): an object
        not carried after its stop counts once, not once per frame. A propagation run changes
        them frame by frame: they are counted when it ends."""
        if self.controller.propagating:
            return
        session = self.controller.session
        stops = [] if session is None else review_stops(session)
        self.next_review.setText(f"Review ▶ ({len(stops)})" if stops else "Review ▶")
        self.next_review.setToolTip(
            f"Go to the next of the {len(stops)} frames worth a look and say why (N): those "
            "where something happened; an object not carried after its stop counts once"
        )


def _button(text: str, tooltip: str, slot: Any) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.clicked.connect(lambda: slot())
    return button
