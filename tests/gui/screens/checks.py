"""What the screen check looks for in a shown window: text cut off, controls without a name, text
too faint for its background (WCAG AA, 4.5:1), and empty tables that say nothing.

Each check walks the visible widgets of one top-level window and returns problems as sentences that
name the widget (its accessible name, object name or text), so a failure says what to fix. Contrast is
measured on the rendered pixels of the window: inside each text's box the most common colour is the
background and the colour that differs most from it (seen on a few pixels at least) is the text.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QHeaderView, QTabBar

from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QFont,
    QFontMetrics,
    QImage,
    QLabel,
    QLineEdit,
    QModelIndex,
    QPlainTextEdit,
    QPoint,
    QRect,
    Qt,
    QTextEdit,
    QWidget,
)

ELLIPSIS = "…"
AA = 4.5
AA_LARGE = 3.0
MAX_ROWS = 12  # table rows looked at per view: enough to catch a column that is too narrow


def _visible(w: QWidget, top: QWidget) -> bool:
    return w.isVisibleTo(top) and w.isVisible() and w.width() > 0 and w.height() > 0


def widgets(top: QWidget) -> Iterator[QWidget]:
    yield top
    for w in top.findChildren(QWidget):
        if _visible(w, top) and w.window() is top:
            yield w


def describe(w: QWidget) -> str:
    text = getattr(w, "text", None)
    shown = text() if callable(text) else ""
    parts = [type(w).__name__]
    if w.accessibleName():
        parts.append(f"'{w.accessibleName()}'")
    elif w.objectName() and not w.objectName().startswith("qt_"):
        parts.append(f"#{w.objectName()}")
    if shown:
        parts.append(f"“{str(shown)[:50]}”")
    return " ".join(parts)


# -- text cut off --------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _explained(text: str, tooltip: str) -> bool:
    return ELLIPSIS in text and bool(tooltip.strip())


def clipped(top: QWidget) -> list[str]:
    problems: list[str] = []
    for w in widgets(top):
        if isinstance(w, QLabel):
            problems += _clipped_label(w)
        elif isinstance(w, QAbstractButton) and w.text():
            hint = w.sizeHint()
            if hint.width() > w.width() + 1 and not _explained(w.text(), w.toolTip()):
                problems.append(f"{describe(w)} is {hint.width() - w.width()} px too narrow for its text")
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                if w.isTabVisible(i) and w.tabSizeHint(i).width() > w.tabRect(i).width() + 1 \
                        and not w.tabToolTip(i):
                    problems.append(f"tab “{_plain(w.tabText(i))}” of {describe(w)} is cut off")
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView):
            problems += _clipped_cells(w)
    return problems


def _clipped_label(w: QLabel) -> list[str]:
    text = w.text()
    if not text or w.pixmap() is not None and not w.pixmap().isNull():
        return []
    rect = w.contentsRect()
    rich = w.textFormat() == Qt.TextFormat.RichText or (
        w.textFormat() == Qt.TextFormat.AutoText and text.lstrip().startswith("<"))
    if w.wordWrap() or rich:
        needed = w.heightForWidth(w.width()) if w.wordWrap() else w.sizeHint().height()
        if needed > w.height() + 2:
            return [f"{describe(w)} needs {needed} px of height and has {w.height()}"]
        if not w.wordWrap() and w.sizeHint().width() > w.width() + 1:
            return [f"{describe(w)} is {w.sizeHint().width() - w.width()} px too narrow"]
        return []
    fm = QFontMetrics(w.font())
    width = max(fm.horizontalAdvance(line) for line in _plain(text).splitlines() or [""])
    room = rect.width() - 2 * w.margin() - max(w.indent(), 0)
    if width > room + 1 and not _explained(text, w.toolTip()):
        return [f"{describe(w)} is {width - room} px too narrow for its text"]
    return []


def _visible_rows(view: QAbstractItemView) -> list[int]:
    model = view.model()
    if model is None or model.rowCount(QModelIndex()) == 0:
        return []
    first = view.indexAt(QPoint(4, 4)).row()
    rows: list[int] = []
    for row in range(max(first, 0), model.rowCount(QModelIndex())):
        rect = view.visualRect(model.index(row, 0))
        if rect.top() > view.viewport().height() or len(rows) >= MAX_ROWS:
            break
        rows.append(row)
    return rows


def _columns(view: QAbstractItemView) -> list[int]:
    model = view.model()
    if model is None:
        return []
    hidden = getattr(view, "isColumnHidden", lambda _c: False)
    try:
        count = model.columnCount(QModelIndex())
    except TypeError:  # a list model: one column
        count = 1
    return [c for c in range(count) if not hidden(c)]


def _clipped_cells(view: QAbstractItemView) -> list[str]:
    problems: list[str] = []
    model = view.model()
    if model is None or isinstance(view.parent(), QComboBox):
        return problems
    header = getattr(view, "horizontalHeader", lambda: None)()
    if isinstance(header, QHeaderView) and header.isVisible():
        bold = QFont(header.font())
        bold.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(bold)
        for c in _columns(view):
            text = str(model.headerData(c, Qt.Orientation.Horizontal) or "")
            tip = str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) or "")
            if text and fm.horizontalAdvance(text) + 16 > header.sectionSize(c) + 1 and not tip:
                problems.append(f"header “{text}” of {describe(view)} is cut off")
    fm = QFontMetrics(view.font())
    viewport_width = view.viewport().width()
    for row in _visible_rows(view):
        for c in _columns(view):
            index = model.index(row, c)
            text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            if not text:
                continue
            rect = view.visualRect(index)
            room = min(rect.right(), viewport_width) - max(rect.left(), 0) - 8
            if fm.horizontalAdvance(text.splitlines()[0]) > room + 1:
                tip = str(index.data(Qt.ItemDataRole.ToolTipRole) or "")
                if view.textElideMode() == Qt.TextElideMode.ElideNone or not tip:
                    problems.append(f"cell “{text[:40]}” (row {row + 1}) of {describe(view)} is cut off "
                                    "without a tooltip")
    return problems


# -- accessible names ------------------------------------------------------------------------------

_CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView, QTextEdit,
             QPlainTextEdit, QTabBar)


def unnamed(top: QWidget) -> list[str]:
    problems = []
    for w in widgets(top):
        if not isinstance(w, _CONTROLS) or w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if isinstance(w.parent(), QComboBox | QAbstractSpinBox) or isinstance(w, QHeaderView):
            continue  # the parts of a composite control: the control carries the name
        iface = QAccessible.queryAccessibleInterface(w)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        if not (name or w.accessibleName()).strip():
            problems.append(f"{describe(w)} has no accessible name")
    return problems


# -- empty tables ----------------------------------------------------------------------------------


def silent_empty_tables(top: QWidget) -> list[str]:
    problems = []
    for view in (w for w in widgets(top) if isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView)):
        model = view.model()
        if model is None or model.rowCount(QModelIndex()) > 0 or isinstance(view.parent(), QComboBox):
            continue
        # its own message (inside it) or one beside it (a direct child of the same parent)
        labels = view.findChildren(QLabel, "emptyState")
        parent = view.parentWidget()
        if parent is not None:
            labels += parent.findChildren(QLabel, "emptyState", Qt.FindChildOption.FindDirectChildrenOnly)
        says = any(label.isVisible() and label.text().strip() for label in labels)
        if not says:
            problems.append(f"{describe(view)} is empty and says nothing (give it an empty-state message)")
    return problems


# -- contrast --------------------------------------------------------------------------------------


def _luminance(argb: int) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (argb >> 16) & 255, (argb >> 8) & 255, argb & 255
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: int, b: int) -> float:
    la, lb = _luminance(a), _luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


class Pixels:
    """A window's rendered pixels, read a box at a time."""

    def __init__(self, image: QImage) -> None:
        self.image = image.convertToFormat(QImage.Format.Format_RGB32)
        self.dpr = self.image.devicePixelRatio()
        self.width, self.height = self.image.width(), self.image.height()
        self.stride = self.image.bytesPerLine()
        self.data = bytes(self.image.constBits())

    def counts(self, rect: QRect) -> Counter[int]:
        x0 = max(0, int(rect.left() * self.dpr))
        x1 = min(self.width, int((rect.right() + 1) * self.dpr))
        y0 = max(0, int(rect.top() * self.dpr))
        y1 = min(self.height, int((rect.bottom() + 1) * self.dpr))
        found: Counter[int] = Counter()
        if x1 <= x0:
            return found
        for y in range(y0, y1):
            start = y * self.stride + 4 * x0
            found.update(array("I", self.data[start:start + 4 * (x1 - x0)]))
        return found

    def contrast(self, rect: QRect) -> float | None:
        """Text-to-background contrast inside ``rect``; None when nothing is drawn there."""
        found = self.counts(rect)
        if len(found) < 2:
            return None
        background = found.most_common(1)[0][0] & 0xFFFFFF
        # The contrast that at least three ink pixels reach: a stray pixel or two do not count, and a
        # glyph drawn in many shades of grey (an antialiased "8" has no two pixels alike) still does.
        inked = sorted(((ratio(background, c & 0xFFFFFF), n) for c, n in found.items()
                        if (c & 0xFFFFFF) != background), reverse=True)
        reached = 0
        for contrast, n in inked:
            reached += n
            if reached >= 3:
                return contrast
        return None


def _needed(font: QFont) -> float:
    size = font.pointSizeF()
    large = size >= 18 or (size >= 14 and font.weight() >= QFont.Weight.DemiBold)
    return AA_LARGE if large else AA


def low_contrast(top: QWidget, pixels: Pixels, theme: str) -> list[str]:
    problems: list[str] = []

    def check(w: QWidget, rect_in_w: QRect, what: str, font: QFont) -> None:
        # only what is on screen: a control half scrolled out of its area is measured by its shown part
        rect_in_w = rect_in_w.intersected(w.visibleRegion().boundingRect())
        if rect_in_w.isEmpty():
            return
        origin = w.mapTo(top, QPoint(0, 0))
        found = pixels.contrast(rect_in_w.translated(origin))
        if found is not None and found < _needed(font) - 0.05:
            problems.append(f"{what} has contrast {found:.2f}:1 in the {theme} theme (needs {_needed(font)}:1)")

    for w in widgets(top):
        if not w.isEnabled():
            continue  # WCAG exempts inactive controls
        if isinstance(w, QLabel) and any(ch.isalnum() for ch in w.text()) \
                and (w.pixmap() is None or w.pixmap().isNull()):  # a lone "·" between words is decoration
            check(w, w.contentsRect().adjusted(1, 1, -1, -1), describe(w), w.font())
        elif isinstance(w, QAbstractButton) and w.text().strip():
            check(w, w.rect().adjusted(4, 4, -4, -4), describe(w), w.font())
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                check(w, w.tabRect(i).adjusted(4, 4, -4, -4), f"tab “{_plain(w.tabText(i))}”", w.font())
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView) \
                and not isinstance(w.parent(), QComboBox):
            model = w.model()
            viewport = w.viewport()
            # rows a surrounding scroll area hides are not on screen: their pixels are another widget's
            shown = viewport.visibleRegion().boundingRect()
            for row in _visible_rows(w)[:6]:
                for c in _columns(w):
                    index: QModelIndex = model.index(row, c)
                    if not str(index.data() or "").strip():
                        continue
                    rect = w.visualRect(index).adjusted(2, 2, -2, -2).intersected(viewport.rect()).intersected(shown)
                    if rect.isEmpty():
                        continue
                    check(viewport, rect, f"cell “{str(index.data())[:30]}” of {describe(w)}", w.font())
    return problems


def oversized(window: QWidget, size: tuple[int, int]) -> list[str]:
    """A window opened at the screen size (1280×800) that grew past it: what it holds needs more room
    than a laptop's screen gives, and part of it would be off the edge. The message names the widest
    widgets on the way down, where the room goes."""
    if not window.isWindow() or (window.width() <= size[0] and window.height() <= size[1]):
        return []
    widest: list[str] = []
    here: QWidget = window
    while True:
        shown = [c for c in here.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                 if c.isVisible()]
        if not shown:
            break
        here = max(shown, key=lambda c: c.minimumSizeHint().width())
        widest.append(f"{describe(here)} {here.minimumSizeHint().width()} px")
    return [f"the window grew to {window.width()}×{window.height()} to hold what it shows: it must fit "
            f"{size[0]}×{size[1]} (widest: {' › '.join(widest[-4:])})"]
