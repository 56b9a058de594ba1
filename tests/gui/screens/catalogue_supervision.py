"""The supervision screens, opened the way a person reaches them (see registry.py): the supervision log
(a supervisor's team, an associate's own), its record dialog, and the My Team dashboard's team report
dialog. Openers read the demo practice and never change it: dialogs are opened, never submitted."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.main_window import NavId
from mentalspace_desktop.gui.qt import QWidget
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import screen


def _loaded_log(ctx: ScreenContext, role: str) -> Any:
    window = ctx.main_window(role, NavId.SUPERVISION)
    settle()
    return window


@screen("Supervision log", roles=("supervisor", "clinician", "admin"))
def supervision_log(ctx: ScreenContext, role: str) -> QWidget:
    return _loaded_log(ctx, role)


@screen("Supervision log: record a session", roles=("supervisor",))
def record_session(ctx: ScreenContext, role: str) -> QWidget:
    window = _loaded_log(ctx, role)
    page: Any = window.page(NavId.SUPERVISION)
    page.record()
    settle()
    return ctx.keep(page.dialog)


@screen("Dashboard: team report", roles=("supervisor",))
def team_report(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.DASHBOARD)
    settle()
    page: Any = window.page(NavId.DASHBOARD)
    page.team_report()
    settle()
    return ctx.keep(page.report_dialog)
