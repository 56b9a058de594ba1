"""Find a slot: the front desk describes the visit — by form (providers, type, dates, time of day) or
by a plain phrase ("Dr. Patel next Tuesday afternoon") — and gets free slots best first, each with
why it ranks where it does. Choosing one opens the booking dialog filled in.

The search runs off the UI thread; the phrase is parsed offline by the finding service, and what it
did not understand is said, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from mentalspace_desktop.domain.scheduling.slots import DAY_COST
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.common import selected_row
from mentalspace_desktop.gui.localtime import wall_today
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QHideEvent,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.calendar_view import CalendarViewService, TypeChoice
from mentalspace_desktop.services.scheduling.finding import FoundSlot, PhraseResult, SlotFinder
from mentalspace_desktop.services.session import UserSession

TIMES_OF_DAY = (("Any time of day", None), ("Morning", "morning"), ("Afternoon", "afternoon"),
                ("Evening", "evening"))
# The ranking's bonuses (domain.scheduling.slots): its reason → (short words, points).
BONUS = {"next to another visit": ("next to a visit", 4), "on the hour": ("on the hour", 1)}
PHRASE_EXAMPLE = "e.g. “Dr. Patel next Tuesday afternoon” or “any intake slot this week after 4pm”"


def explain(slot: FoundSlot, first_day: date) -> str:
    """Why a slot ranks where it does, in the ranking's own terms: a slot next to another visit (a
    compact day) and one on the hour earn points, each day after the first searched costs some."""
    days_out = (slot.slot.start_local.date() - first_day).days
    parts = [f"{BONUS[reason][0]} +{BONUS[reason][1]}" for reason in slot.slot.reasons if reason in BONUS]
    parts.append("first day searched" if days_out <= 0 else
                 f"{days_out} day{'s' if days_out != 1 else ''} later −{DAY_COST * days_out:g}")
    return " · ".join(parts)


@dataclass(frozen=True)
class RankedSlot:
    rank: int
    found: FoundSlot
    why: str

    @property
    def id(self) -> str:
        return f"{self.found.slot.provider_id}@{self.found.slot.start_local.isoformat()}"


class SlotsModel(RowsModel[RankedSlot]):
    headers = ("#", "Day", "Starts", "Provider", "Points", "Why it ranks here")

    def cell(self, row: RankedSlot, column: int, role: int) -> Any:
        s = row.found.slot
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(row.rank), f"{s.start_local:%a %m/%d}", _clock(s.start_local), row.found.provider_name,
                    f"{s.score:.0f}", row.why)[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (f"Rank {row.rank}", f"{s.start_local:%A %B %d}",
                    f"{_clock(s.start_local)} to {_clock(s.end_local)}", row.found.provider_name,
                    f"{s.score:.0f} points", row.why)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{s.start_local:%A %m/%d/%Y} {_clock(s.start_local)} – {_clock(s.end_local)} with "
                    f"{row.found.provider_name}: {s.score:.0f} points ({row.why})")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _clock_of(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _minutes_of(t: time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def _time_choices() -> list[tuple[str, int]]:
    """Half hours of the working day, as minutes after midnight (a plain int compares in findData)."""
    return [(_clock(datetime.combine(date.min, _clock_of(m))), m) for m in range(7 * 60, 21 * 60 + 1, 30)]


class FindSlotDialog(QDialog):
    """Criteria on the left (or a phrase above), ranked free slots on the right."""

    sig_searched = Signal()
    """A search finished (slots, or a message, are on screen)."""
    sig_slot_chosen = Signal(object, str)
    """Book this slot (a FoundSlot) for this appointment type id."""

    def __init__(self, session: UserSession, parent: QWidget | None = None, *, may_book: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a slot")
        self.setAccessibleName("Find a slot")
        self.resize(1180, 660)
        self.finder = SlotFinder(session)
        view = CalendarViewService(session)
        res = view.resources()
        self.types: list[TypeChoice] = view.types()
        self.first_day = wall_today()
        self.searched_type_id = ""
        self.may_book = may_book
        self._serial = 0
        self._build(res.providers, res.own_provider_id, may_book)

    # -- building ----------------------------------------------------------------------------------

    def _build(self, providers: list[tuple[str, str]], own: str, may_book: bool) -> None:
        self.phrase_edit = forms.labelled_edit("Describe the slot in words", placeholder=PHRASE_EXAMPLE)
        self.phrase_edit.setClearButtonEnabled(True)
        self.phrase_button = QPushButton("&Search words")
        self.phrase_button.setAccessibleName("Search for the slot described in words")
        self.understood = QLabel()
        self.understood.setWordWrap(True)
        self.understood.setAccessibleName("What the search understood")
        self.understood.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.understood.hide()

        self.providers = QListWidget()
        self.providers.setAccessibleName("Providers to search (none ticked: everyone)")
        self.providers.setToolTip("Tick with Space; none ticked searches every provider")
        for pid, name in providers:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, pid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if pid == own else Qt.CheckState.Unchecked)
            self.providers.addItem(item)
        self.providers.setMinimumHeight(90)
        self.providers.setMaximumHeight(120)
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type")
        for t in self.types:
            self.type_box.addItem(f"{t.name} · {t.minutes} min", t.id)
        usual = next((i for i, t in enumerate(self.types) if t.category == "individual"), 0)
        self.type_box.setCurrentIndex(usual)
        today = QDate(self.first_day.year, self.first_day.month, self.first_day.day)
        self.from_edit = QDateEdit(today)
        self.from_edit.setCalendarPopup(True)
        self.from_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.from_edit.setAccessibleName("First day")
        self.to_edit = QDateEdit(today.addDays(13))
        self.to_edit.setCalendarPopup(True)
        self.to_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.to_edit.setAccessibleName("Last day")
        self.time_of_day = QComboBox()
        self.time_of_day.setAccessibleName("Time of day")
        for label, key in TIMES_OF_DAY:
            self.time_of_day.addItem(label, key)
        self.after_box = QComboBox()
        self.after_box.setAccessibleName("Starting no earlier than")
        self.before_box = QComboBox()
        self.before_box.setAccessibleName("Ending no later than")
        self.after_box.addItem("any time", None)
        self.before_box.addItem("any time", None)
        for label, minutes in _time_choices():
            self.after_box.addItem(label, minutes)
            self.before_box.addItem(label, minutes)
        self.find_button = forms.primary(QPushButton("&Find slots"))
        self.find_button.setAccessibleName("Find free slots for these choices")

        self.model = SlotsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Free slots, best first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.empty = forms.empty_state(self.table, "Choose what you need and press Find slots.")
        self.message = forms.MessageLabel()
        self.book_button = forms.primary(QPushButton("&Book this slot…"))
        self.book_button.setAccessibleName("Book the chosen slot")
        self.book_button.setEnabled(False)
        self.book_button.setVisible(may_book)
        close = QPushButton("Close")
        close.setAccessibleName("Close Find a slot")

        phrase_row = QHBoxLayout()
        phrase_row.addWidget(_buddy("In &words:", self.phrase_edit))
        phrase_row.addWidget(self.phrase_edit, 1)
        phrase_row.addWidget(self.phrase_button)

        criteria = QWidget()
        criteria.setMaximumWidth(360)
        form = QFormLayout(criteria)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(_buddy("&Providers:", self.providers), self.providers)
        form.addRow(_buddy("T&ype:", self.type_box), self.type_box)
        form.addRow(_buddy("F&rom:", self.from_edit), self.from_edit)
        form.addRow(_buddy("&Until:", self.to_edit), self.to_edit)
        form.addRow(_buddy("&Time of day:", self.time_of_day), self.time_of_day)
        form.addRow(_buddy("Start &after:", self.after_box), self.after_box)
        form.addRow(_buddy("End b&efore:", self.before_box), self.before_box)
        form.addRow(forms.button_row(self.find_button))

        results = QVBoxLayout()
        results.setSpacing(6)
        title = QLabel("Free slots, best first")
        title.setObjectName("sectionTitle")
        results.addWidget(title)
        results.addWidget(self.table, 1)
        hint = QLabel("Points: 100, minus 3 for each day after the first searched, plus 4 next to another "
                      "visit (a compact day) and 1 on the hour; ties go to the earlier time, then the provider "
                      "list." + (" Enter or double-click books the chosen slot." if may_book else ""))
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        results.addWidget(hint)

        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(criteria, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(results, 1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.addWidget(forms.page_header("Find a slot", "Say it in words, or choose below."))
        outer.addLayout(phrase_row)
        outer.addWidget(self.understood)
        outer.addSpacing(6)
        outer.addLayout(body, 1)
        outer.addWidget(self.message)
        outer.addLayout(forms.button_row(close, self.book_button))

        self.phrase_edit.returnPressed.connect(self.search_phrase)
        self.phrase_button.clicked.connect(self.search_phrase)
        self.find_button.clicked.connect(self.search_form)
        self.book_button.clicked.connect(self.choose)
        self.table.activated.connect(lambda _i: self.choose())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        close.clicked.connect(self.reject)
        self.setTabOrder(self.phrase_edit, self.phrase_button)
        self.phrase_edit.setFocus()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self._serial += 1  # an answer still on its way finds no one to show it to
        super().hideEvent(event)

    # -- the criteria ------------------------------------------------------------------------------

    def provider_ids(self) -> list[str]:
        return [str(self.providers.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.providers.count())
                if self.providers.item(i).checkState() == Qt.CheckState.Checked]

    @staticmethod
    def _clock_box(box: QComboBox) -> time | None:
        minutes = box.currentData()
        return None if minutes is None else _clock_of(int(minutes))

    @staticmethod
    def _date(edit: QDateEdit) -> date:
        d = edit.date()
        return date(d.year(), d.month(), d.day())

    def _show_criteria(self, result: PhraseResult) -> None:
        """Put what the phrase meant into the form, so the desk can see it and adjust it."""
        p = result.phrase
        for i in range(self.providers.count()):
            item = self.providers.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in p.provider_ids
                               else Qt.CheckState.Unchecked)
        self.type_box.setCurrentIndex(max(0, self.type_box.findData(result.type_id)))
        for edit, day in ((self.from_edit, max(p.date_from or self.first_day, self.first_day)),
                          (self.to_edit, p.date_to or self.first_day)):
            edit.setDate(QDate(day.year, day.month, day.day))
        self.time_of_day.setCurrentIndex(max(0, self.time_of_day.findData(p.time_of_day)))
        self.after_box.setCurrentIndex(max(0, self.after_box.findData(_minutes_of(p.after))))
        self.before_box.setCurrentIndex(max(0, self.before_box.findData(_minutes_of(p.before))))

    # -- searching ---------------------------------------------------------------------------------

    def search_phrase(self) -> None:
        text = self.phrase_edit.text().strip()
        if not text:
            self.message.show_hint(f"Type what you are looking for, {PHRASE_EXAMPLE}.")
            self.phrase_edit.setFocus()
            return
        finder, default_type = self.finder, self.type_box.currentData()
        self._run(lambda: finder.find_by_phrase(text, default_type_id=default_type), phrase=True)

    def search_form(self) -> None:
        if not self.types:
            self.message.show_error("No appointment types are set up yet: an administrator adds them.")
            return
        first, last = self._date(self.from_edit), self._date(self.to_edit)
        if last < first:
            self.message.show_error("The last day is before the first: change “Until”.")
            self.to_edit.setFocus()
            return
        finder, type_id, pids = self.finder, str(self.type_box.currentData()), self.provider_ids() or None
        tod = self.time_of_day.currentData()
        after, before = self._clock_box(self.after_box), self._clock_box(self.before_box)
        if after is not None and before is not None and after >= before:
            self.message.show_error("“Start after” must be earlier than “End before”.")
            return
        self.understood.hide()
        self._run(lambda: (type_id, first, finder.find(type_id=type_id, date_from=max(first, self.first_day),
                                                       date_to=last, provider_ids=pids, time_of_day=tod,
                                                       after=after, before=before)))

    def _run(self, work: Any, *, phrase: bool = False) -> None:
        self._serial += 1
        serial = self._serial
        self.message.clear_message()
        self.find_button.setEnabled(False)
        self.phrase_button.setEnabled(False)
        self.empty.setText("Searching…")

        def done(result: PhraseResult | tuple[str, date, list[FoundSlot]]) -> None:
            if serial != self._serial:
                return
            self._idle()
            if isinstance(result, PhraseResult):
                self._show_understood(result)
                self._show_criteria(result)
                first = max(result.phrase.date_from or self.first_day, self.first_day)
                self._show_slots(result.type_id or "", first, result.slots)
            else:
                type_id, first, slots = result
                self._show_slots(type_id, max(first, self.first_day), slots)
            self.sig_searched.emit()

        def failed(exc: BaseException) -> None:
            if serial != self._serial:
                return
            self._idle()
            self.understood.hide()
            self.model.set_rows([])
            self._selection_changed()
            self.message.show_exception(exc)
            if phrase:  # said beside the words it is about
                self._say(self.message.text(), problem=True)
                self.message.clear_message()
                self.empty.setText("Nothing searched: see the words above the form.")
                self.phrase_edit.setFocus()
            else:
                self.empty.setText("Nothing searched: see the message below.")
            self.sig_searched.emit()

        run_in_background(self, work, on_done=done, on_error=failed)

    def _idle(self) -> None:
        self.find_button.setEnabled(True)
        self.phrase_button.setEnabled(True)

    def _show_understood(self, result: PhraseResult) -> None:
        understood = result.understood.split(" (not understood", 1)[0]
        text = f"Understood: {understood}."
        if result.phrase.ignored:
            words = ", ".join(f"“{w}”" for w in result.phrase.ignored)
            text += f" Not understood, left out of the search: {words}."
        self._say(text, problem=bool(result.phrase.ignored))

    def _say(self, text: str, *, problem: bool) -> None:
        self.understood.setText(text)
        self.understood.setProperty("role", "error" if problem else "hint")
        self.understood.setAccessibleDescription(text)
        forms.repolish(self.understood)
        self.understood.show()

    def _show_slots(self, type_id: str, first_day: date, slots: list[FoundSlot]) -> None:
        self.searched_type_id = type_id
        rows = [RankedSlot(i + 1, s, explain(s, first_day)) for i, s in enumerate(slots)]
        self.model.set_rows(rows)
        self.empty.setText("No free slot matches. Widen the dates, the time of day or the providers.")
        if rows:
            self.table.selectRow(0)
            self.table.setFocus()
        self._selection_changed()

    # -- choosing ----------------------------------------------------------------------------------

    def chosen(self) -> RankedSlot | None:
        return selected_row(self.table, self.model)

    def _selection_changed(self) -> None:
        self.book_button.setEnabled(self.chosen() is not None)

    def choose(self) -> None:
        row = self.chosen()
        if row is None or not self.may_book:
            return
        self.sig_slot_chosen.emit(row.found, self.searched_type_id)
        self.accept()
