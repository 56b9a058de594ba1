"""Small pieces the client screens share: dates as the desk types them, badges, labelled fields.

Dates are typed as MM/DD/YYYY at a US front desk; one parser keeps the registration form, the
consent dialog and the status dialog agreeing on what they accept.
"""

from __future__ import annotations

import re
from datetime import date

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.localtime import format_date  # noqa: F401  (one date format, re-exported)
from mentalspace_desktop.gui.qt import QLabel, QLineEdit, QSizePolicy, Qt, QVBoxLayout, QWidget
from mentalspace_desktop.gui.widgets.forms import repolish

DATE_HINT = "MM/DD/YYYY"
_US = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def error_color() -> str:
    """Red that stays readable on the current theme (asked at paint time, never stored in a widget)."""
    return theme.colour("danger").name()


def good_color() -> str:
    return theme.colour("good").name()


def warning_color() -> str:
    return theme.colour("warning").name()


def parse_date(text: str, today: date) -> date | None:
    """A typed date (03/14/1988, 3/14/88 or 1988-03-14); None when it is not a real date.

    Two-digit years take the most recent past century, as people mean them on intake forms.
    """
    m = _US.match(text)
    if m:
        month, day, year = (int(g) for g in m.groups())
        if year < 100:
            year += 2000 if 2000 + year <= today.year else 1900
    else:
        m = _ISO.match(text)
        if not m:
            return None
        year, month, day = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def plain_label(text: str) -> str:
    """A label's words without mnemonic ampersands or required-field stars, for accessible names."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("*", "").strip(" :")


def muted(label: QLabel, style: str = "") -> QLabel:
    """Secondary text in the theme's muted colour (the sheets' ``[role="hint"]``, 4.5:1 on light and
    dark; the palette's placeholder colour is drawn at half opacity under a style sheet: too faint)."""
    label.setProperty("role", "hint")
    if style:
        label.setStyleSheet(style)
    return label


def date_edit(name: str, parent: QWidget | None = None) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setPlaceholderText(DATE_HINT)
    edit.setMaxLength(10)
    edit.setAccessibleName(name)
    edit.setAccessibleDescription(f"Date, typed as {DATE_HINT}")
    edit.setMaximumWidth(140)
    return edit


class Badge(QLabel):
    """A small coloured pill, coloured by the theme's style sheet from its ``tone``."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_tone("info")

    def set_tone(self, tone: str) -> None:
        """Colours come from the theme's ``QLabel[badge="true"][tone=…]`` rules (light and dark)."""
        self.setProperty("badge", True)
        self.setProperty("tone", tone)
        repolish(self)

    def show_text(self, text: str, tone: str | None = None) -> None:
        if tone:
            self.set_tone(tone)
        self.setText(text)
        self.setAccessibleName(text)
        self.setVisible(bool(text))


class FieldBox(QWidget):
    """An input with its error message underneath, so a refusal shows next to what caused it."""

    def __init__(
        self, field: QWidget, parent: QWidget | None = None, *, target: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.target = target or field  # the input inside ``field`` that takes focus and shows the error
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setProperty("role", "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        # A refusal is about the value that was refused: once the person edits it, the message goes.
        changed = getattr(self.target, "textChanged", None) or getattr(self.target, "currentIndexChanged", None)
        if changed is not None:
            changed.connect(self._edited)

    def _edited(self, *_args: object) -> None:
        if self.error.isVisible():
            self.set_error(None)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.target.setProperty("invalid", bool(message))
        self.target.setAccessibleDescription(message or "")
        repolish(self.target)  # the theme's [invalid="true"] rule draws the red border
