"""The audit log: every read and write of a client's record appends; tampering is found; filters, CSV."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from mentalspace_desktop.services.audit import EXPORT_COLUMNS, AuditFilter, AuditService, verify_store
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.store.models import AuditEntry
from tests.factories import PracticeFixture


def all_entries(practice: PracticeFixture) -> list[AuditEntry]:
    with practice.admin.store.read() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def count(practice: PracticeFixture) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


# -- every read and write of PHI appends ---------------------------------------------------------------


def test_register_appends_create(practice: PracticeFixture) -> None:
    before = count(practice)
    client = ClientService(practice.session_for("front_desk")).register(
        ClientInput(first_name="Sam", last_name="Rivera", dob=date(1988, 6, 1))
    )
    entries = all_entries(practice)
    assert len(entries) == before + 1
    last = entries[-1]
    assert (last.action, last.record_type, last.record_id, last.client_id, last.username) == (
        "create",
        "client",
        client.id,
        client.id,
        "desk",
    )
    assert last.user_id == practice.users["front_desk"]
    assert last.workstation and last.device_id == practice.admin.store.device_id


@pytest.mark.parametrize(("call", "action"), [("get", "view"), ("open_chart", "open_chart")])
def test_reads_append(practice: PracticeFixture, call: str, action: str) -> None:
    client = practice.add_client(clinician="clinician")
    before = count(practice)
    getattr(ClientService(practice.session_for("clinician")), call)(client.id)
    entries = all_entries(practice)
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].client_id, entries[-1].username) == (action, client.id, "clin")


def test_update_appends_with_the_changed_fields(practice: PracticeFixture) -> None:
    client = practice.add_client()
    before = count(practice)
    ClientService(practice.admin).update(
        client.id,
        ClientInput(
            first_name="Sam",
            last_name="Rivera",
            dob=date(1988, 6, 1),
            email="sam@example.com",
            city="Atlanta",
        ),
    )
    entries = all_entries(practice)
    assert len(entries) == before + 1
    assert entries[-1].action == "update" and entries[-1].client_id == client.id
    assert "email" in entries[-1].summary and "city" in entries[-1].summary
    assert "sam@example.com" not in entries[-1].summary  # the log names fields, it does not copy PHI


def test_unchanged_update_writes_nothing(practice: PracticeFixture) -> None:
    client = practice.add_client()
    before = count(practice)
    ClientService(practice.admin).update(
        client.id, ClientInput(first_name="Sam", last_name="Rivera", dob=date(1988, 6, 1))
    )
    assert count(practice) == before


def test_export_appends(practice: PracticeFixture, tmp_path: Path) -> None:
    practice.add_client()
    before = count(practice)
    ClientService(practice.admin).export_csv(tmp_path / "c.csv")
    entries = all_entries(practice)
    assert (
        len(entries) == before + 1 and entries[-1].action == "export" and "1 clients" in entries[-1].summary
    )


def test_consents_and_status_append(practice: PracticeFixture) -> None:
    from mentalspace_desktop.domain.clients import ClientStatus, ConsentKind

    client = practice.add_client()
    service = ClientService(practice.admin)
    before = count(practice)
    service.add_consent(client.id, ConsentKind.INFORMED_CONSENT, signed_on=date(2024, 1, 2))
    service.set_status(client.id, ClientStatus.DISCHARGED)
    consent_id = service.open_chart(client.id).client.consents[0].id
    service.revoke_consent(consent_id)
    actions = [e.action for e in all_entries(practice)[before:]]
    assert actions == ["consent_added", "status_changed", "open_chart", "consent_revoked"]


def test_refused_read_is_not_logged_as_a_read(practice: PracticeFixture) -> None:
    from mentalspace_desktop.errors import PermissionDenied

    client = practice.add_client(clinician="other_clinician")
    before = count(practice)
    with pytest.raises(PermissionDenied):
        ClientService(practice.session_for("clinician")).get(client.id)
    assert count(practice) == before


# -- tampering ---------------------------------------------------------------------------------------


@pytest.fixture
def busy(practice: PracticeFixture) -> PracticeFixture:
    for last in ("Avery", "Brook", "Cole"):
        c = practice.add_client(last=last, clinician="clinician")
        ClientService(practice.session_for("clinician")).open_chart(c.id)
    assert verify_store(practice.admin.store) is None
    assert count(practice) >= 6
    return practice


def raw_sql(practice: PracticeFixture, sql: str, **params: object) -> None:
    with practice.admin.store.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_changed_summary_is_reported_at_its_seq(busy: PracticeFixture) -> None:
    raw_sql(busy, "UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 3")
    brk = verify_store(busy.admin.store)
    assert brk is not None and brk.seq == 3 and "changed" in brk.reason


def test_changed_user_is_reported(busy: PracticeFixture) -> None:
    raw_sql(busy, "UPDATE audit_log SET username = 'desk' WHERE seq = 4")
    brk = verify_store(busy.admin.store)
    assert brk is not None and brk.seq == 4


def test_changed_time_is_reported(busy: PracticeFixture) -> None:
    raw_sql(busy, "UPDATE audit_log SET at = '2001-01-01 00:00:00.000000' WHERE seq = 5")
    brk = verify_store(busy.admin.store)
    assert brk is not None and brk.seq == 5


def test_deleted_middle_entry_is_reported(busy: PracticeFixture) -> None:
    raw_sql(busy, "DELETE FROM audit_log WHERE seq = 3")
    brk = verify_store(busy.admin.store)
    assert brk is not None and brk.seq == 3 and "missing" in brk.reason


def test_deleted_newest_entry_is_reported(busy: PracticeFixture) -> None:
    newest = count(busy)
    raw_sql(busy, "DELETE FROM audit_log WHERE seq = :seq", seq=newest)
    brk = verify_store(busy.admin.store)
    assert brk is not None and brk.seq == newest and "removed" in brk.reason


def test_chain_continues_correctly_after_many_writes(busy: PracticeFixture) -> None:
    ClientService(busy.admin).search("avery")
    for c in ClientService(busy.admin).search("a"):
        ClientService(busy.admin).get(c.id)
    assert verify_store(busy.admin.store) is None
    seqs = [e.seq for e in all_entries(busy)]
    assert seqs == list(range(1, len(seqs) + 1))


# -- filters and CSV ---------------------------------------------------------------------------------


def test_filters(busy: PracticeFixture) -> None:
    service = AuditService(busy.admin)
    everything = service.entries(AuditFilter())
    assert len(everything) == count(busy)
    assert [e.seq for e in everything] == sorted((e.seq for e in everything), reverse=True)  # newest first
    charts = service.entries(AuditFilter(action="open_chart"))
    assert len(charts) == 3 and {e.username for e in charts} == {"clin"}
    assert {e.action for e in service.entries(AuditFilter(username="clin"))} == {"open_chart"}
    one = charts[0].client_id
    assert {e.client_id for e in service.entries(AuditFilter(client_id=one))} == {one}
    assert {e.action for e in service.entries(AuditFilter(client_id=one))} == {"create", "open_chart"}
    assert len(service.entries(AuditFilter(text="registered as ms-"))) == 3  # case-insensitive text
    assert len(service.entries(AuditFilter(limit=2))) == 2
    now = datetime.now(UTC)
    assert service.entries(AuditFilter(since=now + timedelta(minutes=1))) == []
    assert len(
        service.entries(AuditFilter(since=now - timedelta(hours=1), until=now + timedelta(minutes=1)))
    ) == len(everything)
    assert service.entries(AuditFilter(until=now - timedelta(hours=1))) == []
    assert "open_chart" in service.actions() and "clin" in service.usernames()


def test_csv_export(busy: PracticeFixture, tmp_path: Path) -> None:
    service = AuditService(busy.admin)
    out = tmp_path / "audit.csv"
    written = service.export_csv(AuditFilter(action="open_chart"), out)
    assert written == 3
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 4
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {r["action"] for r in body} == {"open_chart"}
    assert all(datetime.fromisoformat(r["at"]).tzinfo is not None for r in body)
    assert all(len(r["hash"]) == 64 for r in body)
    assert not (tmp_path / "audit.csv.part").exists()
    latest = service.entries(AuditFilter(action="export"))[0]  # the export itself is audited
    assert latest.record_type == "audit_log" and "3 entries" in latest.summary
    assert verify_store(busy.admin.store) is None
