"""Key slots: one per user; changing a password re-wraps only that user's slot."""

from __future__ import annotations

import json

import pytest

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.services.accounts import AccountService, Authenticator
from mentalspace_desktop.store.keyslots import KdfParams, KeySlots
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture

NEW_PASSWORD = "Granite-Otter-Meadow-83"
CHEAP = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)  # the slot format records the params


def slot_file(practice: PracticeFixture) -> dict:
    return json.loads(practice.files.key_slots.read_text())


def test_every_user_has_a_slot_and_the_file_holds_no_key_or_password(practice: PracticeFixture) -> None:
    data = slot_file(practice)
    assert sorted(data["slots"]) == ["admin", "bill", "clin", "desk", "oclin", "sup"]
    text = practice.files.key_slots.read_text()
    assert practice.admin.store.master_key.hex() not in text
    assert PASSWORD not in text and ADMIN_PASSWORD not in text
    ids = {s["user_id"] for s in data["slots"].values()}
    assert ids == set(practice.users.values())


def test_changing_a_password_rewraps_only_that_slot(practice: PracticeFixture) -> None:
    before = slot_file(practice)["slots"]
    AccountService(practice.session_for("clinician"), kdf=CHEAP).change_password(
        current=PASSWORD, new=NEW_PASSWORD
    )
    after = slot_file(practice)["slots"]
    for name in ("admin", "bill", "desk", "oclin", "sup"):
        assert after[name] == before[name], name
    assert after["clin"]["wrapped"] != before["clin"]["wrapped"]
    assert after["clin"]["salt"] != before["clin"]["salt"]

    slots = KeySlots.load(practice.files.key_slots)
    with pytest.raises(AuthenticationError):
        slots.unwrap("clin", PASSWORD)
    user_id, key = slots.unwrap("clin", NEW_PASSWORD)
    assert user_id == practice.users["clinician"]
    assert key == practice.admin.store.master_key
    assert slots.unwrap("oclin", PASSWORD)[1] == key  # others are untouched

    pending = Authenticator(practice.files).begin("clin", NEW_PASSWORD)
    pending.cancel()


def test_admin_reset_of_another_users_slot(practice: PracticeFixture) -> None:
    before = slot_file(practice)["slots"]
    temporary = "Temporary-Walrus-Kettle-55"
    AccountService(practice.admin, kdf=CHEAP).reset_password(practice.users["billing"], temporary)
    after = slot_file(practice)["slots"]
    assert after["bill"]["wrapped"] != before["bill"]["wrapped"]
    assert {k: v for k, v in after.items() if k != "bill"} == {k: v for k, v in before.items() if k != "bill"}
    slots = KeySlots.load(practice.files.key_slots)
    with pytest.raises(AuthenticationError):
        slots.unwrap("bill", PASSWORD)
    assert slots.unwrap("bill", temporary)[1] == practice.admin.store.master_key


def test_a_slot_cannot_be_moved_to_another_user(practice: PracticeFixture) -> None:
    """The wrapped key is bound to its user id: copying one slot's fields under another name fails."""
    data = slot_file(practice)
    stolen = dict(data["slots"]["clin"])
    stolen["user_id"] = data["slots"]["oclin"]["user_id"]
    data["slots"]["oclin"] = stolen
    practice.files.key_slots.write_text(json.dumps(data))
    with pytest.raises(AuthenticationError):
        KeySlots.load(practice.files.key_slots).unwrap("oclin", PASSWORD)
