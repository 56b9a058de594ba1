"""The Schedule page: the calendar with its views, paging, filters, a details panel and live feedback.

Loads run off the UI thread; a change announced by the services (this workstation or, through sync,
another) reloads the visible range. The grid asks, the page calls the source, the services decide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from mentalspace_desktop.domain.calendar_layout import CalendarView, step_range, visible_range, week_start
from mentalspace_desktop.gui.calendar.details import DetailsPanel
from mentalspace_desktop.gui.calendar.grid import CalendarGrid
from mentalspace_desktop.gui.calendar.model import CalendarEntry, CalendarModel
from mentalspace_desktop.gui.calendar.month import ColumnHeader, MonthView
from mentalspace_desktop.gui.calendar.source import CalendarSource, Resources
from mentalspace_desktop.gui.localtime import wall_now, wall_today
from mentalspace_desktop.gui.qt import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPushButton,
    QScrollArea,
    QShortcut,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background

VIEW_BUTTONS = (
    (CalendarView.DAY, "&Day", "One day, everyone chosen by the provider filter"),
    (CalendarView.WEEK, "&Week", "Seven days"),
    (CalendarView.MONTH, "&Month", "The whole month"),
    (CalendarView.PROVIDERS, "Side by &side", "One column per provider for the day"),
    (CalendarView.ROOMS, "&Rooms", "One column per room for the day"),
)


class CalendarPage(QWidget):
    """Day, week, month, providers side by side and rooms, over one model."""

    sig_entries_loaded = Signal()
    """The visible range was (re)loaded."""
    sig_book_requested = Signal(object)
    """Open the booking dialog for this proposed entry (the page's owner decides which dialog)."""
    sig_open_requested = Signal(str)
    """Open this appointment."""
    sig_move_did_finish = Signal(str)
    """A move or resize was saved: the appointment id."""

    def __init__(self, source: CalendarSource, parent: QWidget | None = None, *,
                 today: Callable[[], date] = wall_today, now: Callable[[], datetime] = wall_now) -> None:
        super().__init__(parent)
        self.source = source
        self.today = today
        self.model = CalendarModel(self)
        self.resources = Resources()
        self._loading = False
        self._reload_again = False
        self._loads = 0
        """How many ranges have been shown: details read for an earlier one are not put in a later."""
        self._details_asked: set[str] = set()
        self.model.details_of = self._details_now

        self.grid = CalendarGrid(self.model)
        self.grid.now = now
        self.grid.conflict_check = self._conflict
        self.header = ColumnHeader(self.model, self.grid)
        self.header.today = today
        self.month = MonthView(self.model)
        self.month.today = today
        self.details = DetailsPanel(self)
        self._build()
        self._connect()

    # -- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.view_group = QButtonGroup(self)
        self.view_buttons: dict[CalendarView, QPushButton] = {}
        views = QHBoxLayout()
        views.setSpacing(0)
        for i, (view, text, tip) in enumerate(VIEW_BUTTONS):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName("segment")
            # the chosen view must stand out in both themes: the palette's highlight follows the theme
            button.setStyleSheet("QPushButton:checked { background: palette(highlight); "
                                 "color: palette(highlighted-text); }")
            button.setToolTip(tip)
            button.setAccessibleName(f"{text.replace('&', '')} view")
            self.view_group.addButton(button, i)
            self.view_buttons[view] = button
            views.addWidget(button)
        self.prev_button = QPushButton("◀")
        self.prev_button.setAccessibleName("Previous")
        self.prev_button.setToolTip("Previous (Page Up)")
        self.next_button = QPushButton("▶")
        self.next_button.setAccessibleName("Next")
        self.next_button.setToolTip("Next (Page Down)")
        self.today_button = QPushButton("&Today")
        self.today_button.setAccessibleName("Go to today")
        self.range_label = QLabel()
        self.range_label.setObjectName("sectionTitle")
        self.range_label.setAccessibleName("Dates shown")
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Provider filter")
        self.provider_box.setMinimumContentsLength(14)
        self.location_box = QComboBox()
        self.location_box.setAccessibleName("Location filter")
        self.location_box.setMinimumContentsLength(12)
        self.new_button = forms.primary(QPushButton("&New appointment"))
        self.new_button.setAccessibleName("Book a new appointment at the cursor")
        self.new_button.setToolTip("Book at the cursor (N in the calendar)")

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.prev_button)
        top.addWidget(self.today_button)
        top.addWidget(self.next_button)
        top.addSpacing(8)
        top.addWidget(self.range_label, 1)
        top.addLayout(views)
        second = QHBoxLayout()
        second.setSpacing(6)
        provider_label = QLabel("&Provider:")
        provider_label.setBuddy(self.provider_box)
        location_label = QLabel("&Location:")
        location_label.setBuddy(self.location_box)
        second.addWidget(provider_label)
        second.addWidget(self.provider_box)
        second.addSpacing(8)
        second.addWidget(location_label)
        second.addWidget(self.location_box)
        second.addStretch(1)
        second.addWidget(self.new_button)
        self.actions_row = second  # the page's owner adds its own actions beside New appointment

        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(self.grid)
        self.scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        time_view = QWidget()
        tv = QVBoxLayout(time_view)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.setSpacing(0)
        tv.addWidget(self.header)
        tv.addWidget(self.scroller, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(time_view)
        self.stack.addWidget(self.month)

        self.feedback = QLabel(" ")
        self.feedback.setObjectName("calendarFeedback")
        self.feedback.setAccessibleName("Calendar feedback")
        self.feedback.setWordWrap(True)
        self.feedback.setMinimumHeight(self.feedback.fontMetrics().lineSpacing() + 12)

        body = QHBoxLayout()
        body.setSpacing(10)
        body.addWidget(self.stack, 1)
        body.addWidget(self.details)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 8)
        outer.setSpacing(6)
        outer.addLayout(top)
        outer.addLayout(second)
        outer.addLayout(body, 1)
        outer.addWidget(self.feedback)

    def _connect(self) -> None:
        self.view_group.idClicked.connect(lambda i: self.set_view(VIEW_BUTTONS[i][0]))
        self.prev_button.clicked.connect(lambda: self.page(-1))
        self.next_button.clicked.connect(lambda: self.page(1))
        self.today_button.clicked.connect(self.go_today)
        self.provider_box.currentIndexChanged.connect(lambda _i: self._filters_changed())
        self.location_box.currentIndexChanged.connect(lambda _i: self._filters_changed())
        self.new_button.clicked.connect(self._book_from_button)
        for keys, fn in (("PgUp", lambda: self.page(-1)), ("PgDown", lambda: self.page(1)),
                         ("Ctrl+T", self.go_today)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(fn)
        self.grid.sig_feedback.connect(self.show_feedback)
        self.month.sig_feedback.connect(self.show_feedback)
        self.grid.sig_move_refused.connect(self._move_refused)
        self.grid.sig_move_requested.connect(self._move)
        self.grid.sig_book_requested.connect(self.sig_book_requested)
        self.grid.sig_open_requested.connect(self.sig_open_requested)
        self.grid.sig_check_in_requested.connect(self.check_in)
        self.grid.sig_selection_did_change.connect(self._selection_changed)
        self.grid.sig_details_wanted.connect(self._load_details)
        self.month.sig_day_chosen.connect(lambda d: self.set_view(CalendarView.DAY, d))
        self.details.sig_open_requested.connect(self.sig_open_requested)
        self.details.sig_check_in_requested.connect(self.check_in)
        self.details.sig_notice.connect(lambda text: self.show_feedback(text, False))

    # -- state -------------------------------------------------------------------------------------

    def start(self, view: CalendarView = CalendarView.WEEK, day: date | None = None) -> None:
        """Load the resources, fill the filters and show ``view``."""
        self.resources = self.source.resources()
        res = self.resources
        self.model.set_resources(res.providers, res.rooms, res.rooms_at)
        self.provider_box.blockSignals(True)
        self.provider_box.clear()
        self.provider_box.addItem("All providers", None)
        for pid, name in res.providers:
            self.provider_box.addItem(name, pid)
        if res.own_provider_id:
            self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(res.own_provider_id)))
        self.provider_box.blockSignals(False)
        self.location_box.blockSignals(True)
        self.location_box.clear()
        self.location_box.addItem("All locations", None)
        for lid, name in res.locations:
            self.location_box.addItem(name, lid)
        self.location_box.blockSignals(False)
        self.location_box.setVisible(len(res.locations) > 0)
        places = {lid: name.split()[0] for lid, name in res.locations if name.split()}
        self.header.room_places = {rid: places.get(lid, "") for rid, lid in res.rooms_at.items()} \
            if len(res.locations) > 1 else {}
        self._apply_filters()
        self.set_view(view, day or self.today())

    def set_view(self, view: CalendarView, day: date | None = None) -> None:
        day = day or self.model.day
        self.view_buttons[view].setChecked(True)
        self.model.set_view(view, day)
        self.stack.setCurrentIndex(1 if view is CalendarView.MONTH else 0)
        self.details.setVisible(view is not CalendarView.MONTH)  # a month needs the width; a day opens on Enter
        self._update_range_label()
        self.reload()
        (self.month if view is CalendarView.MONTH else self.grid).setFocus()
        if view is not CalendarView.MONTH:
            self.scroll_to_working_hours()

    def scroll_to_working_hours(self) -> None:
        """Show the morning (or the hour before now, later in the day) at the top of the grid."""
        from datetime import time, timedelta

        now = self.grid.now()
        start = datetime.combine(self.model.day, time(8))
        if self.model.columns and any(c.day == now.date() for c in self.model.columns) and now.hour >= 10:
            start = datetime.combine(self.model.day, (now - timedelta(hours=1)).time())
        self.scroller.verticalScrollBar().setValue(self.grid.y_of(start))

    def page(self, steps: int) -> None:
        self.set_view(self.model.view, step_range(self.model.view, self.model.day, steps))

    def go_today(self) -> None:
        self.set_view(self.model.view, self.today())

    def _filters_changed(self) -> None:
        self._apply_filters()
        self.reload()

    def _apply_filters(self) -> None:
        provider = self.provider_box.currentData()
        location = self.location_box.currentData()
        self.model.set_filters(providers=None if provider is None else {provider}, location=location)

    def _update_range_label(self) -> None:
        view, day = self.model.view, self.model.day
        if view is CalendarView.WEEK:
            first = week_start(day)
            last = step_range(CalendarView.DAY, first, 6)
            text = f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
        elif view is CalendarView.MONTH:
            text = f"{day:%B %Y}"
        else:
            text = f"{day:%A}, {day:%B} {day.day}, {day.year}"
        self.range_label.setText(text)

    # -- loading -----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch the visible range off the UI thread (once at a time; a request meanwhile runs after)."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        start, end = visible_range(self.model.view, self.model.day)
        source = self.source
        brief = self.grid.crowded()  # too many providers side by side for words: read what places blocks
        run_in_background(self, lambda: source.entries(start, end, brief=brief), on_done=self._loaded,
                          on_error=self._load_failed)

    def _loaded(self, entries: list[CalendarEntry]) -> None:
        self._loading = False
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        self._loads += 1
        self._details_asked.clear()
        self.model.set_entries(entries)
        self._selection_changed(self.grid.selected_id)
        self.sig_entries_loaded.emit()

    def _load_details(self, brief: list[CalendarEntry]) -> None:
        """Read in full, off the UI thread, the brief entries the grid shows with room for words —
        unless a load is on its way: its entries replace these (from a crowded week to a day, the
        week's brief blocks are wide until the day, read in full, lands), and its own paint asks."""
        if self._loading:
            return
        shown = self.model.shown  # a paint of an older load may ask after a newer one came: its own paint asks
        wanted = [e for e in brief if e.id not in self._details_asked and shown(e.id) is e]
        if not wanted:
            return
        self._details_asked.update(e.id for e in wanted)
        load, source, within = self._loads, self.source, visible_range(self.model.view, self.model.day)

        def done(entries: list[CalendarEntry]) -> None:
            if load == self._loads:  # else a newer range is on screen: its own blocks ask again
                self.model.add_details(entries, asked=wanted)

        def failed(exc: BaseException) -> None:
            from mentalspace_desktop.gui.errors import user_message

            self.show_feedback(f"The appointments' details could not be read: {user_message(exc)[1]}", True)

        run_in_background(self, lambda: source.details(wanted, within=within), on_done=done, on_error=failed)

    def _details_now(self, brief: list[CalendarEntry]) -> list[CalendarEntry]:
        """One brief entry in full at once (selected, pointed at, checked in): a key look-up."""
        try:
            return self.source.details(brief, within=visible_range(self.model.view, self.model.day))
        except Exception as exc:  # the entry stays brief; the user is told why its words are missing
            from mentalspace_desktop.gui.errors import user_message

            self.show_feedback(f"The appointment could not be read: {user_message(exc)[1]}", True)
            return []

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        from mentalspace_desktop.gui.errors import user_message

        self.show_feedback(f"The calendar could not be loaded: {user_message(exc)[1]}", True)

    # -- actions -----------------------------------------------------------------------------------

    def _conflict(self, before: CalendarEntry | None, proposal: CalendarEntry) -> str | None:
        return self.source.conflict(before, proposal)

    def _move(self, before: CalendarEntry, proposal: CalendarEntry) -> None:
        self.model.upsert(proposal)  # shown at once; a refusal puts it back
        source = self.source

        def done(_r: object) -> None:
            self.show_feedback(f"Moved {proposal.title} to {proposal.start:%a} {proposal.start.day} "
                               f"{proposal.start:%b}, {proposal.time_label()}.", False)
            self.sig_move_did_finish.emit(proposal.id)
            self.reload()

        def failed(exc: BaseException) -> None:
            self.model.upsert(before)
            from mentalspace_desktop.gui.errors import user_message

            self._move_refused(user_message(exc)[1])

        run_in_background(self, lambda: source.move(before, proposal), on_done=done, on_error=failed)

    def _move_refused(self, reason: str) -> None:
        self.show_feedback(f"Not moved: {reason}", True)

    def check_in(self, entry_id: str) -> None:
        entry = self.model.entry(entry_id)
        if entry is None or entry.busy_only:
            return
        if not entry.active or entry.status in ("checked_in", "arrived", "completed"):
            self.show_feedback(f"{entry.title} is already {entry.status_label().lower()}.", False)
            return
        source = self.source

        def done(_r: object) -> None:
            self.show_feedback(f"{entry.title} checked in.", False)
            self.reload()

        run_in_background(self, lambda: source.check_in(entry_id), on_done=done,
                          on_error=lambda exc: self.show_feedback(
                              f"Not checked in: {getattr(exc, 'message', exc)}", True))

    def _book_from_button(self) -> None:
        if self.model.view is CalendarView.MONTH:
            self.set_view(CalendarView.DAY, self.month.selected)
        self.grid.book_at_cursor()

    def _selection_changed(self, entry_id: str) -> None:
        self.details.show_entry(self.model.entry(entry_id) if entry_id else None)

    def show_feedback(self, text: str, problem: bool) -> None:
        self.feedback.setText(text or " ")
        self.feedback.setProperty("role", "error" if problem else "hint")
        self.feedback.setAccessibleDescription(text)
        forms.repolish(self.feedback)
