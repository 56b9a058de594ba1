"""A new workstation joins the practice through the first-run wizard, against a real hub: sign in,
wait for an administrator, take the first copy (paused, then continued at the next start), sign in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentalspace_desktop.gui.auth.first_run import FirstRunWizard
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.sync.first_device import unfinished
from tests.factories import PASSWORD
from tests.gui.sync.conftest import WAIT
from tests.sync.test_end_to_end import World

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _go_to(qtbot, wizard: FirstRunWizard, page_id: int) -> None:
    if wizard.currentId() != page_id:
        with qtbot.waitSignal(wizard.currentIdChanged, check_params_cb=lambda i: i == page_id, timeout=WAIT):
            pass


def test_joining_a_hub_end_to_end(qtbot, world: World, tmp_path: Path) -> None:
    data_dir = tmp_path / "new-workstation"
    wizard = FirstRunWizard(data_dir)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.practice_page.hub_radio.setChecked(True)
    wizard.next()
    page = wizard.hub_page
    assert wizard.currentPage() is page and not page.isComplete()
    page.url.setText(world.hub.url)
    page.username.setText("clin")
    page.password.setText(PASSWORD)
    page.code.setText("000000")
    page.device_name.setText("Front room laptop")
    assert page.isComplete()
    wizard.next()  # a wrong code: refused, nothing left behind
    qtbot.waitUntil(lambda: page.message.isVisible(), timeout=WAIT)
    assert not StoreFiles(data_dir).exists() and wizard.currentPage() is page
    page.code.setText(world.code("clin"))
    wizard.approval_page.poll_ms = 50
    wizard.first_sync_page.page_size = 3
    with qtbot.waitSignal(wizard.currentIdChanged, timeout=WAIT):
        wizard.next()
    device_id = wizard.first_device.device_id
    assert device_id in wizard.approval_page.waiting.text()
    assert not wizard.approval_page.isComplete()
    assert unfinished(StoreFiles(data_dir))
    # the user pauses as soon as the first part has arrived
    wizard.first_sync_page._relay.sig_progress.connect(lambda _p: wizard.first_sync_page._interrupt.set(),
                                                       Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(wizard.first_sync_page.sig_sync_did_finish, timeout=WAIT) as paused:
        world.hub.approve(device_id)  # the administrator approves; the page notices by itself
    assert paused.args[0].ok and paused.args[0].interrupted
    assert wizard.first_sync_page.pause_button.text() == "Continue"
    assert "Paused" in wizard.first_sync_page.note.text()
    assert not wizard.first_sync_page.isComplete()
    wizard.reject()  # closed for today
    assert unfinished(StoreFiles(data_dir)) and wizard.first_device is None

    again = FirstRunWizard(data_dir)  # the next start continues the setup
    qtbot.addWidget(again)
    again.first_sync_page.page_size = 3
    again.show()
    assert again.currentPage() is again.resume_page
    again.resume_page.username.setText("clin")
    again.resume_page.password.setText(PASSWORD)
    with qtbot.waitSignal(again.first_sync_page.sig_sync_did_finish, timeout=WAIT) as finished:
        again.next()
    report = finished.args[0]
    assert report.ok and not report.interrupted and report.pages >= 2, report.log_line()
    assert again.first_sync_page.isComplete() and not unfinished(StoreFiles(data_dir))
    assert "All records received" in again.first_sync_page.note.text()
    again.accept()
    assert again.first_device is None

    # the staff member now signs in here like on any workstation: same password, their authenticator
    auth = Authenticator(StoreFiles(data_dir))
    pending = auth.begin("clin", PASSWORD)
    session = auth.complete(pending, world.code("clin"))
    try:
        assert session.actor.username == "clin" and session.store.device_id == device_id
    finally:
        session.close()
