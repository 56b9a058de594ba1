"""The panel beside the calendar: the selected appointment in words, with its one-key actions.

Telehealth appointments offer "Join" (opens the meeting link) and "Copy link"; others name their
room. The no-show risk is shown with what contributes to it, so the desk knows whom to call.
"""

from __future__ import annotations

from html import escape

from mentalspace_desktop.gui.calendar.common import open_meeting
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.qt import (
    QFrame,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import tone


class DetailsPanel(QFrame):
    """Describes one appointment; empty state explains the keys."""

    sig_open_requested = Signal(str)
    """Open this appointment."""
    sig_check_in_requested = Signal(str)
    """Check this appointment in."""
    sig_notice = Signal(str)
    """Something to tell the desk (a link was copied)."""

    EMPTY = (
        "<b>No appointment selected</b><br><br>"
        "Click an appointment, or use the keys:<br>"
        "<b>Arrows</b> move through time and columns<br>"
        "<b>Tab</b> next appointment<br>"
        "<b>Enter</b> open (or book on free time)<br>"
        "<b>N</b> book at the cursor<br>"
        "<b>Ctrl+F</b> find a free slot<br>"
        "<b>I</b> check in<br>"
        "<b>Alt+arrows</b> move the appointment<br>"
        "<b>Page Up/Down</b> previous/next<br><br>"
        "Drag on free time to book; drag an appointment to move it, its lower edge to change its length."
        "<br><br><b>Marks</b><br>✓ checked in · ▶ telehealth<br>"
        "● confirmed · ○ not confirmed · ? no answer · ✕ declined<br>"
        f"<span style='color:{tone('risk_high')}'>●</span> high no-show risk · "
        f"<span style='color:{tone('risk_some')}'>●</span> some risk"
        "<br>Grey: busy, cancelled or no-show"
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFixedWidth(228)
        self.entry: CalendarEntry | None = None
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setAccessibleName("Selected appointment")
        self.open_button = QPushButton("&Open…")
        self.open_button.setAccessibleName("Open the appointment")
        self.check_in_button = QPushButton("Check &in")
        self.check_in_button.setAccessibleName("Check the client in")
        self.join_button = QPushButton("&Join")
        self.join_button.setAccessibleName("Join the telehealth meeting")
        self.copy_button = QPushButton("&Copy link")
        self.copy_button.setAccessibleName("Copy the telehealth meeting link")
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 12, 12, 12)
        column.addWidget(self.text, 1)
        links = QHBoxLayout()
        links.addWidget(self.join_button)
        links.addWidget(self.copy_button)
        column.addLayout(links)
        actions = QHBoxLayout()
        actions.addWidget(self.check_in_button)
        actions.addWidget(self.open_button)
        column.addLayout(actions)
        self.open_button.clicked.connect(lambda: self.entry and self.sig_open_requested.emit(self.entry.id))
        self.check_in_button.clicked.connect(lambda: self.entry and self.sig_check_in_requested.emit(self.entry.id))
        self.join_button.clicked.connect(self.join)
        self.copy_button.clicked.connect(self.copy_link)
        self.show_entry(None)

    def show_entry(self, entry: CalendarEntry | None) -> None:
        self.entry = entry
        if entry is None:
            self.text.setText(self.EMPTY)
            for b in (self.open_button, self.check_in_button, self.join_button, self.copy_button):
                b.hide()
            return
        self.text.setText(describe_html(entry))
        self.open_button.setVisible(not entry.busy_only)
        self.check_in_button.setVisible(not entry.busy_only)
        self.check_in_button.setEnabled(entry.active and entry.status in ("scheduled", "confirmed"))
        has_link = entry.telehealth and bool(entry.join_url) and not entry.busy_only
        self.join_button.setVisible(has_link)
        self.copy_button.setVisible(has_link)

    def join(self) -> None:
        if self.entry is not None and self.entry.join_url:
            open_meeting(self.entry.join_url)

    def copy_link(self) -> None:
        if self.entry is not None and self.entry.join_url:
            QGuiApplication.clipboard().setText(self.entry.join_url)
            self.sig_notice.emit("Meeting link copied.")


def describe_html(entry: CalendarEntry) -> str:
    if entry.busy_only:
        return (f"<b>Busy</b><br>{escape(entry.provider_name)}<br>{entry.start:%a} {entry.start.day} "
                f"{entry.start:%b}, {escape(entry.time_label())}<br><br>"
                "<span>Another provider's time: only busy or free is shown here.</span>")
    swatch = f"<span style='color:{escape(entry.colour)}'>■</span> "
    rows = [
        f"<b style='font-size:12pt'>{escape(entry.title)}</b>",
        swatch + escape(entry.type_name or "Appointment"),
        f"{entry.start:%a} {entry.start.day} {entry.start:%b}, {escape(entry.time_label())}",
        f"With {escape(entry.provider_name)}" if entry.provider_name else "",
        f"Status: <b>{escape(entry.status_label())}</b>",
        "Telehealth" + ("" if entry.join_url else " (no link yet)") if entry.telehealth
        else (f"Room: {escape(entry.room_name)}" if entry.room_name else "No room"),
    ]
    if entry.risk_label():
        colour = tone("risk_high") if (entry.risk or 0) >= 0.5 else tone("risk_some")
        rows.append(f"<span style='color:{colour}'><b>{escape(entry.risk_label())}</b></span>")
        if entry.risk_factors:
            rows.append(f"<small>{escape(entry.risk_factors)}</small>")
    if entry.series_id:
        rows.append("<small>Part of a recurring series</small>")
    return "<br>".join(r for r in rows if r)
