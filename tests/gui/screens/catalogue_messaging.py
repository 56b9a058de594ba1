"""Messaging settings (administrators): how reminders and report e-mails leave the practice."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.main_window import NavId
from mentalspace_desktop.gui.qt import QWidget
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import screen


@screen("Messaging settings")
def messaging_settings(ctx: ScreenContext, role: str) -> QWidget:
    return ctx.main_window(role, NavId.MESSAGING)


@screen("Messaging settings: a mistake named")
def messaging_settings_mistake(ctx: ScreenContext, role: str) -> QWidget:
    """Filled in as an administrator would, with a wrong account SID: the card says what is wrong."""
    window = ctx.main_window(role, NavId.MESSAGING)
    page: Any = window.page(NavId.MESSAGING)
    page.smtp.host.setText("smtp.office365.com")
    page.smtp.username.setText("frontdesk@willowcreek.example")
    page.smtp.sender_edit.setText("Willow Creek Therapy <frontdesk@willowcreek.example>")
    page.twilio.account_sid.setText("AC12345")
    page.twilio.auth_token.setText("0123456789abcdef0123456789abcdef")
    page.twilio.from_number.setText("+1 404 555 0100")
    page.save_twilio()
    page.test_email()  # unsaved changes: the card asks to save first
    settle()
    return window
