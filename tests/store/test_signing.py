"""Outbox entries are signed by their author in the same transaction, over what the hub will check."""

from __future__ import annotations

from sqlalchemy import select

from mentalspace_desktop.store.models import Client, OutboxEntry
from mentalspace_desktop.store.signing import (
    Signature,
    Signer,
    entry_message,
    install,
    new_private_key,
    sign_legacy,
    verify,
)
from tests.factories import PracticeFixture


def last_entry(practice: PracticeFixture) -> OutboxEntry:
    with practice.admin.store.read() as s:
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.device_seq.desc())).first()
    assert entry is not None
    return entry


def edit_city(practice: PracticeFixture, author: str, client_id: str, city: str) -> OutboxEntry:
    with practice.admin.store.write(author) as s:
        row = s.get(Client, client_id)
        assert row is not None
        row.city = city
    return last_entry(practice)


def test_an_entry_is_signed_by_its_author_and_a_change_to_it_breaks_the_signature(practice: PracticeFixture) -> None:
    client = practice.add_client(last="Signed")
    clin = practice.users["clinician"]
    signer = Signer(clin, new_private_key())
    install(practice.admin.store.engine, signer)
    entry = edit_city(practice, clin, client.id, "Macon")
    signature = Signature.decode(entry.signature)
    assert signature is not None and signature.key_id == signer.key_id
    assert verify(signer.public_raw, entry_message(entry), signature)
    entry.changes = entry.changes.replace("Macon", "Athens")  # altered in the store: no longer theirs
    assert not verify(signer.public_raw, entry_message(entry), signature)
    other = Signer(practice.users["admin"], new_private_key())
    assert not verify(other.public_raw, entry_message(last_entry(practice)), signature)


def test_without_the_authors_key_an_entry_stays_unsigned_until_a_legacy_signing(practice: PracticeFixture) -> None:
    client = practice.add_client(last="Unsigned")
    oclin = practice.users["other_clinician"]
    entry = edit_city(practice, oclin, client.id, "Rome")  # their key is not here: nobody signs for them
    assert entry.signature is None
    signer = Signer(oclin, new_private_key())
    with practice.admin.store.write() as s:
        assert sign_legacy(s, signer, until_seq=entry.device_seq - 1) == 0  # written after the mark: never
    with practice.admin.store.write() as s:
        assert sign_legacy(s, signer, until_seq=entry.device_seq) == 1  # written before signatures existed
    signed = last_entry(practice)
    decoded = Signature.decode(signed.signature)
    assert decoded is not None and verify(signer.public_raw, entry_message(signed), decoded)
