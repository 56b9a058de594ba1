"""A workstation shared by several staff: a colleague's first sign-in through the hub, and their work.

Through a real hub process on loopback. The workstation is the front desk's; a clinician who has
never used it signs in (the hub confirms password and code and hands over the device key secret),
gets their own key slot, and from then on signs in there offline. Each person's changes reach the
hub as their own, checked against their own permissions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.services.accounts import (
    AccountService,
    Authenticator,
    HubPendingSignIn,
    NewUser,
    PendingSignIn,
)
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.keyslots import KdfParams, KeySlots
from mentalspace_desktop.store.models import Client, Note, NoteBody, User
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.device_key import HUB_NEEDED, NOT_READY
from mentalspace_desktop.sync.engine import SyncEngine
from mentalspace_desktop.sync.enroll import open_client
from mentalspace_desktop.sync.errors import DeviceRevoked, HubUnreachable
from tests.factories import PracticeTemplate, add_note
from tests.sync.conftest import MemoryKeyring
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import Desk, World, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]

FAST = KdfParams(time_cost=1, memory_cost_kib=8, parallelism=1)
CLINICIAN_PASSWORD = "Blue-Heron-Lantern-42"


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def front_desk(world: World) -> Desk:
    """The front desk's workstation, approved and synced once (which hands the hub its key secret)."""
    desk = world.desk("front_desk")
    report = desk.sync()
    assert report.ok, report.error
    only_the_first_slot(desk)
    return desk


def only_the_first_slot(desk: Desk) -> None:
    """Only the person who set the workstation up has a slot there (the template has more)."""
    slots = desk.session.slots
    for name in slots.usernames():
        if name not in ("admin", desk.session.actor.username):
            slots.remove_slot(name)


def authenticator(desk: Desk) -> Authenticator:
    return Authenticator(desk.practice.files, kdf=FAST,
                         hub_client_factory=lambda *a, **k: HubClient(*a, connect_timeout=1, read_timeout=5, **k))


def first_sign_in(world: World, desk: Desk, username: str = "clin") -> UserSession:
    auth = authenticator(desk)
    pending = auth.begin(username, CLINICIAN_PASSWORD)
    assert isinstance(pending, HubPendingSignIn)
    return auth.complete(pending, world.code(username))


def test_the_device_key_secret_reaches_the_hub_once_per_epoch(world: World) -> None:
    desk = front_desk(world)
    slots = KeySlots.load(desk.practice.files.key_slots)
    assert slots.hub == (world.hub.url, desk.session.store.device_id)
    epoch = slots.device_slot_epoch()
    assert epoch
    [(secret,)] = world.hub.sql("SELECT key_secret FROM devices WHERE id = :d", d=desk.session.store.device_id)
    assert secret
    assert desk.sync().ok
    [(again,)] = world.hub.sql("SELECT key_secret FROM devices WHERE id = :d", d=desk.session.store.device_id)
    assert again == secret  # not re-sent while the epoch stands
    assert KeySlots.load(desk.practice.files.key_slots).device_slot_epoch() == epoch


def test_a_colleague_signs_in_for_the_first_time_and_then_offline(world: World) -> None:
    desk = front_desk(world)
    files = desk.practice.files
    assert not KeySlots.load(files.key_slots).has_slot("clin")

    session = first_sign_in(world, desk)
    try:
        assert session.actor.username == "clin"
        assert KeySlots.load(files.key_slots).has_slot("clin")
        with session.store.read() as s:
            secret = s.scalar(select(User.totp_secret).where(User.username == "clin"))
    finally:
        session.close()

    world.hub.stop()  # from now on the clinician signs in here like anyone else, hub or no hub
    auth = authenticator(desk)
    pending = auth.begin("clin", CLINICIAN_PASSWORD)
    assert isinstance(pending, PendingSignIn)
    assert secret is not None
    again = auth.complete(pending, pyotp.TOTP(secret).now())
    again.close()


def test_a_wrong_code_opens_nothing_and_makes_no_slot(world: World) -> None:
    desk = front_desk(world)
    auth = authenticator(desk)
    pending = auth.begin("clin", CLINICIAN_PASSWORD)
    with pytest.raises(AuthenticationError, match="not correct"):
        auth.complete(pending, "000000")
    assert not KeySlots.load(desk.practice.files.key_slots).has_slot("clin")
    pending = auth.begin("clin", "Not-The-Password-99")
    with pytest.raises(AuthenticationError, match="not correct"):
        auth.complete(pending, world.code("clin"))
    assert not KeySlots.load(desk.practice.files.key_slots).has_slot("clin")


def test_without_the_hub_a_first_sign_in_says_why(world: World) -> None:
    desk = front_desk(world)
    world.hub.stop()
    auth = authenticator(desk)
    pending = auth.begin("clin", CLINICIAN_PASSWORD)
    with pytest.raises(HubUnreachable) as caught:
        auth.complete(pending, world.code("clin"))
    assert caught.value.message == HUB_NEEDED


def test_a_workstation_that_never_gave_its_key_cannot_admit_newcomers(world: World) -> None:
    desk = world.desk("front_desk")  # approved, but never synced since
    only_the_first_slot(desk)
    desk.session.slots.set_hub(world.hub.url, desk.session.store.device_id)
    auth = authenticator(desk)
    pending = auth.begin("clin", CLINICIAN_PASSWORD)
    with pytest.raises(AuthenticationError) as caught:
        auth.complete(pending, world.code("clin"))
    assert caught.value.message == NOT_READY


def test_a_revoked_workstation_admits_nobody_and_destroys_its_slots(world: World) -> None:
    desk = front_desk(world)
    world.hub.revoke(desk.session.store.device_id, "laptop stolen")
    auth = authenticator(desk)
    pending = auth.begin("clin", CLINICIAN_PASSWORD)
    with pytest.raises(DeviceRevoked):
        auth.complete(pending, world.code("clin"))
    assert KeySlots.load(desk.practice.files.key_slots).usernames() == []


def test_each_persons_changes_reach_the_hub_as_theirs(world: World) -> None:
    desk = front_desk(world)
    desk_user = desk.session.actor.user_id
    # The front desk registers a client offline; the change waits in the outbox.
    waiting = register(desk, "Fairbanks")
    desk.session.store.close()

    clinician = first_sign_in(world, desk)  # the workstation's hub sign-in is now the clinician's
    try:
        client = ClientService(clinician).register(
            ClientInput(first_name="Ada", last_name="Quill", dob=date(1990, 2, 3),
                        primary_clinician_id=clinician.actor.user_id))
        engine = SyncEngine(clinician.store, open_client(clinician.store), clinician.actor.user_id)
        report = engine.run_once()
        assert report.ok, report.error
        assert report.rejected == 0, report.rejections
        rows = dict(world.hub.sql("SELECT id, updated_by FROM clients WHERE id IN (:a, :b)",
                                  a=waiting, b=client.id))
        assert rows == {waiting: desk_user, client.id: clinician.actor.user_id}
        with clinician.store.read() as s:
            assert s.get(Client, waiting) is not None  # still here: the front desk works here too
    finally:
        clinician.close()


def test_a_change_by_someone_who_never_signed_in_here_is_rejected_and_kept(world: World) -> None:
    desk = front_desk(world)
    stranger = world.hub.sql("SELECT id FROM users WHERE username = 'oclin'")[0][0]
    client_id = register(desk, "Marsh")
    with desk.session.store.write(stranger) as s:  # a forged author: never signed in on this workstation
        row = s.get(Client, client_id)
        assert row is not None
        row.city = "Macon"
    report = desk.sync()
    assert report.rejected == 1
    [(reason,)] = [(r[1],) for r in report.rejections]
    assert "never signed in to the hub on this workstation" in reason
    [(city,)] = world.hub.sql("SELECT city FROM clients WHERE id = :c", c=client_id)
    assert city != "Macon"



def test_staff_created_on_a_workstation_work_there_before_they_ever_meet_the_hub(world: World) -> None:
    admin_desk = world.desk("admin")
    assert admin_desk.sync().ok
    new_id = AccountService(admin_desk.session).create_user(NewUser(
        username="temp.desk", full_name="Robin Vale", role=Role.FRONT_DESK, password="Copper-Kettle-Meadow-83"))
    # Robin signs in here (enrolling an authenticator): the hub has never seen them, so their key
    # goes to the hub on the administrator's signed word, and their work need not wait.
    auth = Authenticator(admin_desk.practice.files)
    pending = auth.begin("temp.desk", "Copper-Kettle-Meadow-83")
    assert isinstance(pending, PendingSignIn) and pending.needs_enrollment
    secret = pyotp.random_base32()
    robin, _codes = auth.enroll(pending, secret=secret, code=pyotp.TOTP(secret).now())
    try:
        made = ClientService(robin).register(ClientInput(first_name="Lee", last_name="Orr", dob=date(1979, 5, 6)))
    finally:
        robin.close()
    report = admin_desk.sync()  # the account, its key and Robin's first client go in one sync
    assert report.ok and report.rejected == 0, report.rejections
    assert world.hub.sql("SELECT updated_by FROM clients WHERE id = :c", c=made.id) == [(new_id,)]
    assert world.hub.sql("SELECT how FROM device_users WHERE user_id = :u", u=new_id) == [("created here",)]


def test_a_clinician_at_the_front_desk_never_brings_note_bodies_there(world: World) -> None:
    admin, laptop = world.desk("admin"), world.desk("clinician")
    client_id = register(admin, "Holloway", clinician=admin_user_id(admin, "clin"))
    assert admin.sync().ok
    desk = front_desk(world)
    clinician = first_sign_in(world, desk)  # the clinician now works at the front desk too
    try:
        assert laptop.sync().ok
        add_note(laptop.session.store, laptop.session.actor.user_id, client_id, body="SECRET-WORDS-42")
        assert laptop.sync().ok
        report = SyncEngine(clinician.store, open_client(clinician.store), clinician.actor.user_id).run_once()
        assert report.ok, report.error
        with clinician.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Note).where(Note.client_id == client_id)) == 1
            assert s.scalar(select(func.count()).select_from(NoteBody)) == 0
    finally:
        clinician.close()


def admin_user_id(desk: Desk, username: str) -> str:
    with desk.session.store.read() as s:
        return str(s.scalar(select(User.id).where(User.username == username)))
