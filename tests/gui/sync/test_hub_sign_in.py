"""Signing in to the hub again from the GUI, against a real hub: the dialog opens where "Hub sign-in
needed" is shown, the hub call runs in a worker, sync resumes at once, a wrong code is said in the dialog."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mentalspace_desktop.gui.main_window import MainWindow
from mentalspace_desktop.gui.qt import Qt, QTimer
from mentalspace_desktop.gui.sync.controller import SyncController, SyncState
from mentalspace_desktop.gui.sync.hub_sign_in_dialog import HubSignInDialog
from mentalspace_desktop.gui.sync.status_page import SyncPage
from mentalspace_desktop.services.sync_status import SharedHubClient
from mentalspace_desktop.sync import state as sync_state
from mentalspace_desktop.sync.credentials import HubCredential
from mentalspace_desktop.sync.enroll import open_client
from tests.factories import PracticeFixture
from tests.gui.sync.conftest import WAIT, controller_for
from tests.sync.test_end_to_end import Desk, World, register
from tests.sync.test_relogin import PASSWORD, wrong_code

pytestmark = [pytest.mark.gui, pytest.mark.slow]


class _HeldLogin(SharedHubClient):
    """Holds the hub sign-in until the test lets it go, so the dialog is certainly busy meanwhile."""

    release = threading.Event()
    login_thread: int | None = None

    def login(self, **kwargs: Any) -> dict[str, Any]:
        type(self).login_thread = threading.get_ident()
        assert self.release.wait(30)
        return super().login(**kwargs)


def _signed_out_desk(world: World) -> Desk:
    """A workstation whose hub sign-in is gone (no keyring and a restart, or the keyring entry lost)."""
    desk = world.desk("admin")
    desk.client.close()
    HubCredential(world.hub.url, desk.session.store.device_id).delete()
    return desk


def _wait_for(qtbot: Any, controller: SyncController, wanted: SyncState) -> None:
    qtbot.waitUntil(lambda: controller.state is wanted, timeout=WAIT)


def test_the_indicator_opens_the_dialog_and_a_sign_in_resumes_sync(qtbot, world: World) -> None:
    desk = _signed_out_desk(world)
    _HeldLogin.release.clear()
    client = open_client(desk.session.store, factory=_HeldLogin)
    assert isinstance(client, SharedHubClient)
    controller = controller_for(desk, client=client, live=True)
    states: list[SyncState] = []
    controller.sig_state_did_change.connect(states.append)
    window = MainWindow(desk.session, sync_controller=controller)
    qtbot.addWidget(window)
    _wait_for(qtbot, controller, SyncState.SIGN_IN_NEEDED)
    controller._on_started()  # a run's start that the live listener's stop overtook on the way: stale
    assert controller.state is SyncState.SIGN_IN_NEEDED
    indicator = window.sync_indicator
    assert "Hub sign-in needed" in indicator.text()
    assert "sign in to the hub again" in indicator.toolTip()
    with qtbot.waitSignal(controller.sig_unsent_did_change, timeout=WAIT):
        client_id = register(desk, "Signedout")  # work goes on meanwhile

    with qtbot.waitSignal(indicator.sig_sign_in_opened, timeout=WAIT) as opened:
        indicator.click()
    dialog = opened.args[0]
    assert isinstance(dialog, HubSignInDialog) and dialog.isVisible()
    assert window.current_page_id() != "sync"  # the click opened the dialog, not the page
    assert dialog.windowTitle() == "Sign in to the hub"
    assert dialog.hub_label.text() == world.hub.url
    assert dialog.username.text() == "admin" and dialog.username.isReadOnly()
    for field, name in ((dialog.username, "User name"), (dialog.password, "Password"),
                        (dialog.code, "One-time code")):
        assert field.accessibleName() == name
    indicator.click()  # a second click brings the same dialog forward
    assert len([d for d in window.findChildren(HubSignInDialog) if d.isVisible()]) == 1

    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.code, world.code("admin"))
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)  # Enter submits
    assert dialog.busy and not dialog.sign_in_button.isEnabled() and not dialog.password.isEnabled()
    assert dialog.progress.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=WAIT)  # the UI thread runs while the hub call waits
    qtbot.waitUntil(lambda: _HeldLogin.login_thread is not None, timeout=WAIT)  # a loaded machine starts it late
    assert _HeldLogin.login_thread != threading.main_thread().ident
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # not while the hub is answering
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT) as signed_in:
        _HeldLogin.release.set()
    timer.stop()
    assert signed_in.args[0].status == "approved"

    qtbot.waitUntil(lambda: controller.state is SyncState.UP_TO_DATE and controller.unsent == 0, timeout=WAIT)
    since = states[states.index(SyncState.SIGN_IN_NEEDED):]
    assert since[:3] == [SyncState.SIGN_IN_NEEDED, SyncState.SYNCING, SyncState.UP_TO_DATE]
    assert "Up to date" in indicator.text() and "unsent" not in indicator.text()
    assert world.hub.sql("SELECT last_name FROM clients WHERE id = :i", i=client_id) == [("Signedout",)]
    assert HubCredential(world.hub.url, desk.session.store.device_id).get() == client.refresh_token
    assert controller.live is not None and controller.live.connected.wait(10)  # live updates resumed too
    indicator.click()
    assert window.current_page_id() == "sync"  # back to its usual meaning
    window.close_for_sign_out()
    assert not controller.running


def test_a_wrong_code_is_said_in_the_dialog_from_the_sync_page(qtbot, world: World) -> None:
    desk = _signed_out_desk(world)
    controller = controller_for(desk)
    page = SyncPage(desk.session, controller)
    qtbot.addWidget(page)
    assert not page.sign_in_button.isVisibleTo(page)
    controller.start()
    _wait_for(qtbot, controller, SyncState.SIGN_IN_NEEDED)
    assert page.sign_in_button.isVisibleTo(page) and not page.sync_button.isEnabled()
    assert "Sign in to the hub again" in page.help_label.text()

    dialog = page.sign_in()
    assert isinstance(dialog, HubSignInDialog)
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.code, wrong_code(world))
    with qtbot.waitSignal(dialog.sig_failed, timeout=WAIT) as failed:
        dialog.sign_in_button.click()
    assert "password or code is not correct" in failed.args[0]
    assert dialog.isVisible() and dialog.message.isVisibleTo(dialog)
    assert dialog.message.text() == failed.args[0]
    assert dialog.password.text() == PASSWORD and dialog.code.text() == ""  # only the spent code goes
    assert dialog.focusWidget() is dialog.code  # ready for the next code
    assert not dialog.busy and dialog.sign_in_button.isEnabled()
    assert controller.state is SyncState.SIGN_IN_NEEDED

    qtbot.keyClicks(dialog.code, world.code("admin"))
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT):
        dialog.sign_in_button.click()
    _wait_for(qtbot, controller, SyncState.UP_TO_DATE)
    assert not page.sign_in_button.isVisibleTo(page) and page.sync_button.isEnabled()
    controller.stop()


def test_empty_fields_are_asked_for_without_calling_the_hub(qtbot, practice: PracticeFixture) -> None:
    sync_state.set_values(practice.admin.store, hub_url="http://127.0.0.1:9")  # nothing listens there
    controller = SyncController(practice.admin, live=False)
    dialog = HubSignInDialog(controller)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.username.text() == practice.admin.actor.username
    assert dialog.submit() is None
    assert "Enter your password" in dialog.message.text() and dialog.message.isVisibleTo(dialog)
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.code, "   ")
    assert dialog.submit() is None and dialog.task is None and not dialog.busy
    assert dialog.focusWidget() is dialog.code
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    assert not dialog.isVisible() and dialog.result() == 0
    controller.stop()


def test_a_revoked_workstation_is_signed_out_from_the_dialog(qtbot, world: World) -> None:
    desk = _signed_out_desk(world)
    controller = controller_for(desk)
    controller.start()
    _wait_for(qtbot, controller, SyncState.SIGN_IN_NEEDED)
    world.hub.revoke(desk.session.store.device_id, "left the practice")
    dialog = HubSignInDialog(controller)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.code, world.code("admin"))
    with qtbot.waitSignal(controller.sig_device_revoked, timeout=WAIT) as revoked:
        dialog.submit()
    assert "left the practice" in revoked.args[0]
    assert controller.state is SyncState.REVOKED and not dialog.isVisible()
    controller.stop()


def test_f5_asks_for_the_hub_sign_in_instead_of_a_run_that_cannot_work(qtbot, world: World) -> None:
    desk = _signed_out_desk(world)
    controller = controller_for(desk)
    window = MainWindow(desk.session, sync_controller=controller)
    qtbot.addWidget(window)
    _wait_for(qtbot, controller, SyncState.SIGN_IN_NEEDED)
    window.sync_now_action.trigger()
    dialogs = [d for d in window.findChildren(HubSignInDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].username.text() == "admin"
    dialogs[0].reject()
    window.close_for_sign_out()
