"""The audit-log screen: who did what, when, from which workstation — filtered, newest first, exportable.

Administrators see every entry; supervisors their team's and every entry about their team's clients
(the service applies that scope). The log can be long, so queries and the CSV export run in the
background; filters apply as you type, with a short pause so a word is not queried letter by letter.
"Save anchor…" writes the chain heads to a file the administrator keeps off the workstation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from mentalspace_desktop.gui.localtime import date_pattern, format_datetime, start_of_day
from mentalspace_desktop.gui.qt import (
    QComboBox,
    QDate,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import MessageLabel, empty_state, labelled_edit, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.audit import AuditFilter, AuditService
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.store.models import AuditEntry

ALL = ""


# What an entry says when it was written without a summary (every chart view is one of those).
ACTION_SUMMARIES = {
    "open_chart": "Opened the chart",
    "view": "Viewed the record",
    "export": "Exported records",
    "login": "Signed in",
    "login_failed": "Sign-in failed",
    "unlock": "Unlocked the screen",
    "unlock_failed": "Unlock failed",
    "create": "Created the record",
    "update": "Changed the record",
    "backup": "Wrote a backup",
}


def action_words(action: str) -> str:
    return action.replace("_", " ").capitalize()


class AuditModel(RowsModel):
    """Entries as a supervisor reads them: the client's name and chart number (for those allowed to
    see them; ``client_labels`` holds them), and a summary on every line."""

    headers = ("When", "User", "Action", "Record", "Summary", "Workstation")
    client_labels: dict[str, str] = {}

    def set_entries(self, entries: list[AuditEntry], labels: dict[str, str] | None = None) -> None:
        self.client_labels = labels or {}
        self.set_rows(entries)

    def record_text(self, e: AuditEntry) -> str:
        if e.client_id and e.client_id in self.client_labels:
            prefix = "" if e.record_type == "client" else e.record_type.replace("_", " ") + " of "
            return prefix + self.client_labels[e.client_id]
        kind = e.record_type.replace("_", " ").capitalize()
        return f"{kind} (not in your caseload)" if e.client_id else kind

    def summary_text(self, e: AuditEntry) -> str:
        text = e.summary or ACTION_SUMMARIES.get(e.action, action_words(e.action))
        return text[:1].upper() + text[1:]


    def entry(self, row: int) -> AuditEntry:
        return self.row(row)

    def cell(self, e: AuditEntry, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (
                format_datetime(e.at),
                e.username,
                action_words(e.action),
                self.record_text(e),
                self.summary_text(e),
                e.workstation,
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3:
                return f"{self.record_text(e)} — record id {e.record_id}" if e.record_id else None
            return str(self.cell(e, column, Qt.ItemDataRole.DisplayRole) or "") or None
        if role == Qt.ItemDataRole.UserRole:
            return e.id
        return None


def _start_of(d: QDate) -> datetime:
    """Midnight of a calendar day in the practice's zone, as an aware instant (the log stores UTC)."""
    return start_of_day(date(d.year(), d.month(), d.day()))


class AuditLogPage(QWidget):
    sig_entries_loaded = Signal(int)
    """The table shows the entries matching the filters: how many."""
    sig_exported = Signal(int)
    """A CSV export finished: how many entries were written."""
    sig_anchor_saved = Signal(str)
    """An audit anchor was saved: the file's path."""

    def __init__(self, session: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = AuditService(session)
        supervisor = session.actor.role.value == "supervisor"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(
            page_header(
                "Audit log",
                "Your team's activity, and everything done about your team's clients (read-only)."
                if supervisor
                else "Every view and change of protected information, newest first. Entries cannot change.",
            )
        )
        filters = QHBoxLayout()
        filters.setSpacing(8)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-30))
        self.until = QDateEdit(today)
        for edit, name in ((self.since, "From date"), (self.until, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(date_pattern())  # the one date format of the app
            edit.setAccessibleName(name)
            edit.setFixedWidth(edit.fontMetrics().horizontalAdvance("00/00/0000") + 64)  # text + arrow
        self.user = QComboBox()
        self.user.setAccessibleName("User")
        self.user.setMinimumWidth(120)
        self.action = QComboBox()
        self.action.setAccessibleName("Action")
        self.action.setMinimumWidth(140)
        self.text = labelled_edit("Search text", placeholder="Search summary or record id")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(240)
        for caption, widget in (
            ("&From", self.since),
            ("&to", self.until),
            ("&User", self.user),
            ("&Action", self.action),
        ):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addStretch(1)
        layout.addLayout(filters)
        second = QHBoxLayout()
        second.setSpacing(8)
        second.addWidget(self.text, 1)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setAccessibleName("Export the filtered entries as CSV")
        self.export_button.clicked.connect(self._choose_export_file)
        second.addWidget(self.export_button)
        self.anchor_button = QPushButton("Save anchor…")
        self.anchor_button.setAccessibleName("Save the audit log's anchor to keep off this computer")
        self.anchor_button.setToolTip(
            "Saves a small file naming the newest entry of every chain. Keep it somewhere else (another "
            "disk, a safe, an e-mail): 'mentalspace audit verify --anchor FILE' then proves that no entry "
            "up to it was changed, removed or added, even by someone who can open this store.")
        self.anchor_button.clicked.connect(self._choose_anchor_file)
        second.addWidget(self.anchor_button)
        layout.addLayout(second)
        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Audit entries")
        self.table.setModel(self.model)
        empty_state(self.table, "No entries match these filters.")
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 170), (1, 90), (2, 120), (3, 260), (5, 120)):
            header.resizeSection(column, width)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "hint")
        layout.addWidget(self.count_label)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self._fill_choices()
        for signal in (
            self.since.dateChanged,
            self.until.dateChanged,
            self.user.currentIndexChanged,
            self.action.currentIndexChanged,
            self.text.textChanged,
        ):
            signal.connect(lambda *_: self._debounce.start())
        bridge.sig_audit_did_append.connect(lambda: self._debounce.start())
        self.reload()

    def _fill_choices(self) -> None:
        """User and action lists are short single queries; read them directly."""
        self.user.addItem("All users", ALL)
        for name in self.service.usernames():
            self.user.addItem(name, name)
        self.action.addItem("All actions", ALL)
        for action in self.service.actions():
            self.action.addItem(action_words(action), action)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            since=_start_of(self.since.date()),
            until=_start_of(self.until.date()) + timedelta(days=1),
            username=self.user.currentData() or None,
            action=self.action.currentData() or None,
            text=self.text.text().strip() or None,
        )

    def reload(self) -> Task:
        self._debounce.stop()
        flt = self.current_filter()
        service, clients = self.service, ClientService(self.session)

        def work() -> tuple[list[AuditEntry], dict[str, str]]:
            rows = service.entries(flt)
            return rows, clients.labels({e.client_id for e in rows if e.client_id})

        return run_in_background(
            self,
            work,
            on_done=lambda answer: self._loaded(answer[0], answer[1], flt),
            on_error=self.message.show_exception,
        )

    def _loaded(self, rows: list[AuditEntry], labels: dict[str, str], flt: AuditFilter) -> None:
        self.model.set_entries(rows, labels)
        more = " (the newest; narrow the filters to see older ones)" if len(rows) >= flt.limit else ""
        self.count_label.setText(f"{len(rows):,} entr{'y' if len(rows) == 1 else 'ies'}{more}")
        self.sig_entries_loaded.emit(len(rows))

    def _choose_export_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export audit log", "audit-log.csv", "CSV files (*.csv)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> Task:
        flt = self.current_filter()
        self.export_button.setEnabled(False)
        self.message.show_hint("Exporting…")
        return run_in_background(
            self,
            lambda: self.service.export_csv(flt, path),
            on_done=lambda n: self._exported(n, path),
            on_error=self._export_failed,
        )

    def _exported(self, count: int, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.message.show_ok(f"Exported {count:,} entries to {path}.")
        self.sig_exported.emit(count)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.message.show_exception(exc)

    def _choose_anchor_file(self) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d")
        name, _ = QFileDialog.getSaveFileName(self, "Save audit anchor", f"audit-anchor-{stamp}.json",
                                              "Audit anchors (*.json)")
        if name:
            self.save_anchor_to(Path(name))

    def save_anchor_to(self, path: Path) -> Task:
        self.anchor_button.setEnabled(False)
        self.message.show_hint("Saving the anchor…")
        return run_in_background(
            self,
            lambda: self.service.save_anchor(path),
            on_done=lambda saved: self._anchor_saved(saved),
            on_error=self._anchor_failed,
        )

    def _anchor_saved(self, path: Path) -> None:
        self.anchor_button.setEnabled(True)
        self.message.show_ok(f"Anchor saved to {path}. Keep a copy off this computer.")
        self.sig_anchor_saved.emit(str(path))

    def _anchor_failed(self, exc: BaseException) -> None:
        self.anchor_button.setEnabled(True)
        self.message.show_exception(exc)
