"""The editor of one engine option in the setup panel: a widget that fits the option's type,
and its value read back as that type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

from ..engines.registry import EngineOption


class OptionField:
    """The editor of one engine option: a widget, and its value read back as the option's type."""

    def __init__(
        self,
        option: EngineOption,
        widget: QWidget,
        get: Callable[[], Any],
        set_: Callable[[Any], None],
    ) -> None:
        self.option, self.widget, self._get, self._set = option, widget, get, set_

    def value(self) -> Any:
        """The value shown (the option's default for an empty text field)."""
        return self._get()

    def set_value(self, value: Any) -> None:
        self._set(value)


def option_field(option: EngineOption, parent: QWidget) -> OptionField:
    """An editor that fits ``option``: combo, check box, spin box or text field."""
    if option.choices or option.suggestions:
        combo = QComboBox(parent)
        combo.addItems([str(v) for v in option.choices or option.suggestions])
        combo.setEditable(not option.choices)
        combo.setCurrentText(str(option.default))
        return OptionField(
            option,
            combo,
            lambda: option.parse(combo.currentText()),
            lambda v: combo.setCurrentText(str(v)),
        )
    if option.type is bool:
        box = QCheckBox(parent)
        box.setChecked(bool(option.default))
        return OptionField(option, box, box.isChecked, box.setChecked)
    if option.type in (int, float):
        spin = QSpinBox(parent) if option.type is int else QDoubleSpinBox(parent)
        spin.setRange(0, 1 << 16)
        if option.default is None:  # the lowest value stands for "none"
            spin.setSpecialValueText("none")

        def get() -> Any:
            if option.default is None and spin.value() == spin.minimum():
                return None
            return option.check(spin.value())

        def set_(value: Any) -> None:
            spin.setValue(spin.minimum() if value is None else value)

        set_(option.default)
        return OptionField(option, spin, get, set_)
    edit = QLineEdit(parent)
    edit.setPlaceholderText(str(option.default or ""))
    return OptionField(
        option,
        edit,
        lambda: option.parse(edit.text()) if edit.text().strip() else option.default,
        lambda v: edit.setText("" if v is None or v == option.default else str(v)),
    )
