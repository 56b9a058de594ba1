"""The screen check's own checks catch what they are for (and pass what is fine)."""

from __future__ import annotations

import pytest

from mentalspace_desktop.gui.qt import (
    QColor,
    QImage,
    QLabel,
    QLineEdit,
    QPainter,
    QPixmap,
    QPushButton,
    QRect,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import empty_state
from tests.gui.screens import checks

pytestmark = pytest.mark.gui


class _Names(RowsModel[str]):
    headers = ("Name",)

    def cell(self, row: str, column: int, role: int) -> object:
        return row if role == 0 else None


def _window(qtbot, *widgets: QWidget) -> QWidget:
    top = QWidget()
    qtbot.addWidget(top)
    column = QVBoxLayout(top)
    for w in widgets:
        column.addWidget(w)
    top.resize(400, 300)
    top.show()
    return top


def test_text_cut_off_is_found_unless_shortened_with_a_tooltip(qtbot) -> None:
    cut = QLabel("A sentence far too long for the forty pixels it was given")
    cut.setFixedWidth(40)
    button = QPushButton("Register a new client with insurance")
    button.setFixedWidth(60)
    shortened = QLabel("A sentence…")
    shortened.setToolTip("A sentence far too long")
    shortened.setFixedWidth(40)
    top = _window(qtbot, cut, button, shortened)
    found = " ".join(checks.clipped(top))
    assert "A sentence far too long" in found and "Register a new client" in found
    assert "“A sentence…”" not in found


def test_a_control_without_a_name_is_found(qtbot) -> None:
    named, unnamed = QLineEdit(), QLineEdit()
    named.setAccessibleName("Find client")
    top = _window(qtbot, named, unnamed)
    assert len(checks.unnamed(top)) == 1


def test_faint_text_is_found_and_dark_text_passes(qtbot) -> None:
    faint = QLabel("Faint words on a pale page")
    faint.setStyleSheet("color: #c0c4c8; background: #ffffff;")
    clear = QLabel("Clear words on a pale page")
    clear.setStyleSheet("color: #1d2733; background: #ffffff;")
    top = _window(qtbot, faint, clear)
    found = checks.low_contrast(top, checks.Pixels(top.grab().toImage()), "light")
    assert len(found) == 1 and "Faint words" in found[0]
    assert checks.ratio(0x000000, 0xFFFFFF) == pytest.approx(21.0)


def test_text_in_many_shades_is_measured_by_its_darkest_pixels(qtbot) -> None:
    """An antialiased "8" can have hardly two pixels of one shade: its contrast is what its darkest
    few pixels reach together, not that of a pale shade that happens to repeat; a pixel or two darker
    than the rest still do not count alone."""
    glyph = QImage(20, 20, QImage.Format.Format_RGB32)
    glyph.fill(QColor("#ffffff"))
    for x, shade in enumerate((0x10, 0x12, 0x14, 0x16)):  # the strokes: four shades of near black
        glyph.setPixel(2 + x, 5, QColor(shade, shade, shade).rgb())
    for x in range(6):  # the edges: one pale grey, repeated
        glyph.setPixel(2 + x, 6, QColor("#b8b8b8").rgb())
    assert checks.Pixels(glyph).contrast(QRect(0, 0, 20, 20)) == pytest.approx(
        checks.ratio(0xFFFFFF, 0x141414))
    stray = QImage(20, 20, QImage.Format.Format_RGB32)
    stray.fill(QColor("#ffffff"))
    stray.setPixel(1, 1, QColor("#000000").rgb())
    for x in range(6):
        stray.setPixel(2 + x, 6, QColor("#b8b8b8").rgb())
    assert checks.Pixels(stray).contrast(QRect(0, 0, 20, 20)) == pytest.approx(checks.ratio(0xFFFFFF, 0xB8B8B8))


def test_a_lone_separator_between_words_is_decoration(qtbot) -> None:
    separator = QLabel("·")
    separator.setStyleSheet("color: #e4e7eb; background: #ffffff; font-size: 30px;")
    top = _window(qtbot, separator)
    assert checks.low_contrast(top, checks.Pixels(top.grab().toImage()), "light") == []


def test_an_empty_table_must_say_so(qtbot) -> None:
    silent, says = QTableView(), QTableView()
    silent.setAccessibleName("Silent")
    silent.setModel(_Names())
    says.setModel(_Names())
    empty_state(says, "No names yet.")
    top = _window(qtbot, silent, says)
    found = checks.silent_empty_tables(top)
    assert len(found) == 1 and "Silent" in found[0]


def test_rows_a_scroll_area_hides_are_not_measured(qtbot) -> None:
    """A dashboard's table half below the page's scrolled edge: its hidden rows are drawn over by the
    widget beneath, whose faint stripes are not the rows' text (the visible rows are still measured)."""
    model = _Names()
    model.set_rows([f"Clinician {n}" for n in range(12)])
    table = QTableView()
    table.setAccessibleName("Clinicians")
    table.setModel(model)
    table.setMinimumHeight(420)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(table)
    scroll.setFixedHeight(110)
    stripes = QPixmap(380, 160)
    stripes.fill(QColor("#f2f2f2"))
    painter = QPainter(stripes)
    for y in range(0, 160, 6):
        painter.fillRect(0, y, 380, 3, QColor("#e4e4e4"))
    painter.end()
    beneath = QLabel()
    beneath.setPixmap(stripes)
    top = _window(qtbot, scroll, beneath)
    qtbot.waitExposed(top)
    found = checks.low_contrast(top, checks.Pixels(top.grab().toImage()), "light")
    assert found == []
    model.set_rows(["Faint clinician"] * 12)
    table.setStyleSheet("QTableView { color: #d0d0d0; background: #ffffff; }")
    found = checks.low_contrast(top, checks.Pixels(top.grab().toImage()), "light")
    assert found and all("Faint clinician" in f for f in found)
