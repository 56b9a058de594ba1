"""The calendar's Qt item model: the entries of the visible range, placed by the pure layout.

The widgets paint rows of this model; which column, lane and minutes a block takes, what it says and
what colour it wears are decided here (and in ``domain.calendar_layout``), never in a paint handler.
A row is one placed block (an appointment crossing midnight in the week view is two rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import Any

from mentalspace_desktop.domain.calendar_entry import CONFIRMATIONS as CONFIRMATIONS  # the screen's names for
from mentalspace_desktop.domain.calendar_entry import CalendarEntry as CalendarEntry  # the record it shows
from mentalspace_desktop.domain.calendar_layout import (
    CalendarView,
    Column,
    MonthCell,
    Placed,
    TimeScale,
    columns_for,
    layout,
    month_cells,
    week_start,
)
from mentalspace_desktop.gui.qt import (
    QAbstractListModel,
    QColor,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from mentalspace_desktop.gui.theme import DEFAULT_TYPE_COLOUR, ON_COLOUR, tone

Index = QModelIndex | QPersistentModelIndex

def text_colour_on(background: str) -> QColor:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    colour = QColor(background)

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())
    # the higher contrast of the two (a mid blue takes black); at the crossing both reach 4.58:1
    ground = "light_ground" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "dark_ground"
    return QColor(ON_COLOUR[ground])


class Role(IntEnum):
    ENTRY = Qt.ItemDataRole.UserRole + 1
    COLUMN = Qt.ItemDataRole.UserRole + 2
    LANE = Qt.ItemDataRole.UserRole + 3
    LANES = Qt.ItemDataRole.UserRole + 4
    START_MINUTE = Qt.ItemDataRole.UserRole + 5
    END_MINUTE = Qt.ItemDataRole.UserRole + 6
    FILL = Qt.ItemDataRole.UserRole + 7
    INK = Qt.ItemDataRole.UserRole + 8
    LINES = Qt.ItemDataRole.UserRole + 9


class CalendarModel(QAbstractListModel):
    """The placed blocks of the visible range, filtered by provider and location."""

    sig_layout_did_change = Signal()
    """Columns, filters or entries changed: views repaint and keep their cursor on the grid."""

    def __init__(self, parent: QObject | None = None, *, scale: TimeScale | None = None) -> None:
        super().__init__(parent)
        self.scale = scale or TimeScale()
        self.view = CalendarView.WEEK
        self.day = date.today()
        self.days_in_week = 7
        """Columns of the week view: 5 when nothing is booked at the weekend, else 7 (set by the layout)."""
        self.providers: list[tuple[str, str]] = []
        self.rooms: list[tuple[str, str]] = []
        self.rooms_at: dict[str, str] = {}
        """room id → location id (the location filter narrows the room columns)."""
        self.provider_filter: set[str] | None = None
        self.location_filter: str | None = None
        self.columns: list[Column] = []
        self._entries: dict[str, CalendarEntry] = {}
        self._placed: list[Placed] = []
        self._month: list[list[MonthCell]] = []
        self._palette: dict[tuple[str, bool, bool], tuple[QColor, QColor]] = {}
        """(colour, busy, active) → (fill, edge): what a block's colour depends on."""
        self._unreadable: set[str] = set()
        """Brief entries whose details could not be read (asked once until the next load)."""
        self.details_of: Callable[[list[CalendarEntry]], list[CalendarEntry]] | None = None
        """Reads brief entries in full (the page sets it to its source's ``details``): :meth:`entry`
        asks it for a brief entry, so whoever reads an entry's words gets them."""

    # -- inputs ------------------------------------------------------------------------------------

    def set_resources(self, providers: Sequence[tuple[str, str]], rooms: Sequence[tuple[str, str]],
                      rooms_at: dict[str, str] | None = None) -> None:
        self.providers, self.rooms = list(providers), list(rooms)
        self.rooms_at = dict(rooms_at or {})
        self._relayout()

    def set_view(self, view: CalendarView, day: date) -> None:
        self.view, self.day = view, day
        self._relayout()

    def set_filters(self, *, providers: set[str] | None, location: str | None) -> None:
        """None: every provider (every location); otherwise only those providers / that location."""
        self.provider_filter, self.location_filter = providers, location
        self._relayout()

    def set_entries(self, entries: Sequence[CalendarEntry]) -> None:
        self._entries = {e.id: e for e in entries}
        self._unreadable = set()
        self._palette = {}  # the theme may have changed since: busy time takes its grey from it
        self._relayout()

    def upsert(self, entry: CalendarEntry) -> None:
        self._entries[entry.id] = entry
        self._relayout()

    def add_details(self, entries: Sequence[CalendarEntry], *, asked: Sequence[CalendarEntry] | None = None) -> None:
        """Put the full entries read for brief ones in their place (an entry no longer shown is
        left out: the range changed meanwhile). The layout is redone only when a block moved.

        Only an entry still as it was asked for takes its details (``asked``: the brief entries the
        read was made for; without it, any brief one): one shown in full since — read at once, or
        moved by the user and being saved — is as new as the read or newer, and a read made before a
        move landing during its save would put the block back where it was."""
        moved, read = False, set()
        still = None if asked is None else {e.id: e for e in asked}
        for entry in entries:
            before = self._entries.get(entry.id)
            if before is None or before.detailed or (still is not None and still.get(entry.id) is not before):
                continue
            self._entries[entry.id] = entry
            read.add(entry.id)
            moved = moved or (before.span, before.location_id, before.status) != (
                entry.span, entry.location_id, entry.status)
        if moved:
            self._relayout()
        else:  # the same blocks, now with their words: each placed block holds its entry (the layout's span)
            entries_now = self._entries
            self._placed = [p._replace(span=entries_now[p.span.id]) if p.span.id in read else p
                            for p in self._placed]
            self.sig_layout_did_change.emit()

    # -- outputs -----------------------------------------------------------------------------------

    def colours_of(self, entry: CalendarEntry) -> tuple[QColor, QColor]:
        """The block's fill and its darker edge (see :meth:`colours`)."""
        return self.colours(entry.colour, entry.busy_only, entry.active)

    def colours(self, colour: str, busy_only: bool, active: bool) -> tuple[QColor, QColor]:
        """The fill and darker edge of a block of this colour, busy or not, active or not — kept until
        the entries change. Blocks of one kind share one pair (the grid batches blocks by colour), so
        a week of 1,200 blocks makes a handful of colours, not 2,400."""
        key = (colour, busy_only, active)
        pair = self._palette.get(key)
        if pair is None:
            fill = fill_for(colour, busy_only=busy_only, active=active)
            pair = self._palette[key] = (fill, fill.darker(150))
        return pair

    def fill_of(self, entry: CalendarEntry) -> QColor:
        """The block's colour (see :meth:`colours_of`)."""
        return self.colours_of(entry)[0]

    def entry(self, entry_id: str) -> CalendarEntry | None:
        """The entry in full: a brief one is read first (one appointment: a key look-up)."""
        entry = self._entries.get(entry_id)
        if entry is not None and not entry.detailed and self.details_of is not None \
                and entry_id not in self._unreadable:
            self.add_details(self.details_of([entry]), asked=[entry])
            entry = self._entries.get(entry_id)
            if entry is not None and not entry.detailed:
                self._unreadable.add(entry_id)  # gone meanwhile: the next reload takes it away
        return entry

    def shown(self, entry_id: str) -> CalendarEntry | None:
        """The entry as loaded, brief or full, never read: what painting a block needs."""
        return self._entries.get(entry_id)

    def entries(self) -> list[CalendarEntry]:
        return list(self._entries.values())

    def visible_entries(self) -> list[CalendarEntry]:
        if self.provider_filter is None and self.location_filter is None:
            return list(self._entries.values())
        return [e for e in self._entries.values() if self._passes(e)]

    def placed(self) -> list[Placed]:
        return list(self._placed)

    def month(self) -> list[list[MonthCell]]:
        return self._month

    def column_providers(self) -> list[tuple[str, str]]:
        shown = self.provider_filter
        return [p for p in self.providers if shown is None or p[0] in shown]

    def column_rooms(self) -> list[tuple[str, str]]:
        where = self.location_filter
        return [r for r in self.rooms if where is None or self.rooms_at.get(r[0]) == where]

    def _passes(self, entry: CalendarEntry) -> bool:
        if self.provider_filter is not None and entry.provider_id not in self.provider_filter:
            return False
        return self.location_filter is None or entry.location_id == self.location_filter

    def _relayout(self) -> None:
        self.beginResetModel()
        if self.view is CalendarView.MONTH:
            self.columns = []
            self._placed = []
            self._month = month_cells(self.day, (e.span for e in self.visible_entries()))
        else:
            visible = self.visible_entries()
            if self.view is CalendarView.WEEK:  # a visit of the week ending after Saturday begins is at the weekend
                weekend = datetime.combine(week_start(self.day) + timedelta(days=5), time())
                self.days_in_week = 7 if visible and max(e.end for e in visible) > weekend else 5
            self.columns = columns_for(
                self.view,
                self.day,
                providers=self.column_providers(),
                rooms=self.column_rooms(),
                days_in_week=self.days_in_week,
            )
            self._month = []
            self._placed = layout(visible, self.columns, self.view, self.scale)  # entries are placed as they are
        self.endResetModel()
        self.sig_layout_did_change.emit()

    # -- Qt ----------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._placed)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._placed):
            return None
        placed = self._placed[index.row()]
        entry = self._entries[placed.span.id]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.title
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return entry.describe()
        if role == Role.ENTRY:
            return entry
        if role == Role.COLUMN:
            return placed.column
        if role == Role.LANE:
            return placed.lane
        if role == Role.LANES:
            return placed.lanes
        if role == Role.START_MINUTE:
            return placed.start_minute
        if role == Role.END_MINUTE:
            return placed.end_minute
        if role == Role.FILL:
            return self.fill_of(entry)
        if role == Role.INK:
            return text_colour_on(self.fill_of(entry).name())
        if role == Role.LINES:
            return block_lines(entry)
        return None


def block_fill(entry: CalendarEntry) -> QColor:
    """The type's colour; busy time is grey; cancelled and no-show are washed out."""
    return fill_for(entry.colour, busy_only=entry.busy_only, active=entry.active)


def fill_for(colour_name: str, *, busy_only: bool, active: bool) -> QColor:
    """:func:`block_fill` of a block of this colour, busy or not, active or not."""
    if busy_only:
        return QColor(tone("past_block"))
    colour = QColor(colour_name) if QColor.isValidColorName(colour_name) else QColor(DEFAULT_TYPE_COLOUR)
    if not active:
        return QColor.fromHslF(colour.hslHueF(), colour.hslSaturationF() * 0.25, 0.82)
    return colour


def block_lines(entry: CalendarEntry) -> list[str]:
    """The lines a block shows, most important first (a short block shows only the first)."""
    if entry.busy_only:
        return [entry.title, entry.time_label()]
    first = entry.title
    second = " · ".join(p for p in (entry.type_name, entry.time_label()) if p)
    where = "Telehealth" if entry.telehealth else entry.room_name
    mark = entry.confirmation_mark()
    state = f"{mark[0]} {mark[1]}" if mark else entry.status_label()  # before the visit: did they confirm?
    third = " · ".join(p for p in (state, where) if p)
    return [first, second, third]
