"""The Reminders screen's figures tab: messages and provider cost per month, and what followed
reminders — of the visits reminded in the months chosen, how many were confirmed or cancelled by a
reply or went unanswered (and how many reminders never arrived), with the no-shows of each group. So
a practice sees whether unanswered reminders go with missed visits, and whom to call.

Both reads run in the background; the service checks the administrator's rights again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.gui.qt import (
    QComboBox,
    QFont,
    QFrame,
    QHBoxLayout,
    QLabel,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.models import MonthlyModel, money
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.stats import MonthlyCount, OutcomeGroup

MONTHS_BACK = 12
ANSWER_LABELS = {"confirmed": "Confirmed by reply", "cancelled": "Cancelled by reply", "no_answer": "No answer",
                 "undelivered": "Not delivered"}


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def months_before(today: date, count: int) -> list[date]:
    """The first day of this month and of the ``count`` months before it, newest first."""
    out, y, m = [], today.year, today.month
    for _ in range(count + 1):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def figure_font() -> QFont:
    """The application's font, semibold: the counts are what this tab is read for, and a lone digit
    ("6", "8") in the regular weight renders as little more than grey anti-aliasing at table size."""
    font = QFont()
    font.setWeight(QFont.Weight.DemiBold)
    return font


class FiguresMonthlyModel(MonthlyModel):
    """The monthly counts, their figures in :func:`figure_font`."""

    def cell(self, row: MonthlyCount, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.FontRole and column >= 2:
            return figure_font()
        return super().cell(row, column, role)


class OutcomesModel(RowsModel[OutcomeGroup]):
    """One row per answer. The share is of the visits a reminder reached; a reminder that never
    arrived is no answer, so its row has no share; a visit cancelled by reply cannot be missed."""

    headers = ("Answer to the reminder", "Visits", "Share of reminded", "Kept", "No-shows", "No-show rate")

    def reached(self) -> int:
        return sum(g.appointments for g in self.rows() if g.answer != "undelivered")

    def cell(self, row: OutcomeGroup, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            gave_back = row.answer == "cancelled"
            share = "not reached" if row.answer == "undelivered" else percent(row.appointments, self.reached())
            rate = row.no_show_rate
            return (ANSWER_LABELS.get(row.answer, row.answer), str(row.appointments), share,
                    "—" if gave_back else str(row.completed), "—" if gave_back else str(row.no_shows),
                    "—" if gave_back or rate is None else f"{100 * rate:.1f} %")[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column >= 1:
            shown = self.cell(row, column, Qt.ItemDataRole.DisplayRole)
            return figure_font() if shown[:1].isdigit() else None
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and row.answer == "cancelled":
            return "Given back in time by a reply: these visits cannot be missed."
        return None


class ReminderFiguresTab(QWidget):
    """Messages and cost per month; what followed reminders for a chosen range of months."""

    sig_outcomes_loaded = Signal()
    """The outcome groups of the chosen months were (re)read."""

    def __init__(self, desk: ReminderDeskService, table: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.monthly_model = FiguresMonthlyModel(self)
        self.monthly_view: QTableView = table("Messages per month", self.monthly_model)
        self.monthly_view.setMaximumWidth(820)  # the figures stay beside their month, not across the screen
        forms.empty_state(self.monthly_view, "No reminders sent in the last twelve months.")
        self.totals = QLabel()
        self.totals.setObjectName("sectionTitle")
        self.totals.setAccessibleName("Totals for the last twelve months")
        note = QLabel("Sent: the provider took the message. Cost: what the provider charged (texts and calls; "
                      "e-mail is free).")
        note.setProperty("role", "hint")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals)
        layout.addWidget(self.monthly_view, 1)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(self._outcomes_card(table))

    def _outcomes_card(self, table: Any) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(820)
        box = QVBoxLayout(card)
        box.setContentsMargins(16, 12, 16, 12)
        box.setSpacing(8)
        title = QLabel("What followed reminders")
        title.setObjectName("sectionTitle")
        months = months_before(to_local(self.desk.now()).date(), MONTHS_BACK)
        self.first_month, self.last_month = QComboBox(), QComboBox()
        for combo, name in ((self.first_month, "First month"), (self.last_month, "Last month")):
            combo.setAccessibleName(name)
            for m in months:
                combo.addItem(f"{m:%B %Y}", m.isoformat())  # text: a date would come back as a QDate
            combo.currentIndexChanged.connect(lambda _i: self.load_outcomes())
        self.first_month.setCurrentIndex(min(2, len(months) - 1))  # the last three months
        self.last_month.setCurrentIndex(0)
        choose = QHBoxLayout()
        choose.addWidget(title)
        choose.addStretch(1)
        for text, combo in (("&From", self.first_month), ("&to", self.last_month)):
            label = QLabel(text)
            label.setBuddy(combo)
            choose.addWidget(label)
            choose.addWidget(combo)
        self.outcomes_model = OutcomesModel(self)
        self.outcomes_view: QTableView = table("What followed reminders", self.outcomes_model)
        rows = self.outcomes_view.verticalHeader().defaultSectionSize()
        self.outcomes_view.setFixedHeight(rows * 4 + self.outcomes_view.horizontalHeader().sizeHint().height() + 4)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What followed reminders, in words")
        hint = QLabel("Visits that have taken place, by the answer to their first reminder. No-show rate: "
                      "no-shows among the group's visits. Not delivered: every reminder failed (often a "
                      "landline): the client may not know about the visit.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        box.addLayout(choose)
        box.addWidget(self.outcomes_view)
        box.addWidget(self.summary)
        box.addWidget(hint)
        return card

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        desk = self.desk
        run_in_background(self, lambda: desk.monthly_counts(MONTHS_BACK), on_done=self._figures_loaded)
        self.load_outcomes()

    def _figures_loaded(self, rows: list[Any]) -> None:
        self.monthly_model.set_rows(list(reversed(rows)))
        sent = sum(r.sent for r in rows)
        cents = sum(r.cost_cents for r in rows)
        failed = sum(r.failed for r in rows)
        self.totals.setText(f"Last twelve months: {sent} sent, {failed} failed, provider cost {money(cents)}")

    def chosen(self) -> tuple[date, date] | None:
        """The first days of the first and last months chosen."""
        first, last = self.first_month.currentData(), self.last_month.currentData()
        if not first or not last:
            return None
        return date.fromisoformat(first), date.fromisoformat(last)

    def choose(self, first: date, last: date) -> None:
        """Show the months ``first``…``last`` (what a person does with the two lists)."""
        self.first_month.setCurrentIndex(self.first_month.findData(first.replace(day=1).isoformat()))
        self.last_month.setCurrentIndex(self.last_month.findData(last.replace(day=1).isoformat()))

    def load_outcomes(self) -> Task | None:
        chosen = self.chosen()
        if chosen is None:
            return None
        first, last = chosen
        if first > last:
            self.outcomes_model.set_rows([])
            self.summary.setText("The first month is after the last: choose a range that runs forward.")
            return None
        desk = self.desk
        return run_in_background(self, lambda: desk.outcome_groups(first, last),
                                 on_done=lambda groups: self._outcomes_loaded(groups, (first, last)))

    def _outcomes_loaded(self, groups: list[OutcomeGroup], asked: tuple[date, date]) -> None:
        if asked != self.chosen():
            return  # the months changed while this was read: the newer answer is on its way
        self.outcomes_model.set_rows(groups)
        self.summary.setText(self.in_words(groups))
        self.sig_outcomes_loaded.emit()

    @staticmethod
    def in_words(groups: list[OutcomeGroup]) -> str:
        by = {g.answer: g for g in groups}
        reached = sum(g.appointments for g in groups if g.answer != "undelivered")
        if not reached:
            return "No reminded visits have taken place in these months."
        parts = [f"Of {reached} reminded visits, {percent(by['confirmed'].appointments, reached)} were confirmed "
                 f"by reply and {percent(by['no_answer'].appointments, reached)} went unanswered."]
        confirmed, silent = by["confirmed"].no_show_rate, by["no_answer"].no_show_rate
        if confirmed is not None and silent is not None:
            parts.append(f"No-shows: {100 * confirmed:.1f} % after a confirmation, {100 * silent:.1f} % after "
                         "no answer.")
        return " ".join(parts)
