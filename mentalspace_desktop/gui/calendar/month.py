"""The month view and the column header of the time grid, both painted from :class:`CalendarModel`.

The month view shows each day's appointments as one line each ("9:00 Jane D."), "+3 more" when they
do not fit; a click or Enter opens that day in the day view. Arrows move the selected day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.gui.calendar.grid import GUTTER, CalendarGrid, is_dark
from mentalspace_desktop.gui.calendar.model import CalendarModel, block_fill
from mentalspace_desktop.gui.qt import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import tone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ColumnHeader(QWidget):
    """The labels over the time grid's columns (day, provider or room), aligned with the grid."""

    def __init__(self, model: CalendarModel, grid: CalendarGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.grid = grid
        self.today: Callable[[], date] = date.today
        self.room_places: dict[str, str] = {}
        """room id → its office's short name, when there are several (two offices both have a Room 1)."""
        self.setFixedHeight(QFontMetrics(self.font()).height() * 2 + 10)
        model.sig_layout_did_change.connect(self.update)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Window))
        columns = self.model.columns
        if not columns:
            painter.end()
            return
        width = max(1.0, (self.grid.width() - GUTTER) / len(columns))
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1.5))
        today = self.today()
        counts = _counts(self.model)
        for i, column in enumerate(columns):
            rect = QRectF(GUTTER + i * width, 0, width, self.height())
            is_today = column.day == today and self.model.view is CalendarView.WEEK
            if is_today:
                painter.fillRect(rect.adjusted(1, 2, -1, -2), pal.color(QPalette.ColorRole.Highlight))
            ink = pal.color(QPalette.ColorRole.HighlightedText if is_today else QPalette.ColorRole.WindowText)
            painter.setPen(ink)
            painter.setFont(bold)
            metrics = QFontMetrics(bold)
            painter.drawText(rect.adjusted(4, 3, -4, 0), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             fitted(column.label, metrics, int(width - 8), person=bool(column.provider_id)))
            painter.setFont(small)
            n = counts.get(i, 0)
            words = "no appointments" if n == 0 else f"{n} appointment{'s' if n != 1 else ''}"
            place = self.room_places.get(column.room_id, "") if column.room_id else ""
            if place:
                words = f"{place} · {n}" if n else place
            if QFontMetrics(small).horizontalAdvance(words) > width - 8:
                words = place or ("none" if n == 0 else str(n))
            painter.drawText(rect.adjusted(4, 0, -4, -3), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                             words)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(QPointF(0, self.height() - 1), QPointF(self.width(), self.height() - 1))
        painter.end()


def fitted(label: str, metrics: QFontMetrics, width: int, *, person: bool = False) -> str:
    """A column label that fits: the whole label, else the surname of a provider ("Coleman" for "Aisha
    Coleman, LPC": a practice knows its providers by it) or the day without its month, else elided."""
    if metrics.horizontalAdvance(label) <= width:
        return label
    if not person:
        short = " ".join(label.split()[:2])  # "Mon 30 Nov" → "Mon 30"
        return short if metrics.horizontalAdvance(short) <= width else metrics.elidedText(
            short, Qt.TextElideMode.ElideRight, width)
    name = label.split(",")[0].strip()
    surname = name.split()[-1] if name.split() else name
    if metrics.horizontalAdvance(surname) <= width:
        return surname
    return metrics.elidedText(surname, Qt.TextElideMode.ElideRight, width)


def _counts(model: CalendarModel) -> dict[int, int]:
    out: dict[int, int] = {}
    for placed in model.placed():
        entry = model.shown(placed.span.id)
        if entry is not None and entry.active and not entry.busy_only:
            out[placed.column] = out.get(placed.column, 0) + 1
    return out


class MonthView(QWidget):
    """A month of days; each lists its appointments in time order."""

    sig_day_chosen = Signal(object)
    """Open this date in the day view."""
    sig_feedback = Signal(str, bool)
    """Words about the selected day (for the status line and screen readers)."""

    def __init__(self, model: CalendarModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.today: Callable[[], date] = date.today
        self.selected = model.day
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Month calendar")
        model.sig_layout_did_change.connect(self._changed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 600)

    def _changed(self) -> None:
        weeks = self.model.month()
        days = [c.day for w in weeks for c in w]
        if days and self.selected not in days:
            self.selected = self.model.day
        self.update()

    def cell_rect(self, row: int, col: int) -> QRectF:
        head = QFontMetrics(self.font()).height() + 8
        rows = max(1, len(self.model.month()))
        w = self.width() / 7
        h = (self.height() - head) / rows
        return QRectF(col * w, head + row * h, w, h)

    def day_at(self, x: float, y: float) -> date | None:
        for r, week in enumerate(self.model.month()):
            for c, cell in enumerate(week):
                if self.cell_rect(r, c).contains(QPointF(x, y)):
                    return cell.day
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        day = self.day_at(event.position().x(), event.position().y())
        if day is not None:
            self.selected = day
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._announce()
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        day = self.day_at(event.position().x(), event.position().y())
        if day is not None:
            self.sig_day_chosen.emit(day)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -7, Qt.Key.Key_Down: 7}
        if event.key() in steps:
            self.selected += timedelta(days=steps[Qt.Key(event.key())])
            days = [c.day for w in self.model.month() for c in w]
            if self.selected not in days:  # walked off the month: the page turns it
                self.model.set_view(CalendarView.MONTH, self.selected)
            self._announce()
            self.update()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_day_chosen.emit(self.selected)
        else:
            super().keyPressEvent(event)

    def _announce(self) -> None:
        cell = next((c for w in self.model.month() for c in w if c.day == self.selected), None)
        n = 0 if cell is None else len([s for s in cell.spans if (e := self.model.shown(s.id)) and e.active])
        text = f"{self.selected:%A} {self.selected.day} {self.selected:%B}: {n} appointment{'s' if n != 1 else ''}"
        self.setAccessibleDescription(text)
        self.sig_feedback.emit(text + " — Enter opens the day.", False)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        pal = self.palette()
        dark = is_dark(self)
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        head = metrics.height() + 8
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1))
        small_metrics = QFontMetrics(small)
        w = self.width() / 7
        painter.setFont(bold)
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        for c, name in enumerate(WEEKDAYS):
            painter.drawText(QRectF(c * w, 0, w, head), Qt.AlignmentFlag.AlignCenter, name)
        line = QColor(tone("grid_hour"))
        today = self.today()
        for r, week in enumerate(self.model.month()):
            for c, cell in enumerate(week):
                rect = self.cell_rect(r, c)
                if not cell.in_month:
                    painter.fillRect(rect, QColor(0, 0, 0, 45 if dark else 12))
                painter.setPen(QPen(line, 1))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect)
                number = QRectF(rect.left() + 4, rect.top() + 3, 28, metrics.height() + 2)
                if cell.day == today:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
                    painter.drawRoundedRect(number, 8, 8)
                    painter.setPen(pal.color(QPalette.ColorRole.HighlightedText))
                else:
                    painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText if not cell.in_month
                                             else QPalette.ColorRole.WindowText))
                painter.setFont(bold)
                painter.drawText(number, Qt.AlignmentFlag.AlignCenter, str(cell.day.day))
                line_h = small_metrics.height() + 2
                room = int((rect.height() - number.height() - 6) // line_h)
                shown, more = cell.shown(room)
                y = number.bottom() + 2
                painter.setFont(small)
                for span in shown:
                    entry = self.model.shown(span.id)  # read in full for a month (never brief: see grid.crowded)
                    if entry is None:
                        continue
                    fill = block_fill(entry)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(fill)
                    painter.drawEllipse(QRectF(rect.left() + 5, y + line_h / 2 - 3, 6, 6))
                    painter.setPen(pal.color(QPalette.ColorRole.Text))
                    text = f"{_short_clock(entry.start)} {entry.title}"
                    painter.drawText(QRectF(rect.left() + 14, y, rect.width() - 18, line_h),
                                     Qt.AlignmentFlag.AlignVCenter,
                                     small_metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                              int(rect.width() - 18)))
                    y += line_h
                if more:
                    painter.setPen(pal.color(QPalette.ColorRole.Link))
                    painter.drawText(QRectF(rect.left() + 14, y, rect.width() - 18, line_h),
                                     Qt.AlignmentFlag.AlignVCenter, f"+{more} more")
                if cell.day == self.selected and self.hasFocus():
                    painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2.5))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(rect.adjusted(2, 2, -2, -2))
        painter.end()


def _short_clock(moment: object) -> str:
    hour = getattr(moment, "hour", 0)
    minute = getattr(moment, "minute", 0)
    shown = hour % 12 or 12
    return f"{shown}{'' if minute == 0 else f':{minute:02d}'}{'a' if hour < 12 else 'p'}"
