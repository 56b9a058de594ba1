"""Nobody acts as a colleague: the crafted pushes of the report, against a real hub process.

A front desk and a clinician share a workstation (the clinician signed in there through the hub);
the clinician also has a laptop with a signed note. With the front-desk person's own access token
for that workstation, and everything in the store they can open, they try to push changes in the
clinician's and the administrator's names. The hub refuses each with a reason, changes nothing, and
no answer carries a row the workstation may not hold — above all not the note's text.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from sqlalchemy import select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import NoteBody, OutboxEntry
from mentalspace_desktop.store.signing import Signer, new_private_key
from mentalspace_desktop.sync.engine import SyncEngine
from mentalspace_desktop.sync.enroll import open_client
from mentalspace_desktop.sync.outbox_reader import pending_count
from mentalspace_desktop.sync.relogin import sign_in_again
from mentalspace_desktop.sync.signing import SigningKeyNeeded
from tests import signing_keys
from tests.factories import add_note, sign_note
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import World, register
from tests.sync.test_end_to_end import world as world  # noqa: F401  (the fixture)
from tests.sync.test_shared_workstation import admin_user_id, first_sign_in, front_desk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]

NOTE_TEXT = "Client disclosed SECRET-WORDS-42 in session"
DESK_PASSWORD = "Blue-Heron-Lantern-42"


class Attacker:
    """The front-desk person at the shared workstation, talking to the hub with their own token."""

    def __init__(self, world: World, device_id: str) -> None:
        self.url, self.device_id = world.hub.url, device_id
        self.own = Signer("", new_private_key())  # their own key, registered at their own verified sign-in
        body: dict[str, Any] = {"username": "desk", "password": DESK_PASSWORD, "code": world.code("desk"),
                                "device_id": device_id, "device_name": "front desk",
                                "signing_key": self.own.public_b64}
        answer = requests.post(f"{self.url}/v1/auth/login", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        self.tokens = answer.json()
        self.user_id = self.own.user_id = self.tokens["user"]["id"]
        self.seq = 10_000

    def push(self, *changes: dict[str, Any]) -> dict[str, Any]:
        answer = requests.post(f"{self.url}/v1/sync/push", json={"changes": list(changes)}, timeout=10,
                               headers={"Authorization": f"Bearer {self.tokens['access_token']}"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def change(self, table: str, row_id: str, changes: dict[str, list[Any]], *, author: str, op: str = "update",
               base: int | None = None) -> dict[str, Any]:
        self.seq += 1
        return {"device_seq": self.seq, "change_id": new_id(), "table": table, "row_id": row_id, "op": op,
                "base_server_seq": base, "changes": changes, "schema_version": "", "author_id": author}


def shared_workstation_with_a_note(world: World) -> tuple[Any, Any, str, str, str]:
    """(desk, clinician session at the desk, clinician id, note body id, client id)."""
    admin, laptop = world.desk("admin"), world.desk("clinician")
    clin = admin_user_id(admin, "clin")
    client_id = register(admin, "Holloway", clinician=clin)
    assert admin.sync().ok
    desk = front_desk(world)
    clinician = first_sign_in(world, desk)
    assert laptop.sync().ok
    note_id, body_id = add_note(laptop.session.store, laptop.session.actor.user_id, client_id, body=NOTE_TEXT)
    assert laptop.sync().ok
    return desk, clinician, clin, body_id, client_id


def body_on_hub(world: World, body_id: str) -> tuple[str, str]:
    [(body, updated_by)] = world.hub.sql("SELECT body, updated_by FROM note_bodies WHERE id = :b", b=body_id)
    return body, updated_by


def no_note_text(answer: dict[str, Any]) -> None:
    text = json.dumps(answer)
    assert "SECRET-WORDS-42" not in text
    assert all(r.get("row") is None or "body" not in r["row"] for r in answer["results"])


def test_front_desk_token_cannot_write_as_the_clinician(world: World) -> None:
    desk, clinician, clin, body_id, _client = shared_workstation_with_a_note(world)
    try:
        before = body_on_hub(world, body_id)
        attacker = Attacker(world, desk.session.store.device_id)
        # The practice's clinical key: handed to the clinician's verified sign-in here, never to the desk.
        [(hub_key,)] = world.hub.sql("SELECT value FROM hub_settings WHERE key = 'clinical_key'")
        assert clinician.clinical_key is not None and base64.b64encode(clinician.clinical_key).decode() == hub_key
        assert attacker.tokens.get("clinical_key") is None
        forged = attacker.change("note_bodies", body_id, {"body": ["", "replaced by the front desk"]}, author=clin)
        unsigned = attacker.push(forged)
        assert unsigned["results"][0]["outcome"] == "rejected"
        assert "not signed by its author" in unsigned["results"][0]["reason"]
        no_note_text(unsigned)

        # Their own key, registered at their own verified sign-in, does not make them the clinician.
        signed_by_desk = attacker.push(signing_keys.sign(
            attacker.change("note_bodies", body_id, {"body": ["", "replaced again"]}, author=clin), attacker.own))
        assert signed_by_desk["results"][0]["outcome"] == "rejected"
        assert "signing key is not registered" in signed_by_desk["results"][0]["reason"] \
            or "does not match" in signed_by_desk["results"][0]["reason"]
        no_note_text(signed_by_desk)

        # A real signature of the clinician's (their sign-in's audit entry, in the outbox the front desk
        # can open) moved onto a forged change: it does not match.
        with clinician.store.read() as s:
            entry = s.scalars(select(OutboxEntry).where(OutboxEntry.signature.is_not(None))
                              .order_by(OutboxEntry.device_seq.desc())).first()
        assert entry is not None and entry.signature and json.loads(entry.row)["updated_by"] == clin
        tampered = attacker.change("note_bodies", body_id, {"body": ["", "tampered"]}, author=clin)
        tampered["signature"] = entry.signature
        answer = attacker.push(tampered)
        assert answer["results"][0]["outcome"] == "rejected"
        assert "does not match" in answer["results"][0]["reason"]
        no_note_text(answer)
        assert body_on_hub(world, body_id) == before  # nothing changed, nothing recorded as theirs
    finally:
        clinician.close()


def test_front_desk_token_cannot_write_an_audit_entry_naming_the_administrator(world: World) -> None:
    desk = front_desk(world)
    admin_id = admin_user_id(desk, "admin")
    attacker = Attacker(world, desk.session.store.device_id)
    entry_id = new_id()
    entry: dict[str, Any] = {
        "id": entry_id, "seq": 1, "at": "2026-11-30T03:04:05+00:00", "workstation": "front", "user_id": admin_id,
        "username": "admin", "action": "export", "record_type": "client", "summary": "exported 230 clients",
        "prev_hash": "0" * 64, "hash": "1" * 64, "deleted": False,
    }
    insert = {k: [None, v] for k, v in entry.items()}
    answer = attacker.push(attacker.change("audit_log", entry_id, insert, author=admin_id, op="insert"))
    assert answer["results"][0]["outcome"] == "rejected", answer

    # Signed by the front desk, as the front desk, but naming the administrator: still refused.
    as_desk = signing_keys.sign(attacker.change("audit_log", entry_id, insert, author=attacker.user_id,
                                                op="insert"), attacker.own)
    answer = attacker.push(as_desk)
    assert answer["results"][0]["outcome"] == "rejected"
    assert "naming a person must be signed by that person" in answer["results"][0]["reason"]
    assert world.hub.sql("SELECT id FROM audit_log WHERE id = :e", e=entry_id) == []


def test_a_refused_change_at_the_shared_workstation_carries_no_note_text(world: World) -> None:
    """The clinician's own, properly signed edit of a signed note is refused; the answer goes to a
    workstation where the front desk works, so it carries no body — and no conflict record does."""
    desk, clinician, clin, body_id, client_id = shared_workstation_with_a_note(world)
    try:
        laptop = world.desks[1]
        with laptop.session.store.read() as s:
            note_id = s.get(NoteBody, body_id).note_id  # type: ignore[union-attr]
        sign_note(laptop.session.store, clin, note_id)
        assert laptop.sync().ok
        [(seq,)] = world.hub.sql("SELECT server_seq FROM note_bodies WHERE id = :b", b=body_id)
        before = body_on_hub(world, body_id)
        assert clinician.signing_key is not None
        theirs = Signer(clin, clinician.signing_key)  # registered at their sign-in at the desk
        attacker = Attacker(world, desk.session.store.device_id)
        edit = signing_keys.sign(attacker.change("note_bodies", body_id, {"body": [NOTE_TEXT, "new text"]},
                                                 author=clin, base=seq), theirs)
        stale = signing_keys.sign(attacker.change("note_bodies", body_id, {"body": [NOTE_TEXT, "other"]},
                                                  author=clin, base=seq - 1), theirs)
        answer = attacker.push(edit, stale)
        assert [r["outcome"] for r in answer["results"]] == ["rejected", "rejected"], answer
        assert all("signed" in r["reason"] for r in answer["results"]), answer
        no_note_text(answer)
        assert body_on_hub(world, body_id) == before
        report = SyncEngine(clinician.store, open_client(clinician.store), clinician.actor.user_id).run_once()
        assert report.ok, report.error
        with clinician.store.read() as s:  # no conflict record or row brought the body here either
            assert s.scalar(select(NoteBody.id).where(NoteBody.client_id == client_id)) is None
            assert "SECRET-WORDS-42" not in json.dumps([e.row for e in s.scalars(select(OutboxEntry))])
    finally:
        clinician.close()


def test_after_the_update_changes_wait_for_their_authors_hub_sign_in(world: World) -> None:
    """Someone who worked here before keys existed: their new changes wait (never lost, never sent to
    be refused) and the app asks them for the hub sign-in that registers their key; then they go."""
    desk = world.desk("admin")
    assert desk.sync().ok
    store, slots = desk.session.store, desk.session.slots
    world.hub.sql("DELETE FROM hub_signing_keys WHERE device_id = :d", d=store.device_id)
    data = json.loads(slots.path.read_text())
    data["slots"]["admin"]["signing"]["registered"] = []  # as a slot made before this version
    slots.path.write_text(json.dumps(data))

    waiting = register(desk, "Waits")
    report = desk.sync()
    assert isinstance(report.failure, SigningKeyNeeded), report.log_line()
    assert report.pushed == 0 and pending_count(store) >= 1
    assert world.hub.sql("SELECT id FROM clients WHERE id = :c", c=waiting) == []

    # Someone holding the file swaps the clear copy of the public key for their own before that sign-in:
    # the hub still learns the key from the slot itself.
    theirs = Signer("", new_private_key())
    data = json.loads(slots.path.read_text())
    data["slots"]["admin"]["signing"]["public"] = theirs.public_b64
    data["slots"]["admin"]["signing"]["key_id"] = theirs.key_id
    slots.path.write_text(json.dumps(data))
    sign_in_again(store, username="admin", password="Quiet-Maple-Orchard-17", code=world.code("admin"),
                  client=desk.client)
    assert desk.session.signing_key is not None
    real = Signer("", desk.session.signing_key).key_id
    registered = [k for (k,) in world.hub.sql("SELECT key_id FROM hub_signing_keys WHERE device_id = :d",
                                               d=store.device_id)]
    assert registered == [real]
    report = desk.sync()
    assert report.ok and report.rejected == 0, report.log_line()
    assert pending_count(store) == 0
    assert world.hub.sql("SELECT updated_by FROM clients WHERE id = :c", c=waiting) == [
        (desk.session.actor.user_id,)]
