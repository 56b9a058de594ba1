"""Sync status as a person sees it: the local store's facts, and the administrator's hub calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.sync_status import (
    SharedHubClient,
    SyncStatusService,
    is_connected,
    open_shared_client,
)
from mentalspace_desktop.store.models import User
from mentalspace_desktop.sync import parked
from mentalspace_desktop.sync.errors import HubRejected
from tests.factories import PracticeFixture, PracticeTemplate
from tests.sync.conftest import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import World, edit, register


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:  # noqa: F811
    if not HUB_APP.exists():
        pytest.skip("the hub is not written yet")
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def test_a_solo_store_is_not_connected(practice: PracticeFixture) -> None:
    service = SyncStatusService(practice.admin)
    status = service.status()
    assert not status.connected and not is_connected(practice.admin.store)
    assert status.hub_url is None and status.last_run is None
    assert service.recent_runs() == [] and service.my_rejections() == []
    with pytest.raises(PermissionDenied):
        SyncStatusService(practice.session_for("clinician")).devices()


@pytest.mark.slow
def test_status_counts_unsent_changes_and_logs_runs(world: World) -> None:
    desk = world.desk("admin")
    service = SyncStatusService(desk.session)
    status = service.status()
    assert status.connected and status.hub_url == world.hub.url and status.device_status == "pending"
    register(desk, "Unsent")
    assert service.unsent_count() >= 1
    report = desk.sync()
    assert report.ok, report.error
    status = service.status()
    assert status.unsent == 0 and status.device_status == "approved"
    assert status.last_run is not None and status.last_run.ok and status.last_run.pushed >= 1
    assert status.last_success_at == status.last_run.started_at
    with desk.session.store.write() as s:  # a row that came before the row it refers to
        parked.park(s, {"table": "appointments", "row_id": "early", "server_seq": 99, "row": {}})
    assert service.status().waiting == 1
    with desk.session.store.write() as s:
        parked.release(s, [("appointments", "early")])
    assert service.status().waiting == 0
    world.hub.stop()
    assert not desk.sync().ok
    runs = service.recent_runs()
    assert [r.ok for r in runs[:2]] == [False, True]  # newest first
    assert "cannot be reached" in (runs[0].error or "")
    assert service.status().last_success_at == runs[1].started_at


@pytest.mark.slow
def test_my_rejections_show_the_hubs_reason(world: World) -> None:
    admin = world.desk("admin")
    client_id = register(admin, "Refused")
    assert admin.sync().ok
    desk = world.desk("front_desk")
    assert desk.sync().ok
    with desk.session.store.write(desk.session.actor.user_id) as s:
        s.scalars(select(User).where(User.username == "sup")).one().full_name = "Renamed"
    edit(desk, client_id, city="Albany")
    assert desk.sync().rejected == 1
    mine = SyncStatusService(desk.session).my_rejections()
    assert len(mine) == 1 and mine[0].what == "Staff account" and "administrator" in mine[0].reason
    assert "full_name" in mine[0].fields
    assert SyncStatusService(admin.session).my_rejections() == []  # only the author's own


@pytest.mark.slow
def test_administrator_lists_approves_and_revokes_devices(world: World) -> None:
    admin = world.desk("admin")
    assert admin.sync().ok
    newcomer = world.desk("clinician", approve=False)
    client = open_shared_client(admin.session.store)
    assert isinstance(client, SharedHubClient)
    try:
        service = SyncStatusService(admin.session, client)
        devices = {d.id: d for d in service.devices()}
        pending = devices[newcomer.session.store.device_id]
        assert pending.status == "pending" and pending.username == "clin"
        assert pending.staff == ("clin",)  # who works there: here, whoever signed in through the hub
        assert devices[admin.session.store.device_id].status == "approved"
        assert service.approve_device(pending.id).status == "approved"
        assert newcomer.sync().ok
        with pytest.raises(ValidationError):
            service.revoke_device(pending.id, reason=" ")
        with pytest.raises(ValidationError):
            service.revoke_device(admin.session.store.device_id, reason="mine")
        revoked = service.revoke_device(pending.id, reason="left the practice")
        assert revoked.status == "revoked" and revoked.revoked_reason == "left the practice"
        log = service.hub_log()
        assert {r.device_id for r in log} >= {admin.session.store.device_id, pending.id}
        assert any(r.device_name == "desk clinician" and r.username == "clin" for r in log)
        with pytest.raises(PermissionDenied):
            SyncStatusService(newcomer.session, client).approve_device(pending.id)
    finally:
        client.close()


@pytest.mark.slow
def test_the_hub_refuses_administration_from_a_clinicians_workstation(world: World) -> None:
    """The service checks the role of who is signed in here; the hub checks who enrolled the device."""
    clin = world.desk("clinician")
    assert clin.sync().ok
    client = open_shared_client(clin.session.store)
    try:
        admin_here = SyncStatusService(clin.practice.admin, client)  # an admin signed in on it
        with pytest.raises(HubRejected) as caught:
            admin_here.devices()
        assert "administrator" in caught.value.message
    finally:
        client.close()
