"""The clinical data key: a front-desk or billing password opens the store file, not a note's text.

Raw opens, as someone holding the files and a colleague's password would do it: unwrap the master
key from their slot, open the SQLCipher file with sqlcipher3 directly, read every table (the outbox
and the sync state included) and look for the note text. A clinician's sign-in reads it.
"""

from __future__ import annotations

import json
import time

import pyotp
import pytest
import sqlcipher3

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services.accounts import AccountService, Authenticator, PendingSignIn
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.clinical_seal import context_of, is_sealed
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import NoteBody, User
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture, add_note

SEALED_TEXT = "Client disclosed SEALED-WORDS-71 in session"
LEGACY_TEXT = "Written before sealing: LEGACY-WORDS-35"


def sign_in(practice: PracticeFixture, username: str, password: str = PASSWORD) -> UserSession:
    """A real sign-in (the template's staff enroll an authenticator at their first one)."""
    auth = Authenticator(practice.files)
    pending = auth.begin(username, password)
    assert isinstance(pending, PendingSignIn)
    if pending.needs_enrollment:
        secret = pyotp.random_base32()
        return auth.enroll(pending, secret=secret, code=pyotp.TOTP(secret).now())[0]
    raise AssertionError("the template's staff have no authenticator yet")


def raw_dump(practice: PracticeFixture, username: str, password: str) -> str:
    """Every value of every table, read with sqlcipher3 and the master key this password unwraps."""
    slots = KeySlots.load(practice.files.key_slots)
    opened = slots.open_slot(username, password)
    assert opened.clinical_key is None, f"{username}'s slot holds the clinical key"
    conn = sqlcipher3.connect(str(practice.files.database))
    try:
        conn.execute(f"PRAGMA key = \"x'{opened.master_key.hex()}'\"")
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {slots.cipher_hmac}")
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "outbox" in tables and "note_bodies" in tables
        return json.dumps({t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}, default=str)
    finally:
        conn.close()


@pytest.fixture
def notes(practice: PracticeFixture) -> tuple[str, str]:
    """A note written before sealing (plain text), then a clinician's sealed note; (body ids)."""
    client = practice.add_client(clinician="clinician", last="Holloway")
    _legacy_note, legacy_body = add_note(practice.admin.store, practice.users["clinician"], client.id,
                                         body=LEGACY_TEXT)
    practice.admin.close()
    clinician = sign_in(practice, "clin")  # holds the key (granted by the administrator's slot): seals the old text
    try:
        seal = clinician.clinical
        assert seal is not None
        body_id = add_note(clinician.store, clinician.actor.user_id, client.id, body="")[1]
        with clinician.store.write(clinician.actor.user_id) as s:
            row = s.get(NoteBody, body_id)
            assert row is not None
            row.body = seal.seal(SEALED_TEXT, context=context_of("note_bodies", "body", body_id))
    finally:
        clinician.close()
    return legacy_body, body_id


def test_front_desk_and_billing_passwords_open_the_file_but_no_note_text(
        practice: PracticeFixture, notes: tuple[str, str]) -> None:
    for username in ("desk", "bill"):
        dump = raw_dump(practice, username, PASSWORD)
        assert "Holloway" in dump  # the store itself opened: demographics are theirs to read
        assert "SEALED-WORDS-71" not in dump
        assert "LEGACY-WORDS-35" not in dump, "text written before sealing was left in the clear"


def test_a_clinician_reads_the_text(practice: PracticeFixture, notes: tuple[str, str]) -> None:
    legacy_body, body_id = notes
    clinician = sign_in_again(practice, "clin")
    try:
        seal = clinician.clinical
        assert seal is not None
        with clinician.store.read() as s:
            sealed = {b.id: b.body for b in s.query(NoteBody)}
        assert all(is_sealed(v) for v in sealed.values())
        assert seal.open(sealed[body_id], context=context_of("note_bodies", "body", body_id)) == SEALED_TEXT
        assert seal.open(sealed[legacy_body], context=context_of("note_bodies", "body", legacy_body)) == LEGACY_TEXT
    finally:
        clinician.close()


def sign_in_again(practice: PracticeFixture, username: str) -> UserSession:
    """A later sign-in with the authenticator enrolled at the first (the next code: each is used once)."""
    auth = Authenticator(practice.files)
    pending = auth.begin(username, PASSWORD)
    assert isinstance(pending, PendingSignIn) and not pending.needs_enrollment
    with pending.store.read() as s:
        secret = s.get(User, pending.user_id).totp_secret  # type: ignore[union-attr]
    assert secret
    return auth.complete(pending, pyotp.TOTP(secret).at(time.time() + 30))


def test_only_roles_that_read_clinical_text_hold_the_key(practice: PracticeFixture) -> None:
    slots = KeySlots.load(practice.files.key_slots)
    assert slots.open_slot("admin", ADMIN_PASSWORD).clinical_key is not None
    holding = {name: slots.holds_clinical_key(name) for name in slots.usernames()}
    assert holding == {"admin": True, "sup": True, "clin": True, "oclin": True, "bill": False, "desk": False}


def test_a_role_change_takes_the_key_away_and_gives_it(practice: PracticeFixture) -> None:
    accounts = AccountService(practice.admin)
    accounts.update_user(practice.users["clinician"], role=Role.BILLING)
    slots = KeySlots.load(practice.files.key_slots)
    assert not slots.holds_clinical_key("clin")
    assert slots.open_slot("clin", PASSWORD).clinical_key is None
    accounts.update_user(practice.users["front_desk"], role=Role.CLINICIAN)
    assert slots.holds_clinical_key("desk")  # granted: sealed to their box key until they sign in
    practice.admin.close()
    desk = sign_in(practice, "desk")
    try:
        assert desk.clinical is not None
        assert KeySlots.load(practice.files.key_slots).open_slot("desk", PASSWORD).clinical_key is not None
    finally:
        desk.close()
