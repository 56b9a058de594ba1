"""Small pieces the schedule screens share: 12-hour times, labelled fields, the selected row of a
table, and the telehealth "Join" and "Copy link" actions."""

from __future__ import annotations

from typing import TypeVar

from mentalspace_desktop.domain.scheduling.times import clock  # "9:05 AM": how the desk reads a time
from mentalspace_desktop.gui.qt import QDesktopServices, QGuiApplication, QLabel, QTableView, QUrl, QWidget
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import MessageLabel

Row = TypeVar("Row")


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose mnemonic (Alt+letter) focuses ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def selected_row(view: QTableView, model: RowsModel[Row]) -> Row | None:
    rows = view.selectionModel().selectedRows()
    return model.row(rows[0].row()) if rows else None


def open_meeting(url: str) -> None:
    """Open a telehealth link in the browser — only a web link: a synced or older link that is
    anything else (a file, a program) is never opened from "Join"."""
    if url and url.strip().lower().startswith("https://"):
        QDesktopServices.openUrl(QUrl(url.strip()))


def copy_meeting_link(url: str, message: MessageLabel | None = None) -> None:
    if url:
        QGuiApplication.clipboard().setText(url)
        if message is not None:
            message.show_ok("Meeting link copied.")


__all__ = ["buddy", "clock", "copy_meeting_link", "open_meeting", "selected_row"]
