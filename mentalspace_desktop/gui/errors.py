"""Errors become dialogs here, in one place, in words a receptionist understands."""

from __future__ import annotations

import logging
from datetime import datetime

from mentalspace_desktop.errors import AccountLocked, MentalSpaceError, PermissionDenied, ValidationError
from mentalspace_desktop.gui.qt import QMessageBox, QObject, QWidget

log = logging.getLogger(__name__)


def error_text(exc: MentalSpaceError) -> str:
    """An error's words; a lockout names its end in the practice's time zone, not the computer's."""
    until = getattr(exc, "until", None)
    if isinstance(exc, AccountLocked) and isinstance(until, datetime):
        from mentalspace_desktop.gui.localtime import format_time

        return (f"Too many failed sign-in attempts. This account is locked until {format_time(until)}. "
                "An administrator can unlock it sooner.")
    return exc.message


def user_message(exc: BaseException) -> tuple[str, str]:
    """(title, text) for an exception."""
    if isinstance(exc, AccountLocked):
        return "Account locked", error_text(exc)
    if isinstance(exc, PermissionDenied):
        return "Not allowed", exc.message
    if isinstance(exc, ValidationError):
        return "Please check the form", "\n".join(f"• {v}" for v in exc.fields.values()) or exc.message
    if isinstance(exc, MentalSpaceError):
        return "MentalSpace", exc.message
    log.error("unexpected error", exc_info=exc)
    return (
        "Something went wrong",
        "MentalSpace hit an unexpected problem and did not finish this action. Nothing you saved was "
        f"lost. Details for support: {type(exc).__name__}: {exc}",
    )


def show_error(parent: QObject | None, exc: BaseException) -> None:
    title, text = user_message(exc)
    box = QMessageBox(parent if isinstance(parent, QWidget) else None)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setAccessibleName(title)
    box.open()
