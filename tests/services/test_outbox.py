"""The outbox: every synced write appends its change in the same transaction, and only if it commits."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.models import Client, OutboxEntry
from tests.factories import PracticeFixture


def outbox(practice: PracticeFixture, after: int = 0) -> list[OutboxEntry]:
    with practice.admin.store.read() as s:
        return list(
            s.scalars(
                select(OutboxEntry).where(OutboxEntry.device_seq > after).order_by(OutboxEntry.device_seq)
            )
        )


def last_seq(practice: PracticeFixture) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.max(OutboxEntry.device_seq))) or 0)


def count_rows(practice: PracticeFixture, table: str) -> int:
    with practice.admin.store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_register_appends_one_entry_per_synced_write(practice: PracticeFixture) -> None:
    mark = last_seq(practice)
    client = ClientService(practice.session_for("front_desk")).register(
        ClientInput(first_name="Sam", last_name="Rivera", dob=date(1988, 6, 1), email="sam@example.com")
    )
    entries = outbox(practice, mark)
    assert sorted((e.table_name, e.op) for e in entries) == [
        ("audit_log", "insert"),
        ("clients", "insert"),
    ]
    ins = next(e for e in entries if e.table_name == "clients")
    assert ins.row_id == client.id and ins.base_server_seq is None and ins.status == "pending"
    assert ins.schema_version == migrate.head_revision()
    changes = json.loads(ins.changes)
    assert changes["last_name"] == [None, "Rivera"] and changes["email"] == [None, "sam@example.com"]
    assert changes["dob"] == [None, "1988-06-01"]
    assert "updated_at" not in changes and "server_seq" not in changes
    row = json.loads(ins.row)
    assert row["id"] == client.id and row["updated_by"] == practice.users["front_desk"]
    assert row["device_id"] == practice.admin.store.device_id
    assert not any(e.table_name == "practice" for e in entries)  # no shared counter to fight over
    assert len({e.change_id for e in entries}) == len(entries)
    assert [e.device_seq for e in entries] == sorted(e.device_seq for e in entries)


def test_update_records_old_and_new_values_and_the_base_server_seq(practice: PracticeFixture) -> None:
    client = practice.add_client(email="old@example.com")
    # as if the hub had accepted the row as server_seq 41
    with practice.admin.store.engine.begin() as conn:
        conn.execute(text("UPDATE clients SET server_seq = 41 WHERE id = :id"), {"id": client.id})
    mark = last_seq(practice)
    ClientService(practice.admin).update(
        client.id,
        ClientInput(
            first_name="Sam",
            last_name="Rivera",
            dob=date(1988, 6, 1),
            email="new@example.com",
            city="Decatur",
        ),
    )
    entries = [e for e in outbox(practice, mark) if e.table_name == "clients"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry.op == "update" and entry.row_id == client.id and entry.base_server_seq == 41
    assert json.loads(entry.changes) == {
        "email": ["old@example.com", "new@example.com"],
        "city": [None, "Decatur"],
    }
    assert json.loads(entry.row)["server_seq"] == 41


def test_name_change_carries_the_search_keys(practice: PracticeFixture) -> None:
    client = practice.add_client()
    mark = last_seq(practice)
    ClientService(practice.admin).update(
        client.id, ClientInput(first_name="Sam", last_name="Okafor", dob=date(1988, 6, 1))
    )
    (entry,) = [e for e in outbox(practice, mark) if e.table_name == "clients"]
    assert json.loads(entry.changes) == {"last_name": ["Rivera", "Okafor"], "last_key": ["rivera", "okafor"]}


def test_unchanged_save_appends_nothing(practice: PracticeFixture) -> None:
    client = practice.add_client()
    mark = last_seq(practice)
    ClientService(practice.admin).update(
        client.id, ClientInput(first_name="Sam", last_name="Rivera", dob=date(1988, 6, 1))
    )
    assert outbox(practice, mark) == []


def test_tombstone_is_a_delete_and_hard_delete_is_refused(practice: PracticeFixture) -> None:
    client = practice.add_client()
    mark = last_seq(practice)
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.get(Client, client.id).deleted = True
    (entry,) = outbox(practice, mark)
    assert (entry.op, json.loads(entry.changes)) == ("delete", {"deleted": [False, True]})
    with pytest.raises(RuntimeError, match="never deleted"), practice.admin.store.write() as s:
        s.delete(s.get(Client, client.id))
    assert count_rows(practice, "clients") == 1


def test_failing_transaction_leaves_neither_data_nor_outbox(practice: PracticeFixture) -> None:
    before = {t: count_rows(practice, t) for t in ("clients", "outbox", "audit_log")}
    with pytest.raises(ZeroDivisionError), practice.admin.store.write(practice.users["admin"]) as s:
        s.add(
            Client(
                chart_number="MS-9999",
                first_name="Ghost",
                last_name="Row",
                dob=date(1990, 1, 1),
                last_key="row",
                first_key="ghost",
            )
        )
        s.flush()  # the outbox entry is written ...
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == before["outbox"] + 1
        raise ZeroDivisionError  # ... and rolled back with the row
    assert {t: count_rows(practice, t) for t in before} == before


def test_service_failing_midway_leaves_nothing(
    practice: PracticeFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {t: count_rows(practice, t) for t in ("clients", "insurances", "outbox", "audit_log")}

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValidationError({"x": "simulated failure after the rows were flushed"})

    monkeypatch.setattr(audit, "record", broken)
    from mentalspace_desktop.services.clients import InsuranceInput

    with pytest.raises(ValidationError):
        ClientService(practice.admin).register(
            ClientInput(
                first_name="Sam",
                last_name="Rivera",
                dob=date(1988, 6, 1),
                primary_insurance=InsuranceInput(payer_name="Aetna", member_id="W1"),
            )
        )
    assert {t: count_rows(practice, t) for t in before} == before


def test_audit_entries_are_synced_too(practice: PracticeFixture) -> None:
    client = practice.add_client()
    mark = last_seq(practice)
    ClientService(practice.admin).open_chart(client.id)
    (entry,) = outbox(practice, mark)
    assert entry.table_name == "audit_log" and entry.op == "insert"
    assert json.loads(entry.row)["action"] == "open_chart"


def test_signing_in_does_not_queue_a_change_for_the_hub(practice: PracticeFixture) -> None:
    """last_login_at and the replay guard stay on this workstation: no outbox entry, no sync conflict."""
    import pyotp

    from mentalspace_desktop.services.accounts import Authenticator
    from tests.factories import ADMIN_PASSWORD

    practice.admin.close()
    auth = Authenticator(practice.files)
    pending = auth.begin("admin", ADMIN_PASSWORD)
    before = last_seq_of(pending.store)
    practice.admin = auth.complete(pending, pyotp.TOTP(practice.admin_totp_secret).now())
    with practice.admin.store.read() as s:
        tables = set(s.scalars(select(OutboxEntry.table_name).where(OutboxEntry.device_seq > before)))
    assert tables == {"audit_log"}


def last_seq_of(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.scalar(select(func.max(OutboxEntry.device_seq))) or 0
