"""The waitlist: who is waiting, in priority order with the reasons, and the freed-slot offer flow —
the best-matching clients for a slot, an offer, and its outcome (accepted books the slot).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.booking_dialog import minutes_of, time_choices
from mentalspace_desktop.gui.calendar.client_picker import ClientPicker
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QCheckBox,
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
    QPushButton,
    QShowEvent,
    QSpinBox,
    QSplitter,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.calendar_view import CalendarViewService
from mentalspace_desktop.services.scheduling.waitlist import OfferView, WaitlistInput, WaitlistItem, WaitlistService
from mentalspace_desktop.services.session import UserSession

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIMES = ("morning", "afternoon", "evening")
OUTCOME_WORDS = {"accepted": "Accepted", "declined": "Declined", "no_answer": "No answer", "pending": "Waiting for "
                 "an answer"}


def preferences(item: WaitlistItem) -> str:
    days = ", ".join(DAYS[d] for d in sorted(item.days)) or "any day"
    times = ", ".join(t for t in TIMES if t in item.times) or "any time"
    return f"{days} · {times}"


class WaitlistModel(RowsModel[WaitlistItem]):
    headers = ("Priority", "Client", "Wants", "When", "Urgency", "Waiting since")

    def cell(self, row: WaitlistItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{row.priority.score:.0f}",
                row.client_name,
                row.provider_name or "any provider",
                preferences(row),
                row.urgency.capitalize(),
                f"{row.added_on:%m/%d/%Y}",
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            when = f"{preferences(row)}\n" if column == 3 else ""
            return f"{when}Priority {row.priority.score:.0f}: {row.priority.explain()}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MatchesModel(RowsModel[WaitlistItem]):
    headers = ("Fit", "Client", "Why")

    def cell(self, row: WaitlistItem, column: int, role: int) -> Any:
        fit = row.match.score if row.match else 0.0
        # a match's reasons already include the priority's
        why = row.match.explain() if row.match else row.priority.explain()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{fit:.0f}", row.client_name, why)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return why
        return None


class OfferSlotDialog(QDialog):
    """A freed slot → the best-matching waiting clients → an offer → its outcome."""

    sig_matched = Signal()
    """The matches for the slot are on screen."""
    sig_offer_did_finish = Signal(str)
    """An outcome was recorded: what happened, in words."""

    def __init__(self, session: UserSession, parent: QWidget | None = None, *, provider_id: str = "",
                 start: datetime | None = None, minutes: int = 50, type_id: str = "", freed_by: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self.freed_by = freed_by or None  # the client who cancelled the slot: not offered it back
        self.service = WaitlistService(session)
        self.setWindowTitle("Offer a freed slot")
        self.setAccessibleName("Offer a freed slot")
        self.resize(860, 560)
        view = CalendarViewService(session)
        res = view.resources()
        self.offer_id = ""
        start = start or datetime.combine(date.today() + timedelta(days=1), datetime.min.time()).replace(hour=9)
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Provider of the slot")
        for pid, name in res.providers:
            self.provider_box.addItem(name, pid)
        self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(provider_id)))
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type of the slot")
        self.type_box.addItem("Any type", "")
        for t in view.types():
            self.type_box.addItem(t.name, t.id)
        self.type_box.setCurrentIndex(max(0, self.type_box.findData(type_id)))
        self.date_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.date_edit.setAccessibleName("Date of the slot")
        self.time_box = QComboBox()
        self.time_box.setAccessibleName("Start of the slot")
        for label, m in time_choices():
            self.time_box.addItem(label, m)
        self.time_box.setCurrentIndex(max(0, self.time_box.findData(minutes_of(start))))
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 600)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(minutes)
        self.minutes.setAccessibleName("Length of the slot")
        self.model = MatchesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Best-matching waiting clients")
        forms.empty_state(self.table, "No one on the waitlist fits this slot.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.explain = QLabel("Best first: how well the slot fits what they asked for, then how long and how "
                              "urgently they have waited.")
        self.explain.setWordWrap(True)
        self.explain.setProperty("role", "hint")
        self.offer_button = forms.primary(QPushButton("&Offer to the selected client"))
        self.offer_button.setAccessibleName("Offer the slot to the selected client")
        self.offer_button.setEnabled(False)  # until the matches are in
        self.accepted_button = QPushButton("&Accepted — book it")
        self.declined_button = QPushButton("&Declined")
        self.no_answer_button = QPushButton("&No answer")
        for b in (self.accepted_button, self.declined_button, self.no_answer_button):
            b.setAccessibleName(f"Outcome: {b.text().replace('&', '')}")
            b.hide()
        self.outcome_label = QLabel()
        self.outcome_label.setObjectName("sectionTitle")
        self.outcome_label.hide()
        self.message = forms.MessageLabel()
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        slot = QFormLayout()
        when = QHBoxLayout()
        when.addWidget(self.date_edit)
        when.addWidget(_buddy("&at", self.time_box))
        when.addWidget(self.time_box)
        when.addWidget(_buddy("fo&r", self.minutes))
        when.addWidget(self.minutes)
        when.addStretch(1)
        slot.addRow(_buddy("&Provider:", self.provider_box), self.provider_box)
        slot.addRow(_buddy("&Date:", self.date_edit), when)
        slot.addRow(_buddy("T&ype:", self.type_box), self.type_box)
        outcome = QHBoxLayout()
        outcome.addWidget(self.outcome_label, 1)
        for b in (self.accepted_button, self.declined_button, self.no_answer_button):
            outcome.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(forms.page_header("Offer a freed slot", "Who on the waitlist fits this time best?"))
        layout.addLayout(slot)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        layout.addLayout(outcome)
        layout.addWidget(self.message)
        layout.addLayout(forms.button_row(self.offer_button, close))

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.find_matches)
        for signal in (self.provider_box.currentIndexChanged, self.type_box.currentIndexChanged,
                       self.date_edit.dateChanged, self.time_box.currentIndexChanged, self.minutes.valueChanged):
            signal.connect(lambda *_a: self._timer.start())
        self.offer_button.clicked.connect(self.offer)
        self.accepted_button.clicked.connect(lambda: self.record("accepted"))
        self.declined_button.clicked.connect(lambda: self.record("declined"))
        self.no_answer_button.clicked.connect(lambda: self.record("no_answer"))
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        """A closed dialog starts no more checks (their answers would find no one to show them to)."""
        self._timer.stop()
        super().hideEvent(event)

    def start_local(self) -> datetime:
        d = self.date_edit.date()
        hour, minute = divmod(int(self.time_box.currentData()), 60)
        return datetime(d.year(), d.month(), d.day(), hour, minute)

    def find_matches(self) -> None:
        service = self.service
        provider, start, type_id = self.provider_box.currentData(), self.start_local(), self.type_box.currentData()

        def done(items: list[WaitlistItem]) -> None:
            self.model.set_rows(items)
            self.table.resizeRowsToContents()
            if items:
                self.table.selectRow(0)
            self.offer_button.setEnabled(bool(items) and not self.offer_id)
            if not items:
                self.message.show_hint("No one on the waitlist fits this slot.")
            else:
                self.message.clear_message()
            self.sig_matched.emit()

        freed_by = self.freed_by
        run_in_background(self, lambda: service.matches_for_slot(provider, start, type_id=type_id or None,
                                                                 freed_by=freed_by),
                          on_done=done, on_error=self.message.show_exception)

    def selected(self) -> WaitlistItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def offer(self) -> None:
        item = self.selected()
        if item is None:
            self.message.show_error("Select the client you are offering the slot to.")
            return
        service, provider, start = self.service, self.provider_box.currentData(), self.start_local()
        minutes, type_id = self.minutes.value(), self.type_box.currentData() or None

        def done(offer_id: str) -> None:
            self.offer_id = offer_id
            self.offer_button.setEnabled(False)
            self.outcome_label.setText(f"Offered {start:%a %m/%d} {_clock(start)} to {item.client_name}. "
                                       "What did they say?")
            for w in (self.outcome_label, self.accepted_button, self.declined_button, self.no_answer_button):
                w.show()
            self.accepted_button.setFocus()

        run_in_background(self, lambda: service.offer(item.id, provider, start, minutes, type_id=type_id),
                          on_done=done, on_error=self.message.show_exception)

    def record(self, outcome: str) -> None:
        service, offer_id = self.service, self.offer_id
        item = self.selected()
        name = item.client_name if item else "The client"

        def done(_r: object) -> None:
            words = {"accepted": f"{name} accepted: the appointment is booked and they left the waitlist.",
                     "declined": f"{name} declined and stays on the waitlist. Offer it to the next one.",
                     "no_answer": f"No answer from {name}; they stay on the waitlist. Offer it to the next one."}
            self.message.show_ok(words[outcome])
            self.offer_id = ""
            for w in (self.accepted_button, self.declined_button, self.no_answer_button):
                w.hide()
            self.outcome_label.setText(OUTCOME_WORDS[outcome])
            self.sig_offer_did_finish.emit(words[outcome])
            if outcome != "accepted":
                self.find_matches()

        run_in_background(self, lambda: service.record_outcome(offer_id, outcome), on_done=done,
                          on_error=self.message.show_exception)


class AddToWaitlistDialog(QDialog):
    """A client, what they want, when, how urgently."""

    sig_added = Signal(str)
    """The new entry's id."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Add to the waitlist")
        self.setAccessibleName("Add to the waitlist")
        self.client_id = ""
        view = CalendarViewService(session)
        self.message = forms.MessageLabel()
        self.client_picker = ClientPicker(session, self.message)
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Preferred provider")
        self.provider_box.addItem("Any provider", None)
        for pid, name in view.resources().providers:
            self.provider_box.addItem(name, pid)
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Kind of visit")
        self.type_box.addItem("Any type", None)
        for t in view.types():
            self.type_box.addItem(t.name, t.id)
        self.day_boxes = [QCheckBox(d) for d in DAYS[:6]]
        self.time_boxes = [QCheckBox(t.capitalize()) for t in TIMES]
        self.urgency = QComboBox()
        self.urgency.setAccessibleName("Urgency")
        for u in ("routine", "soon", "urgent"):
            self.urgency.addItem(u.capitalize(), u)
        self.insurance = forms.labelled_edit("Insurance", placeholder="Payer (optional)")
        self.telehealth_ok = QCheckBox("Telehealth is fine")
        self.telehealth_ok.setChecked(True)
        save = forms.primary(QPushButton("&Add"))
        cancel = QPushButton("Cancel")
        # The wrapped subtitle above the form, not a form row: a form row gives it one line's height.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        self.setMinimumWidth(560)  # the days and times in one readable row each
        outer.addWidget(forms.page_header("Add to the waitlist", "Who is waiting and what would suit them: "
                                                                 "a freed slot goes to the best match first."))
        form = QFormLayout()
        outer.addLayout(form)
        form.addRow(_buddy("&Client:", self.client_picker.edit), self.client_picker)
        form.addRow(_buddy("&Provider:", self.provider_box), self.provider_box)
        form.addRow(_buddy("&Type:", self.type_box), self.type_box)
        days = QHBoxLayout()
        for b in self.day_boxes:
            days.addWidget(b)
        days.addStretch(1)
        form.addRow("Days:", days)
        times = QHBoxLayout()
        for b in self.time_boxes:
            times.addWidget(b)
        times.addStretch(1)
        form.addRow("Times:", times)
        form.addRow(_buddy("&Urgency:", self.urgency), self.urgency)
        form.addRow(_buddy("&Insurance:", self.insurance), self.insurance)
        form.addRow("", self.telehealth_ok)
        form.addRow(self.message)
        form.addRow(forms.button_row(save, cancel))
        cancel.clicked.connect(self.reject)
        save.clicked.connect(self.save)
        self.client_picker.sig_chosen.connect(self._picked)

    def _picked(self, client_id: str, _name: str) -> None:
        self.client_id = client_id
        self.message.clear_message()

    def save(self) -> None:
        if not self.client_id:
            self.message.show_error("Choose the client: type part of a name and pick from the list.")
            return
        data = WaitlistInput(
            client_id=self.client_id, provider_id=self.provider_box.currentData(), type_id=self.type_box.currentData(),
            days=frozenset(i for i, b in enumerate(self.day_boxes) if b.isChecked()),
            times=frozenset(t for t, b in zip(TIMES, self.time_boxes, strict=True) if b.isChecked()),
            insurance=self.insurance.text(), urgency=self.urgency.currentData(),
            telehealth_ok=self.telehealth_ok.isChecked())
        service = WaitlistService(self.session)

        def done(entry_id: str) -> None:
            self.sig_added.emit(entry_id)
            self.accept()

        run_in_background(self, lambda: service.add(data), on_done=done, on_error=self.message.show_exception)


class WaitlistPage(QWidget):
    """Everyone waiting, highest priority first, with the reasons and the offers made to each."""

    sig_loaded = Signal()
    """The list was (re)loaded."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = WaitlistService(session)
        self.model = WaitlistModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Waitlist")
        forms.empty_state(self.table, "No one is waiting for a slot.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the name in full; the times may shorten
        self.why = QLabel("Select a client to see why they are where they are.")
        self.why.setWordWrap(True)
        self.why.setAccessibleName("Why this priority")
        self.offers = QListWidget()
        self.offers.setAccessibleName("Offers made")
        forms.empty_state(self.offers, "No offers made to this client yet.")
        self.add_button = QPushButton("&Add to waitlist…")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setAccessibleName("Take the selected client off the waitlist")
        self.offer_button = forms.primary(QPushButton("&Offer a freed slot…"))
        self.message = forms.MessageLabel()
        self.dialog: QDialog | None = None
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(8, 0, 0, 0)
        title = QLabel("Priority")
        title.setObjectName("sectionTitle")
        sv.addWidget(title)
        sv.addWidget(self.why)
        offers_title = QLabel("Offers made")
        offers_title.setObjectName("sectionTitle")
        sv.addWidget(offers_title)
        sv.addWidget(self.offers, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setSizes([760, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(forms.page_header("Waitlist", "Clients waiting for a slot, highest priority first. "
                                           "When a slot frees up, offer it to the best match."))
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.offer_button)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.offer_button.clicked.connect(lambda: self.offer_slot())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        bridge.sig_waitlist_did_change.connect(self._waitlist_changed)
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def _waitlist_changed(self, _entry_id: str) -> None:
        if self._loaded_once:
            self.reload()

    def reload(self) -> None:
        self._loaded_once = True
        run_in_background(self, self.service.entries, on_done=self._loaded, on_error=self.message.show_exception)

    def _loaded(self, items: list[WaitlistItem]) -> None:
        self.model.set_rows(items)
        if items:
            self.table.selectRow(0)
        self._selected()
        self.sig_loaded.emit()

    def selected(self) -> WaitlistItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _selected(self) -> None:
        item = self.selected()
        self.remove_button.setEnabled(item is not None)
        self.offers.clear()
        if item is None:
            self.why.setText("No one is waiting." if not self.model.rowCount() else "")
            return
        self.why.setText(f"<b>{item.client_name}</b>: priority {item.priority.score:.0f} — "
                         f"{item.priority.explain()}.<br>Wants {item.provider_name or 'any provider'}, "
                         f"{preferences(item)}" + (f"; insurance {item.insurance}" if item.insurance else ""))
        service = self.service

        def show(offers: list[OfferView]) -> None:
            self.offers.clear()
            for o in offers:
                self.offers.addItem(f"{o.start_local:%a %m/%d} {_clock(o.start_local)} with {o.provider_name}: "
                                    f"{OUTCOME_WORDS.get(o.outcome, o.outcome)} (by {o.offered_by_name})")
            if not offers:
                self.offers.addItem("No offers yet.")

        run_in_background(self, lambda: service.offers(item.id), on_done=show, on_error=self.message.show_exception)

    def add(self) -> AddToWaitlistDialog:
        dialog = AddToWaitlistDialog(self.session, self)
        dialog.sig_added.connect(lambda _i: self.reload())
        self.dialog = dialog
        dialog.open()
        return dialog

    def remove(self) -> None:
        item = self.selected()
        if item is None or not forms.ask(self, "Take off the waitlist?",
                                         f"{item.client_name} will no longer be offered freed slots.", "Remove"):
            return
        run_in_background(self, lambda: self.service.remove(item.id), on_done=lambda _r: self.reload(),
                          on_error=self.message.show_exception)

    def offer_slot(self, **slot: Any) -> OfferSlotDialog:
        dialog = OfferSlotDialog(self.session, self, **slot)
        dialog.sig_offer_did_finish.connect(lambda _t: self.reload())
        self.dialog = dialog
        dialog.open()
        return dialog
