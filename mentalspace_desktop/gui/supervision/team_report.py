"""The "Team report…" dialog of the My Team dashboard: choose a period and a file, and the PDF is made
in a worker and written owner-only (services/team_report.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.gui.localtime import wall_today
from mentalspace_desktop.gui.qt import (
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services import team_report
from mentalspace_desktop.services.session import UserSession


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def default_folder() -> Path:
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


class TeamReportDialog(QDialog):
    sig_saved = Signal(str)
    """The PDF was written: its path."""

    def __init__(self, session: UserSession, start: date, end: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Team performance report")
        self.setMinimumWidth(520)
        intro = QLabel("A PDF of your team for the period: each supervisee's kept visit rate, no-shows, unsigned "
                       "notes and same-day documentation, charts, supervision hours and the alert conditions.")
        intro.setWordWrap(True)
        self.from_edit, self.until_edit = QDateEdit(), QDateEdit()
        for edit, name, day in ((self.from_edit, "From", start), (self.until_edit, "Until", end)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MMM d, yyyy")
            edit.setAccessibleName(name)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.dateChanged.connect(lambda _d: self._suggest_name())
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("Save as")
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form = QFormLayout()
        for text, widget in (("&From", self.from_edit), ("&Until", self.until_edit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        save_label = QLabel("Save &as")
        save_label.setBuddy(self.path_edit)
        form.addRow(save_label, path_row)
        self.message = MessageLabel()
        self.save_button = primary(QPushButton("&Save report"))
        self.save_button.clicked.connect(self.save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._suggested = ""
        self._suggest_name()

    def _suggest_name(self) -> None:
        """Follow the period in the file name, unless the user typed a name of their own."""
        name = str(default_folder() / f"team-report-{_day(self.from_edit.date()).isoformat()}.pdf")
        if self.path_edit.text() in ("", self._suggested):
            self.path_edit.setText(name)
        self._suggested = name

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the team report", self.path_edit.text(), "PDF (*.pdf)")
        if path:
            self.path_edit.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def save(self) -> None:
        start, end = _day(self.from_edit.date()), _day(self.until_edit.date())
        if end < start:
            self.message.show_error("The period ends before it starts: choose an end date on or after the start.")
            return
        text = self.path_edit.text().strip()
        if not text:
            self.message.show_error("Choose where to save the report.")
            return
        path = Path(text).expanduser()
        if not path.parent.is_dir():
            self.message.show_error(f"The folder {path.parent} does not exist.")
            return
        today = wall_today()
        session = self.session

        def work() -> str:
            report = team_report.build(session, Period(start, end), today=today)
            team_report.save(session, report, path)
            return str(path)

        self.save_button.setEnabled(False)
        self.message.show_hint("Making the report…")
        run_in_background(self, work, on_done=self._saved, on_error=self._failed)

    def _saved(self, path: str) -> None:
        self.save_button.setEnabled(True)
        self.message.show_ok(f"Saved to {path}.")
        self.sig_saved.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_exception(exc)
