"""The reminder screens, opened the way a person reaches them (see registry.py): the administrator's
rules, templates and figures, the Messages inbox, an appointment's reminders and their preview, and
the chart's Reminders tab. Openers read the demo practice and never change it."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QWidget
from mentalspace_desktop.store.reminder_models import ReminderMessage
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import screen

DESK = ("admin", "clinician", "front_desk")


def _reminders(ctx: ScreenContext, tab: int) -> MainWindow:
    window = ctx.main_window("admin", NavId.REMINDERS)
    page: Any = window.page(NavId.REMINDERS)
    page.tabs.setCurrentIndex(tab)
    settle()
    return window


@screen("Reminders: rules")
def reminder_rules(ctx: ScreenContext, role: str) -> QWidget:
    return _reminders(ctx, 0)


@screen("Reminders: templates")
def reminder_templates(ctx: ScreenContext, role: str) -> QWidget:
    """The editor on the built-in English text message, with its live preview."""
    window = _reminders(ctx, 1)
    editor = window.page(NavId.REMINDERS).editor  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while not editor.valid and time.monotonic() < deadline:  # the check runs a moment after the text is in
        time.sleep(0.05)
        settle()
    return window


@screen("Reminders: messages and cost")
def reminder_figures(ctx: ScreenContext, role: str) -> QWidget:
    return _reminders(ctx, 2)


@screen("Messages inbox", roles=DESK)
def messages_inbox(ctx: ScreenContext, role: str) -> QWidget:
    return ctx.main_window(role, NavId.MESSAGES)


def reminded_appointment(ctx: ScreenContext, role: str) -> str:
    """The latest appointment this role may open that has reminders (the demo's failed one first)."""
    session = ctx.session(role)
    with ctx.admin.store.read() as s:
        q = select(ReminderMessage.appointment_id).where(ReminderMessage.deleted.is_(False))
        if role == "clinician":
            q = q.where(ReminderMessage.provider_id == session.actor.user_id)
        found = s.scalar(q.order_by(ReminderMessage.needs_attention.desc(), ReminderMessage.created_at.desc())
                         .limit(1))
    assert found, f"the demo has no reminded appointment {role} may open"
    return found


@screen("An appointment's reminders", roles=("clinician", "front_desk"))
def appointment_reminders(ctx: ScreenContext, role: str) -> QWidget:
    """From the Messages inbox (or the calendar): the appointment dialog with its reminder history."""
    window = ctx.main_window(role, NavId.SCHEDULE)
    dialog = ctx.keep(window.open_appointment(reminded_appointment(ctx, role)))
    settle()
    return dialog


@screen("Preview reminders", roles=("front_desk",))
def preview_reminders(ctx: ScreenContext, role: str) -> QWidget:
    dialog = appointment_reminders(ctx, role)
    preview = ctx.keep(dialog.reminders.open_preview())  # type: ignore[attr-defined]
    settle()
    return preview


@screen("Chart: reminders", roles=("clinician", "front_desk"))
def chart_reminders(ctx: ScreenContext, role: str) -> QWidget:
    """The chart's Reminders tab of a client whose reminders this role may see."""
    with ctx.admin.store.read() as s:
        client_id = s.scalar(select(ReminderMessage.client_id).where(
            ReminderMessage.appointment_id == reminded_appointment(ctx, role)).limit(1))
    window = ctx.main_window(role, NavId.CLIENTS)
    page: Any = window.page(NavId.CLIENTS)
    page.open_client(client_id)
    settle()
    page.chart.tabs.setCurrentWidget(page.chart.reminders)
    settle()
    return window


@screen("Chart: timeline with reminders", roles=("front_desk",))
def chart_timeline_reminders(ctx: ScreenContext, role: str) -> QWidget:
    """The chart's Timeline of a reminded client: each reminder and reply among the other events."""
    window = chart_reminders(ctx, role)
    page: Any = window.page(NavId.CLIENTS)  # type: ignore[attr-defined]
    page.chart.tabs.setCurrentWidget(page.chart.timeline_view)
    settle()
    return window


def risky_reminded_appointment(ctx: ScreenContext, role: str) -> str:
    """The coming visit (next two weeks) whose no-show risk is worded and names a reminder factor,
    highest risk first: where the desk reads why to call."""
    from datetime import timedelta

    from mentalspace_desktop.gui.localtime import wall_today
    from mentalspace_desktop.services.calendar_view import CalendarReadService

    today = wall_today()
    items = CalendarReadService(ctx.session(role)).calendar(today, today + timedelta(days=14))
    worded = [i for i in items if i.risk is not None and i.risk.score >= 0.25
              and any("remind" in f.label for f in i.risk.factors)]
    assert worded, f"the demo has no coming visit whose risk names a reminder that {role} may open"
    return max(worded, key=lambda i: i.risk.score if i.risk else 0.0).id


@screen("An appointment at risk", roles=("front_desk",))
def appointment_at_risk(ctx: ScreenContext, role: str) -> QWidget:
    """The appointment dialog of a coming visit at risk: the risk in words, reminders among them."""
    window = ctx.main_window(role, NavId.SCHEDULE)
    dialog = ctx.keep(window.open_appointment(risky_reminded_appointment(ctx, role)))
    settle()
    return dialog
