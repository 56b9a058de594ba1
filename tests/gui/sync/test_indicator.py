"""The sync controller and the status-bar indicator against a real hub: offline, up to date, unsent,
a sync that never blocks the UI thread, and a revoked workstation signing its user out."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from mentalspace_desktop.gui.app import AppController
from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import QTimer
from mentalspace_desktop.gui.sync.controller import SyncState
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.services.sync_status import SharedHubClient
from mentalspace_desktop.store.keyslots import KeySlots
from tests.gui.sync.conftest import WAIT, controller_for
from tests.sync.test_end_to_end import World, register

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _state(controller: Any, wanted: SyncState) -> Any:
    return lambda state: state is wanted


def test_a_solo_store_shows_nothing_about_sync(qtbot, practice) -> None:
    window = MainWindow(practice.admin)
    qtbot.addWidget(window)
    assert window.sync is None and not hasattr(window, "sync_indicator")
    assert NavId.SYNC not in window.nav_ids()
    assert "Sync" not in [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_indicator_offline_then_up_to_date_then_counts_unsent(qtbot, world: World) -> None:
    desk = world.desk("admin")
    world.hub.stop()
    controller = controller_for(desk)
    offline = _state(controller, SyncState.OFFLINE)
    with qtbot.waitSignal(controller.sig_state_did_change, check_params_cb=offline, timeout=WAIT):
        window = MainWindow(desk.session, sync_controller=controller)
        qtbot.addWidget(window)
    indicator = window.sync_indicator
    assert indicator.text().endswith("Offline")
    assert world.hub.url in indicator.toolTip()
    assert window.nav_ids()[-4:] == [NavId.SYNC, NavId.CONFLICTS, NavId.DEVICES, NavId.HUB_LOG]

    with qtbot.waitSignal(controller.sig_unsent_did_change, timeout=WAIT) as counted:
        register(desk, "Waiting")  # a local write (the record and its audit entry) while the hub is away
    assert counted.args[0] >= 1
    assert f"Offline · {counted.args[0]} unsent" in indicator.text()

    world.hub.start()
    with qtbot.waitSignal(controller.sig_state_did_change,
                          check_params_cb=_state(controller, SyncState.UP_TO_DATE), timeout=WAIT):
        window.sync_now_action.trigger()  # F5
    # the backoff retries may have synced just before F5: let whichever run is last finish
    qtbot.waitUntil(lambda: controller.state is SyncState.UP_TO_DATE and controller.unsent == 0, timeout=WAIT)
    assert "Up to date ·" in indicator.text() and "unsent" not in indicator.text()
    assert world.hub.sql("SELECT count(*) FROM clients WHERE last_name = 'Waiting'") == [(1,)]
    indicator.click()
    assert window.current_page_id() == NavId.SYNC
    window.close_for_sign_out()
    assert not controller.running


class _SlowPull(SharedHubClient):
    """Holds each pull until the test lets it go, so a run is certainly in progress meanwhile."""

    release = threading.Event()
    pull_thread: int | None = None

    def pull(self, cursor: str, *, limit: int = 1000) -> dict[str, Any]:
        type(self).pull_thread = threading.get_ident()
        assert self.release.wait(30)
        return super().pull(cursor, limit=limit)


def test_sync_runs_in_its_own_thread_and_the_ui_stays_responsive(qtbot, world: World) -> None:
    desk = world.desk("admin")
    client = _SlowPull(world.hub.url, desk.session.store.device_id,
                       refresh_token=desk.client.refresh_token)
    controller = controller_for(desk, client=client)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    with qtbot.waitSignal(controller.sig_state_did_change,
                          check_params_cb=_state(controller, SyncState.SYNCING), timeout=WAIT):
        controller.start()
    timer.start()
    qtbot.waitUntil(lambda: _SlowPull.pull_thread is not None, timeout=WAIT)  # the run now waits in its pull
    assert _SlowPull.pull_thread != threading.main_thread().ident
    seen = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= seen + 10, timeout=WAIT)  # the timer fires while the run waits
    assert controller.state is SyncState.SYNCING and not _SlowPull.release.is_set()
    with qtbot.waitSignal(controller.sig_run_did_finish, timeout=WAIT) as finished:
        _SlowPull.release.set()
    timer.stop()
    assert finished.args[0].ok and controller.state is SyncState.UP_TO_DATE
    controller.stop()


def test_a_revoked_workstation_signs_its_user_out_with_the_reason(qtbot, world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    desk = world.desk("admin")
    told: list[str] = []
    monkeypatch.setattr(forms, "tell", lambda _parent, title, text: told.append(f"{title}: {text}"))
    world.hub.revoke(desk.session.store.device_id, "laptop reported stolen")
    app = AppController(Path(desk.practice.data_dir))
    controller = controller_for(desk)
    monkeypatch.setattr("mentalspace_desktop.gui.main_window.MainWindow._make_sync_controller",
                        lambda self: controller)
    with qtbot.waitSignal(controller.sig_device_revoked, timeout=WAIT) as revoked:
        app.show_main(desk.session)
    assert "laptop reported stolen" in revoked.args[0]
    assert told and "removed" in told[0] and "laptop reported stolen" in told[0]
    assert isinstance(app.window, SignInDialog)
    assert "laptop reported stolen" in app.window.credentials.message.text()
    assert app.session is None  # the store was closed
    assert KeySlots.load(desk.practice.files.key_slots).usernames() == []
    assert controller.state is SyncState.REVOKED
    app.window.close()
