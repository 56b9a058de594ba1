"""Small pieces the client screens share: dates as the desk types them, badges, labelled fields.

Dates are typed as MM/DD/YYYY at a US front desk; one parser keeps the registration form, the
consent dialog and the status dialog agreeing on what they accept.
"""

from __future__ import annotations

import re
from datetime import date

from mentalspace_desktop.gui.qt import QLabel, QLineEdit, QPalette, QSizePolicy, Qt, QVBoxLayout, QWidget

DATE_HINT = "MM/DD/YYYY"
_US = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def _is_dark() -> bool:
    from mentalspace_desktop.gui.qt import QApplication

    return QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def error_color() -> str:
    """Red that stays readable on the light and the dark theme."""
    return "#ff8a80" if _is_dark() else "#b3261e"


def good_color() -> str:
    return "#81c995" if _is_dark() else "#1d5e2c"


def warning_color() -> str:
    return "#ffb74d" if _is_dark() else "#8a4b00"


_BADGE_TONES: dict[str, tuple[str, str, str]] = {
    # tone: (text, background, border)
    "info": ("#0b4a8b", "#e3effc", "#9cc3ee"),
    "good": ("#1d5e2c", "#e2f4e6", "#9fd3ab"),
    "muted": ("#4a4f57", "#eceef1", "#c5cad1"),
    "warning": ("#7a4100", "#fff1db", "#f0bf72"),
    "danger": ("#8c1d18", "#fde7e5", "#ec9f99"),
}


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


def format_date(value: date | None) -> str:
    return value.strftime("%m/%d/%Y") if value else ""


def plain_label(text: str) -> str:
    """A label's words without mnemonic ampersands or required-field stars, for accessible names."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("*", "").strip(" :")


def muted(label: QLabel, style: str = "") -> QLabel:
    """Secondary text in the theme's own muted colour, so it reads on light and dark alike."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
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
    """A small coloured pill. ``objectName`` lets the theme restyle it; the inline style is the fallback."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_tone("info")

    def set_tone(self, tone: str) -> None:
        fg, bg, border = _BADGE_TONES[tone]
        self.setProperty("tone", tone)
        self.setStyleSheet(
            f"QLabel#{self.objectName()} {{ color: {fg}; background: {bg}; border: 1px solid {border};"
            " border-radius: 9px; padding: 2px 9px; font-weight: 600; }"
        )

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
        self.error.setStyleSheet(f"color: {error_color()}; font-size: 11px;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.target.setProperty("invalid", bool(message))
        self.target.setAccessibleDescription(message or "")
        if isinstance(self.target, QLineEdit):
            self.target.setStyleSheet(
                f"QLineEdit {{ border: 1px solid {error_color()}; border-radius: 3px; padding: 2px 4px; }}"
                if message
                else ""
            )
