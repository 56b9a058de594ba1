"""Signing a connected workstation in to its hub again (sync.relogin), against a real hub process.

The sign-in is lost in two ways that matter: no OS keyring, so the token did not outlive the last
session; and the hub ending the sign-in (here: its token family revoked, as after a reused token).
Either way sync stops with AuthExpired until the person signs in again — and then it works, with the
same store, device and waiting changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pyotp
import pytest
from keyring.backends import fail

from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.sync import credentials, state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.credentials import NO_KEYRING_MESSAGE, HubCredential
from mentalspace_desktop.sync.engine import SyncEngine, SyncReport
from mentalspace_desktop.sync.enroll import open_client
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DeviceRevoked,
    HubRejected,
    HubUnreachable,
    NotConnected,
)
from mentalspace_desktop.sync.relogin import sign_in_again
from tests.factories import PracticeFixture, PracticeTemplate
from tests.sync.conftest import MemoryKeyring
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import Desk, World, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub (mentalspace_desktop/hub/app.py) is not written yet"),
]

PASSWORD = "Quiet-Maple-Orchard-17"  # the template administrator's


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate, memory_keyring: MemoryKeyring) -> Iterator[World]:
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def _sync(desk: Desk, client: HubClient | None = None) -> SyncReport:
    """One run; without ``client``, with one opened as the app opens it (the token from the credential)."""
    hub = open_client(desk.session.store) if client is None else client
    try:
        return SyncEngine(desk.session.store, hub, desk.session.actor.user_id).run_once()
    finally:
        if client is None:
            hub.close()


def _sync_state(desk: Desk) -> dict[str, str | None]:
    store = desk.session.store
    return {k: store.get_state(k) for k in (state.HUB_URL, state.DEVICE_STATUS, state.HUB_USER_ID)}


def wrong_code(world: World, username: str = "admin") -> str:
    """Six digits that are certainly not a code the hub would accept now (and no code spent on it)."""
    totp = pyotp.TOTP(world.secrets[username])
    now = datetime.now(UTC)
    good = {totp.at(now + timedelta(seconds=30 * step)) for step in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in good)


def test_without_a_keyring_a_restart_loses_the_sign_in_and_signing_in_again_resumes_sync(world: World) -> None:
    keyring.set_keyring(fail.Keyring())  # this computer has no keyring (the fixture puts the real one back)
    desk = world.desk("admin")
    desk.client.close()
    assert _sync(desk).ok
    before = _sync_state(desk)
    credentials.forget_session_tokens()  # MentalSpace closed and started again
    client_id = register(desk, "Relogin")

    stopped = _sync(desk)
    assert isinstance(stopped.failure, AuthExpired)
    assert world.hub.sql("SELECT count(*) FROM clients WHERE id = :i", i=client_id) == [(0,)]

    conn = sign_in_again(desk.session.store, username="admin", password=PASSWORD, code=world.code("admin"))
    assert (conn.hub_url, conn.device_id, conn.status) == (world.hub.url, desk.session.store.device_id, "approved")
    assert conn.credential_warning == NO_KEYRING_MESSAGE  # it will be asked again after the next restart
    assert HubCredential(world.hub.url, desk.session.store.device_id).get()  # kept for this session
    assert _sync_state(desk) == before  # same hub, same status, same enrolling user

    resumed = _sync(desk)
    assert resumed.ok, resumed.error
    assert resumed.pushed >= 1
    assert world.hub.sql("SELECT last_name FROM clients WHERE id = :i", i=client_id) == [("Relogin",)]


def test_an_ended_sign_in_is_renewed_in_the_shared_client_and_the_keyring(world: World,
                                                                       memory_keyring: MemoryKeyring) -> None:
    desk = world.desk("admin")
    desk.client.close()
    client = open_client(desk.session.store)  # the one client the app keeps for this store
    try:
        assert _sync(desk, client).ok
        old_token = client.refresh_token
        world.hub.sql("UPDATE refresh_tokens SET revoked = 1 WHERE device_id = :d", d=desk.session.store.device_id)
        client.access_token = None  # access tokens are short-lived: this one has run out
        assert isinstance(_sync(desk, client).failure, AuthExpired)

        conn = sign_in_again(desk.session.store, username="admin", password=PASSWORD, code=world.code("admin"),
                             client=client)
        assert conn.status == "approved" and conn.credential_warning is None
        assert client.refresh_token not in (None, old_token)
        kept = HubCredential(world.hub.url, desk.session.store.device_id).get()
        assert kept == client.refresh_token and list(memory_keyring.saved.values()) == [kept]
        assert _sync(desk, client).ok  # the same client carries on: nothing had to be reopened
    finally:
        client.close()
    assert _sync(desk).ok  # and so does the next start, from the keyring


def test_a_wrong_code_is_refused_with_the_hubs_words_and_changes_nothing(world: World) -> None:
    desk = world.desk("admin")
    desk.client.close()
    device_id = desk.session.store.device_id
    credential = HubCredential(world.hub.url, device_id)
    credential.delete()  # the sign-in is lost
    before = _sync_state(desk)
    client = open_client(desk.session.store)
    try:
        with pytest.raises(HubRejected) as refused:
            sign_in_again(desk.session.store, username="admin", password=PASSWORD,
                          code=wrong_code(world), client=client)
        assert not isinstance(refused.value, AuthExpired)  # a typing mistake, not an ended sign-in
        assert refused.value.status == 401
        assert "password or code is not correct" in refused.value.message
        assert (client.refresh_token, client.access_token) == (None, None)
        assert credential.get() is None
        assert _sync_state(desk) == before
        assert isinstance(_sync(desk, client).failure, AuthExpired)  # still signed out

        with pytest.raises(HubRejected, match="not correct"):
            sign_in_again(desk.session.store, username="admin", password="not my password",
                          code=pyotp.TOTP(world.secrets["admin"]).now(), client=client)
        assert credential.get() is None

        sign_in_again(desk.session.store, username="admin", password=PASSWORD, code=world.code("admin"),
                      client=client)
        assert _sync(desk, client).ok
    finally:
        client.close()


def test_hub_down_is_reported_as_unreachable(world: World) -> None:
    desk = world.desk("admin")
    desk.client.close()
    HubCredential(world.hub.url, desk.session.store.device_id).delete()
    before = _sync_state(desk)
    world.hub.stop()
    with pytest.raises(HubUnreachable):
        sign_in_again(desk.session.store, username="admin", password=PASSWORD, code=world.code("admin"))
    assert HubCredential(world.hub.url, desk.session.store.device_id).get() is None
    assert _sync_state(desk) == before


def test_a_revoked_workstation_is_told_so_and_locked_out(world: World) -> None:
    desk = world.desk("admin")
    desk.client.close()
    world.hub.revoke(desk.session.store.device_id, "laptop reported stolen")
    with pytest.raises(DeviceRevoked) as revoked:
        sign_in_again(desk.session.store, username="admin", password=PASSWORD, code=world.code("admin"))
    assert revoked.value.reason == "laptop reported stolen"
    assert KeySlots.load(desk.practice.files.key_slots).usernames() == []  # as at any contact with the hub
    assert desk.session.store.get_state(state.DEVICE_STATUS) == "revoked"
    assert HubCredential(world.hub.url, desk.session.store.device_id).get() is None


def test_a_solo_store_has_no_hub_to_sign_in_to(practice: PracticeFixture) -> None:
    with pytest.raises(NotConnected):
        sign_in_again(practice.admin.store, username="admin", password=PASSWORD, code="123456")
