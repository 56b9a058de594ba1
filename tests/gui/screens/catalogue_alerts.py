"""The alerts, data-quality and goal screens, opened the way a person reaches them (see registry.py).

Like the other catalogues, the openers only look: the goal dialog is opened, never saved; the alert
list's actions are not pressed (the screens share one demo practice).
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.main_window import NavId
from mentalspace_desktop.gui.qt import QScrollArea, QWidget
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import screen


@screen("Alerts", roles=("admin", "supervisor", "clinician"))
def alert_list(ctx: ScreenContext, role: str) -> QWidget:
    return ctx.main_window(role, NavId.ALERTS)


@screen("Data quality", roles=("admin", "clinician"))
def data_quality(ctx: ScreenContext, role: str) -> QWidget:
    return ctx.main_window(role, NavId.DATA_QUALITY)


@screen("Dashboard: alerts and goals", roles=("supervisor",))
def dashboard_panels(ctx: ScreenContext, role: str) -> QWidget:
    """The team dashboard scrolled down to its alerts and goals panels. (My Practice shows its alerts
    panel unscrolled in "Dashboard"; scrolled, the check would read the tiles above the viewport
    against the page header's pixels.)"""
    window = ctx.main_window(role, NavId.DASHBOARD)
    page: Any = window.page(NavId.DASHBOARD)
    settle()
    scroll = page.findChild(QScrollArea)
    scroll.verticalScrollBar().setValue(page.alerts_box.y())  # the alerts panel at the top, goals below
    settle()
    return window


@screen("Dashboard: clinician table", roles=("admin", "supervisor"))
def dashboard_table(ctx: ScreenContext, role: str) -> QWidget:
    """My Team's supervisees (the Practice Overview's clinician matrix) scrolled to the top: every
    column, the status beside the name, in view at 1280 px without a sideways scroll."""
    window = ctx.main_window(role, NavId.DASHBOARD)
    page: Any = window.page(NavId.DASHBOARD)
    settle()
    scroll = page.findChild(QScrollArea)
    scroll.verticalScrollBar().setValue(page.table.parentWidget().y())
    settle()
    return window


@screen("Dashboard: set a goal", roles=("supervisor",))
def goal_dialog(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.DASHBOARD)
    page: Any = window.page(NavId.DASHBOARD)
    settle()
    return ctx.keep(page.goals_panel.edit(None))
