"""An insider who holds the store files and a staff password rewrites the audit log; it is found.

Each test changes the store the way someone with the master key and a SQLite shell could (every
hash recomputed, the head moved to match), then checks ``audit verify``'s service against the
anchors kept off the workstation: an exported anchor file, a backup, the hub's acknowledgement.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from mentalspace_desktop.domain.audit_chain import GENESIS, entry_hash
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.audit import AuditFilter, AuditService, save_anchor
from mentalspace_desktop.services.backup import write_backup
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.integrity import check_audit_log
from mentalspace_desktop.store.audit_anchor import HUB_HEAD_KEY, record_hub_acknowledged
from mentalspace_desktop.store.models import AuditEntry, OutboxEntry, SyncState
from tests.factories import PracticeFixture

Rows = list[dict[str, Any]]


@pytest.fixture
def busy(practice: PracticeFixture) -> PracticeFixture:
    """A practice with some history: two clients registered and their charts opened, twice."""
    for last in ("Avery", "Brook"):
        client = practice.add_client(last=last, clinician="clinician")
        for _ in range(2):
            ClientService(practice.session_for("clinician")).open_chart(client.id)
    return practice


def view_a_client(p: PracticeFixture) -> None:
    """Something that appends an audit entry (opening a client's record)."""
    ClientService(p.admin).get(ClientService(p.admin).search("avery")[0].id)


def own_rows(p: PracticeFixture) -> Rows:
    with p.admin.store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.device_id == p.admin.store.device_id)
                            .order_by(AuditEntry.seq))
        return [audit._as_chain_dict(e) for e in entries]


def rewrite(p: PracticeFixture, change: Callable[[Rows], Rows]) -> None:
    """Replace this device's chain by ``change(rows)``, renumbered and rehashed, head moved to match."""
    device = p.admin.store.device_id
    with p.admin.store.engine.begin() as conn:
        raw = {r["id"]: dict(r) for r in conn.execute(
            text("SELECT * FROM audit_log WHERE device_id = :d"), {"d": device}).mappings()}
    rows = change(own_rows(p))
    prev = GENESIS
    with p.admin.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE device_id = :d"), {"d": device})
        for seq, row in enumerate(rows, start=1):
            row = {**row, "seq": seq, "prev_hash": prev}
            row["hash"] = prev = entry_hash(row, prev)
            stored = {**raw[row["id"]], **{k: v for k, v in row.items() if k != "at"}}
            columns = ", ".join(stored)
            conn.execute(text(f"INSERT INTO audit_log ({columns}) VALUES ({', '.join(':' + c for c in stored)})"),
                         stored)
        conn.execute(text("DELETE FROM sync_state WHERE key = 'audit_head'"))
        if rows:
            conn.execute(text("INSERT INTO sync_state (key, value) VALUES ('audit_head', :v)"),
                         {"v": f"{len(rows)}:{prev}"})


def reasons(p: PracticeFixture, *anchors: Path) -> list[str]:
    return [f.reason for f in check_audit_log(p.admin, anchors).findings]


def test_an_intact_log_matches_its_anchor(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = save_anchor(busy.admin, tmp_path / "anchor.json")
    view_a_client(busy)  # more entries after the anchor are fine
    check = check_audit_log(busy.admin, [anchor])
    assert check.ok and check.chains == 1 and check.anchors == [check.anchors[0]]
    assert "anchor.json" in check.anchors[0]
    assert busy.admin.store.get_state("audit_head")  # the anchor's own export was audited first
    assert AuditService(busy.admin).entries(AuditFilter(action="audit_anchor"))


def test_an_edited_entry_with_every_later_hash_recomputed(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = save_anchor(busy.admin, tmp_path / "anchor.json")
    rewrite(busy, lambda rows: [{**r, "summary": "nothing to see"} if r["seq"] == 3 else r for r in rows])
    assert reasons(busy) == []  # the store alone cannot tell: its own head was moved too
    found = reasons(busy, anchor)
    assert len(found) == 1 and "is not the one the anchor anchor.json" in found[0]


def test_every_entry_about_one_client_deleted_and_renumbered(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = save_anchor(busy.admin, tmp_path / "anchor.json")
    client_id = next(r["client_id"] for r in own_rows(busy) if r["client_id"])
    rewrite(busy, lambda rows: [r for r in rows if r["client_id"] != client_id])
    assert reasons(busy) == []
    found = reasons(busy, anchor)
    assert found and ("were removed" in found[0] or "is not the one" in found[0])


def test_the_tail_cut_with_the_head_moved_back(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = save_anchor(busy.admin, tmp_path / "anchor.json")
    total = len(own_rows(busy))
    rewrite(busy, lambda rows: rows[:-3])
    assert reasons(busy) == []
    assert reasons(busy, anchor) == [
        f"entries {total - 2} to {total} were removed: the anchor anchor.json of "
        f"{reasons_made_at(anchor)} holds entry {total}, the log ends at entry {total - 3}"]


def reasons_made_at(anchor: Path) -> str:
    return str(json.loads(anchor.read_text(encoding="utf-8"))["made_at"])


def test_the_whole_log_deleted_with_its_head(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = save_anchor(busy.admin, tmp_path / "anchor.json")
    rewrite(busy, lambda rows: [])
    found = reasons(busy, anchor)
    assert found and "the whole log is gone" in found[0]
    # The next sign-in starts a new chain at entry 1 (nobody is locked out); the anchor still sees the cut.
    view_a_client(busy)
    found = reasons(busy, anchor)
    assert found and "were removed" in found[0]


def test_a_forged_entry_under_another_device_id(busy: PracticeFixture) -> None:
    row = {"id": new_id(), "seq": 1, "at": "2025-06-01T10:00:00+00:00", "device_id": new_id(),
           "workstation": "FRONT-2", "user_id": busy.users["front_desk"], "username": "kevin", "action": "export",
           "record_type": "client", "record_id": None, "client_id": None, "summary": "230 clients to CSV"}
    digest = entry_hash(row, GENESIS)
    with busy.admin.store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (id, seq, at, device_id, workstation, user_id, username, action, record_type,"
            " record_id, client_id, summary, prev_hash, hash, deleted, updated_at) VALUES (:id, 1,"
            " '2025-06-01 10:00:00.000000', :device_id, 'FRONT-2', :user_id, 'kevin', 'export', 'client', NULL,"
            " NULL, '230 clients to CSV', :prev, :hash, 0, '2025-06-01 10:00:00.000000')"),
            {**row, "prev": GENESIS, "hash": digest})
    found = reasons(busy)  # no anchor needed: entries are never copied between workstations
    assert len(found) == 1
    assert "1 entries claim to come from workstation FRONT-2" in found[0] and "by hand" in found[0]


@pytest.mark.parametrize("damage", ["DELETE FROM sync_state WHERE key = 'audit_head'",
                                    "UPDATE sync_state SET value = 'garbled' WHERE key = 'audit_head'"])
def test_a_deleted_or_garbled_head_is_repaired_and_reported_not_a_lockout(busy: PracticeFixture,
                                                                          damage: str) -> None:
    with busy.admin.store.engine.begin() as conn:
        conn.execute(text(damage))
    view_a_client(busy)  # used to fail with IntegrityError on (device_id, seq)
    check = check_audit_log(busy.admin)
    assert check.ok
    assert len(check.warnings) == 1 and "was rebuilt from the log" in check.warnings[0]


def test_a_cut_tail_with_the_head_left_is_evidence_even_after_the_next_write(busy: PracticeFixture) -> None:
    total = len(own_rows(busy))
    with busy.admin.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > :n"), {"n": total - 2})
    assert "were removed" in reasons(busy)[0]
    view_a_client(busy)  # the next write repairs the head from the log...
    found = reasons(busy)
    assert len(found) == 1 and f"named entry {total}" in found[0]  # ...and the chain itself says what it found


def test_a_backup_carries_the_head_and_serves_as_an_anchor(busy: PracticeFixture, tmp_path: Path) -> None:
    backup = tmp_path / "practice.msbackup"
    write_backup(busy.admin, backup)
    assert reasons(busy, backup) == []
    rewrite(busy, lambda rows: rows[:-2])
    found = reasons(busy, backup)
    assert found and "were removed: the backup practice.msbackup" in found[0]


def test_the_head_the_hub_acknowledged_is_checked(busy: PracticeFixture) -> None:
    store = busy.admin.store
    with store.write() as s:  # as after a push the hub answered: every outbox entry so far is done
        entries = list(s.scalars(select(OutboxEntry)))
        for e in entries:
            e.status = "done"
        s.flush()
        record_hub_acknowledged(s, entries)
    acknowledged = store.get_state(HUB_HEAD_KEY)
    assert acknowledged and acknowledged.split(":")[1] == own_rows(busy)[-1]["hash"]
    check = check_audit_log(busy.admin)
    assert check.ok and check.anchors == ["the hub (the last entry it acknowledged)"]
    rewrite(busy, lambda rows: [{**r, "username": "someone"} if r["seq"] == 2 else r for r in rows])
    found = reasons(busy)
    assert found and "is not the one the hub (the last entry it acknowledged) holds" in found[0]


def test_an_anchor_from_another_store_is_refused(busy: PracticeFixture, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    anchor.write_text(json.dumps({"magic": "mentalspace-audit-anchor", "format": 1, "store_id": "other",
                                  "heads": {"d": {"seq": 1, "hash": "0"}}}), encoding="utf-8")
    with pytest.raises(ValidationError, match="another practice"):
        check_audit_log(busy.admin, [anchor])
    anchor.write_text("not json", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a MentalSpace audit anchor"):
        check_audit_log(busy.admin, [anchor])


def test_the_supervisor_sees_every_entry_about_their_teams_clients(busy: PracticeFixture) -> None:
    mine = busy.add_client(last="Teamclient", clinician="clinician")
    theirs = busy.add_client(last="Otherclient", clinician="other_clinician")
    ClientService(busy.session_for("front_desk")).get(mine.id)
    ClientService(busy.session_for("front_desk")).get(theirs.id)
    entries = AuditService(busy.session_for("supervisor")).entries(AuditFilter())
    seen = {(e.username, e.client_id) for e in entries}
    assert ("desk", mine.id) in seen and ("admin", mine.id) in seen  # whoever made them
    assert all(e.client_id != theirs.id for e in entries)
    assert not any(e.username == "desk" and e.client_id is None for e in entries)


def test_head_row_is_written_by_append(busy: PracticeFixture) -> None:
    with busy.admin.store.read() as s:
        head = s.get(SyncState, "audit_head")
    assert head is not None and head.value.split(":")[1] == own_rows(busy)[-1]["hash"]
