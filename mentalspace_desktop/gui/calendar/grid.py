"""The time grid: day, week, providers side by side and rooms, painted from :class:`CalendarModel`.

Mouse: drag on empty time to book, drag a block to move it, drag its bottom edge to resize; while
dragging, the target is checked (``conflict_check``) and the preview turns red with the reason when
it collides. Keyboard: arrows move the cursor through time and columns, Tab jumps between blocks,
Enter opens the block under the cursor (or books there), N books, I checks in, Alt+arrows move the
selected block. The grid never writes: it asks through signals and the page calls the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from mentalspace_desktop.domain.calendar_entry import INACTIVE
from mentalspace_desktop.domain.calendar_layout import CalendarView, Column, Cursor, Placed, next_block, placed_at
from mentalspace_desktop.domain.scheduling.times import clock as _clock
from mentalspace_desktop.gui.calendar.model import CalendarEntry, CalendarModel, block_lines, text_colour_on
from mentalspace_desktop.gui.qt import (
    QColor,
    QEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPointF,
    QRect,
    QRectF,
    QSizePolicy,
    Qt,
    QTimer,
    QToolTip,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import ON_COLOUR, tone

GUTTER = 64
NARROW = 16
"""A lane narrower than this (14 px once the gap is taken) shows its block's colour, no words."""
EDGED = 6
"""A block narrower than this shows its colour without the darker edge (the edge would take a third
of it: a week of 20 providers side by side has 5-pixel blocks)."""
EDGE = 6  # pixels at a block's bottom that resize instead of move
DRAG_START = 4

ConflictCheck = Callable[[CalendarEntry | None, CalendarEntry], str | None]
"""(the entry as it was or None for a new booking, the proposed entry) → why it collides, or None."""


@dataclass
class Drag:
    kind: str  # "create", "move", "resize"
    origin: QPointF
    entry: CalendarEntry | None
    grab_minutes: float = 0.0
    started: bool = False
    proposal: CalendarEntry | None = None
    column: int = 0
    problem: str | None = None


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


class CalendarGrid(QWidget):
    """Paints the placed blocks of a time-grid view and turns input into requests."""

    sig_book_requested = Signal(object)
    """Book here: a proposed :class:`CalendarEntry` (id "", start/end, provider/room of the column)."""
    sig_move_requested = Signal(object, object)
    """Move or resize: (entry as it was, proposed entry) — already checked free by ``conflict_check``."""
    sig_move_refused = Signal(str)
    """A drag ended on a collision: why (the page shows it)."""
    sig_open_requested = Signal(str)
    """Open this appointment (double-click or Enter)."""
    sig_check_in_requested = Signal(str)
    """Check this appointment in (the I key)."""
    sig_feedback = Signal(str, bool)
    """Live words about the cursor or the drag: (text, whether it is a problem)."""
    sig_selection_did_change = Signal(str)
    """The selected appointment changed ("" for none)."""
    sig_details_wanted = Signal(list)
    """Blocks shown with room for words whose entries were read brief: [CalendarEntry] to read in full."""

    def __init__(self, model: CalendarModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.conflict_check: ConflictCheck | None = None
        self.default_minutes = 50
        self.now: Callable[[], datetime] = datetime.now
        self.key_cursor = Cursor()
        self.selected_id = ""
        self.drag: Drag | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAccessibleName("Appointment calendar")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(int(model.scale.minutes * 1.0))
        model.sig_layout_did_change.connect(self._layout_changed)
        self._clock = QTimer(self)
        self._clock.timeout.connect(self.update)
        self._clock.start(60_000)  # the "now" line moves once a minute

    # -- geometry ----------------------------------------------------------------------------------

    @property
    def ppm(self) -> float:
        """Pixels per minute (the grid fills the height it is given)."""
        return max(0.5, (self.height() - 1) / self.model.scale.minutes)

    def column_width(self) -> float:
        return max(1.0, (self.width() - GUTTER) / max(1, len(self.model.columns)))

    def column_x(self, column: int) -> float:
        return GUTTER + column * self.column_width()

    def column_at(self, x: float) -> int:
        n = len(self.model.columns)
        return max(0, min(n - 1, int((x - GUTTER) // self.column_width()))) if n else 0

    def minute_at(self, y: float) -> float:
        return y / self.ppm

    def block_rect(self, placed: Placed) -> QRectF:
        w = self.column_width()
        lane_w = (w - 6) / placed.lanes
        x = self.column_x(placed.column) + 2 + placed.lane * lane_w
        y = placed.start_minute * self.ppm
        h = max(6.0, (placed.end_minute - placed.start_minute) * self.ppm - 1)
        return QRectF(x, y + 1, lane_w - 2, h)

    def cursor_rect(self) -> QRectF:
        scale = self.model.scale
        y = self.key_cursor.slot * scale.slot_minutes * self.ppm
        x = self.column_x(self.key_cursor.column) + 1
        return QRectF(x, y, self.column_width() - 2, scale.slot_minutes * self.ppm)

    def placed_under(self, pos: QPointF) -> Placed | None:
        if pos.x() < GUTTER or not self.model.columns:
            return None
        column = self.column_at(pos.x())
        fraction = (pos.x() - self.column_x(column)) / self.column_width()
        return placed_at(self.model.placed(), column, self.minute_at(pos.y()), fraction)

    def y_of(self, moment: datetime) -> int:
        """Where ``moment`` falls on the first column's day (for scrolling to it)."""
        if not self.model.columns:
            return 0
        return int(max(0.0, self.model.scale.minute_of(moment, self.model.columns[0].day)) * self.ppm)

    def cursor_time(self) -> datetime:
        return self.model.scale.slot_start(self.model.columns[self.key_cursor.column].day, self.key_cursor.slot)

    def entry_at_cursor(self) -> CalendarEntry | None:
        if self.selected_id:
            entry = self.model.entry(self.selected_id)
            if entry is not None:
                return entry
        minute = self.key_cursor.slot * self.model.scale.slot_minutes + 0.5
        hit = placed_at(self.model.placed(), self.key_cursor.column, minute)
        return self.model.entry(hit.span.id) if hit else None

    # -- proposals ---------------------------------------------------------------------------------

    def proposal_for_column(self, column: Column, start: datetime, end: datetime,
                            base: CalendarEntry | None) -> CalendarEntry:
        """The entry as it would be in ``column`` from ``start`` to ``end``."""
        provider = column.provider_id or (base.provider_id if base else "")
        provider_name = next((n for p, n in self.model.providers if p == provider), base.provider_name if base else "")
        room = column.room_id or (base.room_id if base else "")
        if base is None:
            if not provider and len(self.model.column_providers()) == 1:
                provider, provider_name = self.model.column_providers()[0]
            return CalendarEntry("", start, end, provider, provider_name, room_id=room)
        return base.moved(start=start, end=end, provider_id=provider, room_id=room, provider_name=provider_name)

    def check(self, before: CalendarEntry | None, proposal: CalendarEntry) -> str | None:
        if proposal.end <= proposal.start:
            return "The end must come after the start."
        return self.conflict_check(before, proposal) if self.conflict_check else None

    # -- input: mouse ------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self.model.columns:
            return super().mousePressEvent(event)
        pos = event.position()
        if pos.x() < GUTTER:
            return None
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        hit = self.placed_under(pos)
        column = self.column_at(pos.x())
        slot = int(self.minute_at(pos.y()) // self.model.scale.slot_minutes)
        self.key_cursor = Cursor(column, max(0, min(self.model.scale.slots - 1, slot)))
        if hit is None:
            self.select("")
            self.drag = Drag("create", pos, None, column=column)
        else:
            entry = self.model.entry(hit.span.id)
            self.select(hit.span.id)
            rect = self.block_rect(hit)
            movable = entry is not None and not entry.busy_only and entry.active
            if not movable:
                self.drag = None
            elif pos.y() >= rect.bottom() - EDGE and not hit.clipped_after:
                self.drag = Drag("resize", pos, entry, column=hit.column)
            else:
                grab = self.minute_at(pos.y()) - hit.start_minute
                self.drag = Drag("move", pos, entry, grab_minutes=grab, column=hit.column)
        self.update()
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self.drag is None:
            hit = self.placed_under(pos)
            at_edge = hit is not None and pos.y() >= self.block_rect(hit).bottom() - EDGE
            self.setCursor(Qt.CursorShape.SizeVerCursor if at_edge else Qt.CursorShape.ArrowCursor)
            return  # the block's words come as its tooltip, once the pointer rests on it (``event``)
        drag = self.drag
        if not drag.started and (pos - drag.origin).manhattanLength() < DRAG_START:
            return
        drag.started = True
        scale = self.model.scale
        minute = self.minute_at(pos.y())
        if drag.kind == "create":
            column = self.model.columns[drag.column]
            a = scale.snap(self.minute_at(drag.origin.y()) - scale.slot_minutes / 2)
            b = scale.snap(minute + scale.slot_minutes / 2)
            lo, hi = min(a, b), max(a, b)
            hi = max(hi, lo + scale.slot_minutes)
            drag.proposal = self.proposal_for_column(
                column, scale.at_minute(column.day, lo), scale.at_minute(column.day, hi), None
            )
        elif drag.kind == "move" and drag.entry is not None:
            drag.column = self.column_at(pos.x())
            column = self.model.columns[drag.column]
            length = drag.entry.end - drag.entry.start
            start = scale.at_minute(column.day, scale.snap(minute - drag.grab_minutes))
            drag.proposal = self.proposal_for_column(column, start, start + length, drag.entry)
        elif drag.kind == "resize" and drag.entry is not None:
            column = self.model.columns[drag.column]
            end_minute = max(scale.snap(minute), scale.minute_of(drag.entry.start, column.day) + scale.slot_minutes)
            end = scale.at_minute(column.day, end_minute)
            drag.proposal = drag.entry.moved(start=drag.entry.start, end=end)
        if drag.proposal is not None:
            drag.problem = self.check(drag.entry, drag.proposal)
            self.sig_feedback.emit(self._drag_words(drag), drag.problem is not None)
        self.update()

    def event(self, event: QEvent) -> bool:
        """A tooltip asked for (the pointer rests on a block): the block in words, its details read
        then if it was read brief — not on every move across a crowded week."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.placed_under(QPointF(event.pos()))
            entry = self.model.entry(hit.span.id) if hit else None
            if entry is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), entry.describe(), self)
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self.drag = self.drag, None
        if drag is None:
            return
        if not drag.started or drag.proposal is None:
            if drag.kind == "create":
                self.update()
            return
        if drag.kind == "create":
            self.sig_book_requested.emit(drag.proposal)
        elif drag.problem:
            self.sig_move_refused.emit(drag.problem)
        elif drag.entry is not None and (drag.proposal.start, drag.proposal.end, drag.proposal.provider_id,
                                         drag.proposal.room_id) != (drag.entry.start, drag.entry.end,
                                                                    drag.entry.provider_id, drag.entry.room_id):
            self.sig_move_requested.emit(drag.entry, drag.proposal)
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        hit = self.placed_under(event.position())
        self.drag = None
        if hit is not None:
            self.sig_open_requested.emit(hit.span.id)
        elif event.position().x() >= GUTTER and self.model.columns:
            self.book_at_cursor()

    def _drag_words(self, drag: Drag) -> str:
        p = drag.proposal
        assert p is not None
        what = {"create": "New appointment", "move": "Move to", "resize": "Change to"}[drag.kind]
        where = f"{p.start:%a} {p.start.day} {p.start:%b}, {p.time_label()}"
        who = f" with {p.provider_name}" if p.provider_name else ""
        if drag.problem:
            return f"{what} {where}{who}: not free — {drag.problem}"
        return f"{what} {where}{who}: free"

    # -- input: keyboard ---------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        mods = event.modifiers()
        if not self.model.columns:
            return super().keyPressEvent(event)
        moves = {
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
        }
        if key in moves and mods & Qt.KeyboardModifier.AltModifier:
            self.nudge_selected(*moves[key])
        elif key in moves:
            dc, ds = moves[key]
            self.move_cursor(dc, ds * (4 if mods & Qt.KeyboardModifier.ShiftModifier else 1))
        elif key == Qt.Key.Key_Home:
            self.move_cursor(0, -self.model.scale.slots)
        elif key == Qt.Key.Key_End:
            self.move_cursor(0, self.model.scale.slots)
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not mods & Qt.KeyboardModifier.ControlModifier:
            step = -1 if key == Qt.Key.Key_Backtab or mods & Qt.KeyboardModifier.ShiftModifier else 1
            if not self.jump_block(step):
                return super().keyPressEvent(event)  # past the last block: Tab leaves the grid
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            entry = self.entry_at_cursor()
            if entry is not None:
                self.sig_open_requested.emit(entry.id)
            else:
                self.book_at_cursor()
        elif key in (Qt.Key.Key_N, Qt.Key.Key_Insert) and not mods & Qt.KeyboardModifier.ControlModifier:
            self.book_at_cursor()
        elif key == Qt.Key.Key_I and not mods & Qt.KeyboardModifier.ControlModifier:
            entry = self.entry_at_cursor()
            if entry is not None and not entry.busy_only:
                self.sig_check_in_requested.emit(entry.id)
        elif key == Qt.Key.Key_Escape and self.drag is not None:
            self.drag = None
            self.sig_feedback.emit("Drag cancelled.", False)
            self.update()
        else:
            super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802
        """Tab moves between blocks while there is one to go to, then leaves the grid."""
        if self.hasFocus() and self.jump_block(1 if next else -1):
            return True
        return super().focusNextPrevChild(next)

    def move_cursor(self, d_column: int, d_slot: int) -> None:
        self.key_cursor = self.key_cursor.moved(
            d_column, d_slot, columns=len(self.model.columns), slots=self.model.scale.slots
        )
        hit = placed_at(self.model.placed(), self.key_cursor.column,
                        self.key_cursor.slot * self.model.scale.slot_minutes + 0.5)
        self.select(hit.span.id if hit else "")
        self._announce_cursor()
        self.update()

    def jump_block(self, step: int) -> bool:
        target = next_block(self.model.placed(), self.selected_id or None, step)
        if target is None:
            return False
        self.key_cursor = Cursor(target.column, int(target.start_minute // self.model.scale.slot_minutes))
        self.select(target.span.id)
        self._announce_cursor()
        self.update()
        return True

    def book_at_cursor(self) -> None:
        column = self.model.columns[self.key_cursor.column]
        start = self.cursor_time()
        self.sig_book_requested.emit(
            self.proposal_for_column(column, start, start + timedelta(minutes=self.default_minutes), None)
        )

    def nudge_selected(self, d_column: int, d_slot: int) -> None:
        """Alt+arrows move the selected appointment by a slot or a column, checked like a drag."""
        entry = self.model.entry(self.selected_id) if self.selected_id else None
        if entry is None or entry.busy_only or not entry.active:
            self.sig_feedback.emit("Select an appointment first (Tab goes from one to the next).", True)
            return
        placed = next((p for p in self.model.placed() if p.span.id == entry.id), None)
        column_index = (placed.column if placed else self.key_cursor.column) + d_column
        if not 0 <= column_index < len(self.model.columns):
            return
        column = self.model.columns[column_index]
        old_column = self.model.columns[placed.column] if placed else column
        shift = timedelta(minutes=d_slot * self.model.scale.slot_minutes) + (column.day - old_column.day)
        proposal = self.proposal_for_column(column, entry.start + shift, entry.end + shift, entry)
        problem = self.check(entry, proposal)
        if problem:
            self.sig_move_refused.emit(problem)
        else:
            self.sig_move_requested.emit(entry, proposal)

    def select(self, entry_id: str) -> None:
        if entry_id != self.selected_id:
            self.selected_id = entry_id
            self.sig_selection_did_change.emit(entry_id)
            self.update()

    def _announce_cursor(self) -> None:
        entry = self.model.entry(self.selected_id) if self.selected_id else None
        column = self.model.columns[self.key_cursor.column]
        when = self.cursor_time()
        where = f"{column.label}, " if self.model.view in (CalendarView.PROVIDERS, CalendarView.ROOMS) else ""
        text = entry.describe() if entry else f"{where}{when:%a} {when.day} {when:%b} {_clock(when)}: free"
        self.setAccessibleDescription(text)
        self.sig_feedback.emit(text, False)

    def _layout_changed(self) -> None:
        n = len(self.model.columns)
        if n:
            self.key_cursor = self.key_cursor.moved(0, 0, columns=n, slots=self.model.scale.slots)
        if self.selected_id and self.model.shown(self.selected_id) is None:
            self.select("")
        self.setMinimumHeight(int(self.model.scale.minutes * 1.0))
        self.update()

    # -- painting ----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        dark = is_dark(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        self._paint_lines(painter, dark)  # level and upright lines, crisp on whole pixels without antialiasing
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        self._paint_now(painter)  # under the blocks: their words stay readable; the gutter marks it too
        self._paint_blocks(painter, event.rect(), font)
        if self.hasFocus() and self.model.columns and self.drag is None:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cursor_rect().adjusted(1, 1, -1, -1))
        if self.drag is not None and self.drag.started and self.drag.proposal is not None:
            self._paint_drag(painter, self.drag, font, dark)
        painter.end()

    def _paint_blocks(self, painter: QPainter, exposed: QRect, font: QFont) -> None:
        """Every placed block that meets the exposed rectangle (a week can hold 1,200).

        A block too narrow for words (many lanes) is a plain rectangle with its darker edge (under
        :data:`EDGED` pixels, its colour alone: an edge would take half of it), on whole pixels
        (crisp, and without antialiasing five times faster): those are drawn together, one
        ``drawRects`` per colour, after the loop (blocks never overlap, so the order does not show).
        Their pixels are worked out once per lane and once per pair of minutes, not per block. A
        block wide enough for words whose entry was read brief is drawn without them, and its
        details are asked for (``sig_details_wanted``): they arrive a moment later.
        """
        ppm, width = self.ppm, self.column_width()
        top, bottom = exposed.top() - 1, exposed.bottom() + 1
        selected = self.selected_id
        batches: dict[tuple[str, bool, str], tuple[list[QRect], list[QRect]]] = {}
        """(colour, busy, status) → the slivers' rectangles and their edges"""
        across: dict[tuple[int, int, int], tuple[float, float, int, int, int]] = {}
        """(column, lane, lanes) → (x, lane width; in whole pixels: left, width, edge width)"""
        down: dict[tuple[float, float], tuple[float, float, int, int]] = {}
        """(start, end minute) → (y, height; in whole pixels: top, height)"""
        wanting: list[CalendarEntry] = []
        for placed in self.model.placed():
            # the model places its entries themselves: the span is the entry (unpacked at once: a tuple)
            span, column, lane, lanes, start_m, end_m = placed[:6]
            entry = cast(CalendarEntry, span)
            vertical = down.get((start_m, end_m))
            if vertical is None:
                y = start_m * ppm + 1
                h = (end_m - start_m) * ppm - 1
                h = 6.0 if h < 6.0 else h
                top_px = round(y)
                h_px = round(y + h) - top_px
                vertical = down[(start_m, end_m)] = (y, h, top_px, h_px if h_px > 1 else 1)
            y, h, top_px, h_px = vertical
            if y > bottom or y + h < top:
                continue
            horizontal = across.get((column, lane, lanes))
            if horizontal is None:
                lane_w = (width - 6) / lanes
                x = GUTTER + column * width + 2 + lane * lane_w
                left = round(x)
                w = round(x + lane_w - 2) - left
                w = w if w > 1 else 1
                horizontal = across[(column, lane, lanes)] = (x, lane_w, left, w, 2 if w >= EDGED else 0)
            x, lane_w, left, w, edge_w = horizontal
            if lane_w < NARROW and entry.id != selected:
                kind = (entry.colour, entry.busy_only, entry.status)
                batch = batches.get(kind)
                if batch is None:
                    batch = batches[kind] = ([], [])
                batch[0].append(QRect(left, top_px, w, h_px))
                if edge_w:
                    batch[1].append(QRect(left, top_px, edge_w, h_px))
                continue
            rect = QRectF(x, y, lane_w - 2, h)
            if not entry.detailed and room_for_words(rect):
                wanting.append(entry)
            self._paint_block(painter, rect, entry, font, selected=entry.id == selected, words=entry.detailed)
        if batches:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(Qt.PenStyle.NoPen)
            pairs = [(self.model.colours(colour, busy, status not in INACTIVE), rects)
                     for (colour, busy, status), rects in batches.items()]
            for side in (0, 1):  # every fill, then every edge (blocks of one colour pair share a brush)
                for pair, rects in pairs:
                    painter.setBrush(pair[side])
                    painter.drawRects(rects[side])
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if wanting:  # asked after this paint, not from inside it
            QTimer.singleShot(0, lambda: self.sig_details_wanted.emit(wanting))

    def crowded(self) -> bool:
        """Whether this view's blocks would be too narrow for words were every provider shown booked
        at one time (a day or week column holds all of them side by side; a provider's or room's
        column one at a time): the page then reads the range brief (``CalendarSource.entries``)."""
        if self.model.view not in (CalendarView.DAY, CalendarView.WEEK):
            return False
        lanes = max(1, len(self.model.column_providers()))
        return (self.column_width() - 6) / lanes < NARROW

    def _paint_lines(self, painter: QPainter, dark: bool) -> None:
        scale = self.model.scale
        pal = self.palette()
        hour, half = QColor(tone("grid_hour")), QColor(tone("grid_half"))
        today = self.now().date()
        for i, column in enumerate(self.model.columns):
            if column.day == today and self.model.view is CalendarView.WEEK:
                tint = QColor(pal.color(QPalette.ColorRole.Highlight))
                tint.setAlpha(22)
                painter.fillRect(QRectF(self.column_x(i), 0, self.column_width(), self.height()), tint)
            if column.day.weekday() >= 5 and self.model.view is CalendarView.WEEK:
                painter.fillRect(QRectF(self.column_x(i), 0, self.column_width(), self.height()),
                                 QColor(0, 0, 0, 40 if dark else 10))
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1.5))
        painter.setFont(small)
        for minute, label in scale.hour_labels():
            y = minute * self.ppm
            painter.setPen(QPen(hour, 1))
            painter.drawLine(QPointF(GUTTER - 6, y), QPointF(self.width(), y))
            painter.setPen(QPen(half, 1, Qt.PenStyle.DotLine))
            y2 = (minute + 30) * self.ppm
            painter.drawLine(QPointF(GUTTER, y2), QPointF(self.width(), y2))
            painter.setPen(muted)
            painter.drawText(QRectF(0, y + 2, GUTTER - 10, 16), Qt.AlignmentFlag.AlignRight, label)
        painter.setPen(QPen(hour, 1))
        for i in range(len(self.model.columns) + 1):
            x = self.column_x(i)
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def _paint_block(self, painter: QPainter, rect: QRectF, entry: CalendarEntry, font: QFont, *,
                     selected: bool, outline: QColor | None = None, words: bool = True) -> None:
        """A block with room for words (a narrow one unselected is batched by ``_paint_blocks``)."""
        fill = self.model.fill_of(entry)
        ink = text_colour_on(fill.name())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 4, 4)
        if entry.busy_only:
            painter.setBrush(QColor(255, 255, 255, 40))
            painter.drawRoundedRect(rect, 4, 4)
        stripe = QColor(fill).darker(150)
        painter.fillRect(QRectF(rect.left(), rect.top() + 1, 4, rect.height() - 2), stripe)
        if selected or outline is not None:
            highlight = outline or self.palette().color(QPalette.ColorRole.Text)
            painter.setPen(QPen(highlight, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)
        if words:
            self._paint_block_text(painter, rect, entry, font, ink)

    def _paint_block_text(self, painter: QPainter, rect: QRectF, entry: CalendarEntry, font: QFont,
                          ink: QColor) -> None:
        if not room_for_words(rect):  # a sliver: colour says enough, the tooltip the rest
            return
        inner = rect.adjusted(8, 2, -4, -2)
        bold = QFont(font)
        bold.setBold(True)
        bold.setStrikeOut(entry.status in ("cancelled", "late_cancelled"))
        small = QFont(font)
        small.setPointSizeF(max(7.5, font.pointSizeF() - 1.5))
        metrics, small_metrics = QFontMetrics(bold), QFontMetrics(small)
        badge = entry.risk_label()
        confirmation = entry.confirmation_mark()
        marks = ("✓ " if entry.status in ("checked_in", "arrived", "completed") else "") + (
            f"{confirmation[0]} " if confirmation else "") + ("▶ " if entry.telehealth and not entry.busy_only else "")
        lines = block_lines(entry)
        y = inner.top()
        for i, line in enumerate(lines):
            f, m = (bold, metrics) if i == 0 else (small, small_metrics)
            if y + m.height() > inner.bottom() + 2 or not line:
                continue
            width = inner.width()
            if i == 0 and badge:
                width -= 18
            text = m.elidedText((marks if i == 0 else "") + line, Qt.TextElideMode.ElideRight, int(width))
            painter.setFont(f)
            painter.setPen(ink)
            painter.drawText(QRectF(inner.left(), y, width, m.height()), Qt.AlignmentFlag.AlignLeft, text)
            y += m.height()
        if badge:
            colour = QColor(tone("risk_high")) if (entry.risk or 0) >= 0.5 else QColor(tone("risk_some"))
            dot = QRectF(rect.right() - 16, rect.top() + 4, 12, 12)
            painter.setPen(QPen(QColor(ON_COLOUR["dark_ground"]), 1.5))
            painter.setBrush(colour)
            painter.drawEllipse(dot)
            painter.setFont(small)
            painter.setPen(QColor(ON_COLOUR["dark_ground"]))
            painter.drawText(dot, Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_now(self, painter: QPainter) -> None:
        now = self.now()
        scale = self.model.scale
        for i, column in enumerate(self.model.columns):
            if column.day != now.date():
                continue
            minute = scale.minute_of(now, column.day)
            if not 0 <= minute <= scale.minutes:
                continue
            y = minute * self.ppm
            red = QColor(tone("now_line"))
            painter.setPen(QPen(red, 2))
            painter.drawLine(QPointF(self.column_x(i), y), QPointF(self.column_x(i) + self.column_width(), y))
            painter.setBrush(red)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(self.column_x(i) + 1, y), 4, 4)
            if i == 0 or self.model.columns[i - 1].day != now.date():
                painter.drawRoundedRect(QRectF(2, y - 8, GUTTER - 8, 16), 3, 3)
                painter.setPen(QColor(ON_COLOUR["dark_ground"]))
                painter.drawText(QRectF(2, y - 8, GUTTER - 8, 16), Qt.AlignmentFlag.AlignCenter, _clock(now))

    def _paint_drag(self, painter: QPainter, drag: Drag, font: QFont, dark: bool) -> None:
        proposal = drag.proposal
        assert proposal is not None
        index = next((i for i, c in enumerate(self.model.columns) if self._column_holds(c, proposal)), None)
        if index is None:
            return
        scale = self.model.scale
        day = self.model.columns[index].day
        top = max(0.0, scale.minute_of(proposal.start, day)) * self.ppm
        bottom = min(float(scale.minutes), scale.minute_of(proposal.end, day)) * self.ppm
        rect = QRectF(self.column_x(index) + 3, top + 1, self.column_width() - 8, max(8.0, bottom - top - 1))
        bad = drag.problem is not None
        colour = QColor(tone("drop_bad")) if bad else QColor(tone("drop_good"))
        shown = proposal if drag.entry is not None else proposal.moved(start=proposal.start, end=proposal.end)
        painter.setOpacity(0.85)
        if drag.entry is not None:
            self._paint_block(painter, rect, shown, font, selected=False, outline=colour)
        else:
            fill = QColor(colour)
            fill.setAlpha(60)
            painter.setBrush(fill)
            painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(rect, 4, 4)
        painter.setOpacity(1.0)
        label = f"{proposal.time_label()}" + (f" — {drag.problem}" if bad else "")
        metrics = QFontMetrics(font)
        width = min(max(metrics.horizontalAdvance(label) + 16, 120), self.width() - GUTTER - 8)
        x = min(rect.left(), self.width() - width - 4)
        tip = QRectF(x, rect.bottom() + 4, width, metrics.height() + 8)
        if tip.bottom() > self.height():
            tip.moveBottom(rect.top() - 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(tip, 4, 4)
        painter.setPen(QColor(ON_COLOUR["dark_ground"]))
        painter.setFont(font)
        painter.drawText(tip.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(tip.width() - 16)))

    def _column_holds(self, column: Column, entry: CalendarEntry) -> bool:
        if column.day != entry.start.date():
            return False
        if self.model.view is CalendarView.PROVIDERS:
            return column.provider_id == entry.provider_id
        if self.model.view is CalendarView.ROOMS:
            return column.room_id == entry.room_id
        return True


def room_for_words(block: QRectF) -> bool:
    """Whether a block this size shows words (inside its stripe and margins)."""
    return block.width() - 12 >= 30 and block.height() - 4 >= 8


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"
