"""The sync screens, opened on workstations joined to a real hub (``hub=True``; see practice_hub.py).

Each opens the workstation's main window as its user sees it in practice mode, waits for the window's
first sync run to end (a signal, not a sleep) and for the page's own load, and returns the window.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QWidget
from mentalspace_desktop.gui.sync.controller import SyncState
from mentalspace_desktop.gui.sync.devices_page import RemovePersonDialog, RevokeDialog
from mentalspace_desktop.gui.sync.hub_sign_in_dialog import HubSignInDialog
from tests.gui.screens.context import SIZE, ScreenContext, settle, wait_for
from tests.gui.screens.registry import screen
from tests.sync.test_end_to_end import Desk


def _window(ctx: ScreenContext, desk: Desk, page: str) -> MainWindow:
    """The desk's main window on ``page`` once its first sync run has ended and the page has loaded."""
    controller = ctx.hub.controller(desk)
    window = ctx.keep(MainWindow(desk.session, sync_controller=controller))
    window.resize(*SIZE)
    window.show()
    # every first run ends in a report, also one that stops sync (the sign-in gone): the page lists it
    wait_for([controller.sig_run_did_finish, controller.sig_state_did_change],
             lambda: controller.last_report is not None, what="the workstation's first sync run")
    window.show_page(page)
    settle()
    return window


@screen("Sync", hub=True)
def sync_page(ctx: ScreenContext, role: str) -> QWidget:
    return _window(ctx, ctx.hub.desk_for(role), NavId.SYNC)


def _signed_out(ctx: ScreenContext, page: str) -> MainWindow:
    """The back-office PC, whose hub sign-in is gone: its first run stops at "Hub sign-in needed"."""
    window = _window(ctx, ctx.hub.back_office, page)
    sync = window.sync
    assert sync is not None and sync.state is SyncState.SIGN_IN_NEEDED, sync and sync.state
    return window


@screen("Sync: hub sign-in needed", hub=True)
def sync_sign_in_needed(ctx: ScreenContext, role: str) -> QWidget:
    return _signed_out(ctx, NavId.SYNC)


@screen("Sign in to the hub", hub=True)
def hub_sign_in(ctx: ScreenContext, role: str) -> QWidget:
    """A click on the status bar's "Hub sign-in needed" (the one thing to do then)."""
    window = _signed_out(ctx, NavId.SYNC)
    window.sync_indicator.click()
    settle()
    dialogs = [d for d in window.findChildren(HubSignInDialog) if d.isVisible()]
    assert dialogs, "the indicator opened no hub sign-in dialog"
    return ctx.keep(dialogs[-1])


@screen("Devices", hub=True)
def devices(ctx: ScreenContext, role: str) -> QWidget:
    """The workstation waiting for approval is selected (the usual reason to come here)."""
    return _window(ctx, ctx.hub.desk_for(role), NavId.DEVICES)


def _device_dialog(ctx: ScreenContext, role: str, kind: type[RevokeDialog | RemovePersonDialog]) -> QWidget:
    """What Revoke… or Remove person… opens on the clinician's laptop (shown, never accepted; the page
    opens it with exec(), which the check cannot wait out)."""
    window = _window(ctx, ctx.hub.desk_for(role), NavId.DEVICES)
    page: Any = window.page(NavId.DEVICES)
    device = next(d for d in page.model.rows() if d.name == "Casey's laptop")
    page.select(device.id)
    dialog = ctx.keep(kind(device, page, names=page.model.names))
    dialog.show()
    return dialog


@screen("Devices: revoke a workstation", hub=True)
def revoke(ctx: ScreenContext, role: str) -> QWidget:
    return _device_dialog(ctx, role, RevokeDialog)


@screen("Devices: remove a person from a workstation", hub=True)
def remove_person(ctx: ScreenContext, role: str) -> QWidget:
    return _device_dialog(ctx, role, RemovePersonDialog)


@screen("All devices' sync log", hub=True)
def hub_log(ctx: ScreenContext, role: str) -> QWidget:
    return _window(ctx, ctx.hub.desk_for(role), NavId.HUB_LOG)


@screen("Conflicts", roles=("admin", "clinician"), hub=True)
def conflicts(ctx: ScreenContext, role: str) -> QWidget:
    """The city both workstations changed while apart: the administrator's front desk and the
    clinician's own laptop (where she wrote the value that stands)."""
    window = _window(ctx, ctx.hub.desk_for(role), NavId.CONFLICTS)
    page: Any = window.page(NavId.CONFLICTS)
    assert page.model.rowCount() >= 1, "the conflict did not reach this workstation"
    return window
