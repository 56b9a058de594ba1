"""Every screen and dialog of the app, opened the way a person reaches it (see registry.py to add one)."""

from __future__ import annotations

from functools import partial
from typing import Any

from mentalspace_desktop.gui.auth.change_password import ChangePasswordDialog
from mentalspace_desktop.gui.auth.first_run import FirstRunWizard
from mentalspace_desktop.gui.auth.idle_lock import LockScreen
from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.clients import ClientSearchDialog
from mentalspace_desktop.gui.clients.edit_dialog import ClientEditDialog
from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QWidget
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import screen

CLIENT_ROLES = ("admin", "supervisor", "clinician", "billing", "front_desk")
CHART_ROLES = ("admin", "clinician", "front_desk")


def _chart(ctx: ScreenContext, role: str, tab: str = "Details") -> MainWindow:
    """The chart on the tab titled ``tab`` (found by its title: which tabs show depends on the role)."""
    window = ctx.main_window(role, NavId.CLIENTS)
    page: Any = window.page(NavId.CLIENTS)
    page.open_client(ctx.client_for(role))
    settle()
    titles = [page.chart.tabs.tabText(i).replace("&", "") for i in range(page.chart.tabs.count())]
    page.chart.tabs.setCurrentIndex(titles.index(tab))
    return window


# -- before signing in -------------------------------------------------------------------------------

@screen("Sign-in")
def sign_in(ctx: ScreenContext, role: str) -> QWidget:
    return ctx.keep(SignInDialog(ctx.data_dir))


@screen("Sign-in: one-time code")
def sign_in_code(ctx: ScreenContext, role: str) -> QWidget:
    dialog = ctx.keep(SignInDialog(ctx.data_dir))
    dialog.stack.setCurrentWidget(dialog.code_step)
    return dialog


def _wizard(ctx: ScreenContext, page: str) -> FirstRunWizard:
    """The first-run wizard on ``page``, with what the earlier pages would have filled in."""
    wizard = ctx.keep(FirstRunWizard(ctx.data_dir.parent / "first-run"))
    wizard.practice_page.name_edit.setText("Willow Creek Therapy")
    wizard.admin_page.full_name.setText("Jordan Lee")
    wizard.admin_page.username.setText("jlee")
    if page == "hub_page":
        wizard.practice_page.hub_radio.setChecked(True)
    if page == "codes_page":
        wizard.codes_page.panel.set_codes([f"k3q7-{n:04d}" for n in range(10)], owner="jlee")
    target = getattr(wizard, page)
    wizard.setStartId(next(i for i in wizard.pageIds() if wizard.page(i) is target))
    wizard.restart()
    wizard.show()
    return wizard


def _wizard_page(ctx: ScreenContext, role: str, *, page: str) -> QWidget:
    return _wizard(ctx, page)


for _title, _page in (("your practice", "practice_page"), ("administrator", "admin_page"),
                      ("authenticator", "auth_page"), ("backup codes", "codes_page"),
                      ("connect to the hub", "hub_page")):
    screen(f"First run: {_title}")(partial(_wizard_page, page=_page))


# -- the main window ---------------------------------------------------------------------------------

def _on_page(ctx: ScreenContext, role: str, *, page: str) -> QWidget:
    return ctx.main_window(role, page)


screen("Clients", roles=CLIENT_ROLES)(partial(_on_page, page=NavId.CLIENTS))
screen("Users")(partial(_on_page, page=NavId.USERS))
screen("Audit log", roles=("admin", "supervisor"))(partial(_on_page, page=NavId.AUDIT))
screen("Practice settings")(partial(_on_page, page=NavId.SETTINGS))


@screen("Clients: no match")
def clients_no_match(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.CLIENTS)
    page: Any = window.page(NavId.CLIENTS)
    page.search.set_text("zzqx")
    page.search.refresh()
    settle()
    return window


@screen("Chart: details", roles=CHART_ROLES)
def chart_details(ctx: ScreenContext, role: str) -> QWidget:
    return _chart(ctx, role)


for _tab in ("Insurance", "Consents", "Timeline"):
    screen(f"Chart: {_tab.lower()}")(partial(_chart, tab=_tab))


@screen("Find a client (Ctrl+K)", roles=("clinician", "front_desk"))
def find_client(ctx: ScreenContext, role: str) -> QWidget:
    dialog = ctx.keep(ClientSearchDialog(ctx.session(role)))
    dialog.show()
    settle()
    return dialog


@screen("Register a client")
def register_client(ctx: ScreenContext, role: str) -> QWidget:
    dialog = ctx.keep(ClientEditDialog(ctx.session(role), None))
    dialog.show()
    return dialog


@screen("Edit a client")
def edit_client(ctx: ScreenContext, role: str) -> QWidget:
    window = _chart(ctx, role)
    dialog = ctx.keep(window.page(NavId.CLIENTS).chart.edit())  # type: ignore[attr-defined]
    settle()
    return dialog


@screen("Change a client's status")
def change_status(ctx: ScreenContext, role: str) -> QWidget:
    window = _chart(ctx, role)
    return ctx.keep(window.page(NavId.CLIENTS).chart.change_status())  # type: ignore[attr-defined]


@screen("Record a consent")
def record_consent(ctx: ScreenContext, role: str) -> QWidget:
    window = _chart(ctx, role, "Consents")
    return ctx.keep(window.page(NavId.CLIENTS).chart.record_consent())  # type: ignore[attr-defined]


@screen("New user")
def new_user(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.USERS)
    return ctx.keep(window.page(NavId.USERS).new_user())  # type: ignore[union-attr]


@screen("Edit a user")
def edit_user(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.USERS)
    page: Any = window.page(NavId.USERS)
    page.table.selectRow(1)
    return ctx.keep(page.edit_user())


@screen("Reset a password")
def reset_password(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role, NavId.USERS)
    page: Any = window.page(NavId.USERS)
    page.table.selectRow(1)
    return ctx.keep(page.reset_password())


@screen("Change password")
def change_password(ctx: ScreenContext, role: str) -> QWidget:
    dialog = ctx.keep(ChangePasswordDialog(ctx.session(role)))
    dialog.show()
    return dialog


@screen("Screen locked")
def lock_screen(ctx: ScreenContext, role: str) -> QWidget:
    s = ctx.session(role)
    dialog = ctx.keep(LockScreen(full_name=s.actor.full_name, practice="Peachtree Counseling"))
    dialog.show()
    return dialog


@screen("Keyboard shortcuts", roles=("admin", "front_desk"))
def shortcuts(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role)
    return ctx.keep(window.show_shortcuts())


@screen("About")
def about(ctx: ScreenContext, role: str) -> QWidget:
    window = ctx.main_window(role)
    return ctx.keep(window.show_about())


# The screens of the other areas register themselves on import: scheduling, charting and dashboards;
# alerts, data quality and goals; the supervision log and team report; messaging settings; reminders; practice
# mode (the sync screens on a real hub).
from tests.gui.screens import (  # noqa: E402
    catalogue_alerts,  # noqa: F401
    catalogue_messaging,  # noqa: F401
    catalogue_pillars,  # noqa: F401
    catalogue_reminders,  # noqa: F401
    catalogue_supervision,  # noqa: F401
    catalogue_sync,  # noqa: F401
)
