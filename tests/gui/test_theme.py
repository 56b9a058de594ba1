"""Both themes: drawn arrows on drop-downs and date fields, and no light colours left in the dark theme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.clients.common import Badge, FieldBox
from mentalspace_desktop.gui.qt import QApplication, QComboBox, QLineEdit, QVBoxLayout, QWidget
from mentalspace_desktop.resources import resource_path
from tests.gui.screens.checks import Pixels, low_contrast, ratio

pytestmark = pytest.mark.gui
GUI = Path(__file__).resolve().parents[2] / "mentalspace_desktop" / "gui"


@pytest.mark.parametrize("name", theme.THEMES)
def test_drop_downs_and_date_fields_draw_an_arrow(name: str) -> None:
    sheet = theme.style_sheet(name)
    rule = re.search(r"QComboBox::down-arrow, QDateEdit::down-arrow \{[^}]*url\(([^)]+)\)", sheet)
    assert rule, "the arrow is drawn in both sheets"
    assert Path(rule.group(1)).exists() and Path(rule.group(1)).parent == resource_path("icons")


def test_an_open_combo_shows_its_arrow(qtbot) -> None:
    app = QApplication.instance()
    for name in theme.THEMES:
        theme.apply_theme(app, name)
        combo = QComboBox()
        combo.addItems(["Active", "Discharged"])
        combo.setAccessibleName("Status")
        qtbot.addWidget(combo)
        combo.resize(200, 32)
        combo.show()
        image = combo.grab().toImage()
        arrow = Pixels(image).contrast(combo.rect().adjusted(combo.width() - 22, 4, -4, -4))
        assert arrow is not None and arrow >= 3.0, f"{name}: the arrow is visible ({arrow})"
    theme.apply_theme(app, theme.DEFAULT_THEME)


def test_no_fixed_colours_in_widgets() -> None:
    """Colours live in the sheets and theme.py (per theme); a fixed light colour in a widget stays light
    on the dark theme."""
    offenders = []
    for path in GUI.rglob("*.py"):
        if path.name in ("theme.py", "qr.py"):  # the palettes; a QR code is black on white by design
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#[0-9a-fA-F]{6}\b", line):
                offenders.append(f"{path.name}:{i}")
    assert offenders == []


def test_error_banner_badges_and_field_errors_read_in_the_dark_theme(qtbot) -> None:
    app = QApplication.instance()
    theme.apply_theme(app, "dark")
    try:
        top = QWidget()
        qtbot.addWidget(top)
        column = QVBoxLayout(top)
        for tone in ("info", "good", "muted", "warning", "danger"):
            badge = Badge(f"badge_{tone}")
            badge.show_text(f"A {tone} badge", tone)
            column.addWidget(badge)
        edit = QLineEdit()
        edit.setAccessibleName("Phone")
        box = FieldBox(edit)
        box.set_error("Enter a phone number with its area code.")
        column.addWidget(box)
        top.resize(420, 300)
        top.show()
        QApplication.processEvents()
        assert low_contrast(top, Pixels(top.grab().toImage()), "dark") == []
        for tone in ("danger", "muted", "good", "warning"):
            assert ratio(theme.colour(tone).rgb() & 0xFFFFFF, 0x232A31) >= 4.5, tone
        edit.setText("404 555 0123")
        assert not box.error.isVisible(), "a field's error goes once the field is edited"
    finally:
        theme.apply_theme(app, theme.DEFAULT_THEME)
