"""The hub as witness of each workstation's audit chain: it keeps the head and refuses rewrites.

Someone who can open a workstation's store can rewrite its audit log and recompute every hash, but
not what the hub already holds: each pushed entry must continue the hub's head for that device
exactly, or it is refused and recorded as an alert.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mentalspace_desktop.domain.audit_chain import GENESIS, entry_hash
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.sync_models import AuditChainAlert, AuditChainHead
from tests.hub.conftest import DeviceClient, HubFixture


def entry(desk: DeviceClient, seq: int, prev: str, *, device_id: str | None = None,
          **fields: Any) -> dict[str, Any]:
    """An audit entry as the workstation writes it: hashed under its own device id."""
    row: dict[str, Any] = {
        "id": new_id(), "seq": seq, "at": f"2025-01-02T03:04:{seq % 60:02d}+00:00", "workstation": "desk-1",
        "user_id": desk.user_id, "username": "front.desk", "action": "open_chart", "record_type": "client",
        "record_id": None, "client_id": None, "summary": f"entry {seq}", **fields,
    }
    row["prev_hash"] = prev
    row["hash"] = entry_hash({**row, "device_id": device_id or desk.device_id}, prev)
    row["deleted"] = False
    return row


def chain(desk: DeviceClient, n: int, start: int = 1, prev: str = GENESIS, **fields: Any) -> list[dict[str, Any]]:
    rows = []
    for seq in range(start, start + n):
        rows.append(entry(desk, seq, prev, **fields))
        prev = rows[-1]["hash"]
    return rows


def push(desk: DeviceClient, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(desk.push(*(desk.insert("audit_log", row) for row in rows))["results"])


def head(hub: HubFixture, desk: DeviceClient) -> tuple[int, str] | None:
    with hub.session() as s:
        found = s.get(AuditChainHead, desk.device_id)
        return (found.seq, found.hash) if found else None


def alerts(hub: HubFixture, desk: DeviceClient) -> list[str]:
    with hub.session() as s:
        return list(s.scalars(select(AuditChainAlert.reason).where(AuditChainAlert.device_id == desk.device_id)))


def test_a_chain_pushed_in_order_is_kept_and_its_head_advances(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    rows = chain(desk, 5)
    assert [r["outcome"] for r in push(desk, rows[:2])] == ["applied", "applied"]
    assert [r["outcome"] for r in push(desk, rows[2:])] == ["applied"] * 3
    assert head(hub, desk) == (5, rows[-1]["hash"])
    assert push(desk, rows[:1])[0]["outcome"] == "duplicate"  # a resent entry is no rewrite
    assert alerts(hub, desk) == []


def test_an_entry_rewritten_with_later_hashes_recomputed_is_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    rows = chain(desk, 4)
    push(desk, rows)
    # The log edited at entry 3 and every later hash recomputed, then pushed again as new entries.
    forged = chain(desk, 2, start=3, prev=rows[1]["hash"], summary="nothing to see")
    answers = push(desk, forged)
    assert [a["outcome"] for a in answers] == ["rejected", "rejected"]
    assert "already on the hub" in answers[0]["reason"]
    assert head(hub, desk) == (4, rows[-1]["hash"])
    assert len(alerts(hub, desk)) == 2


def test_a_log_deleted_and_renumbered_from_one_is_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    push(desk, chain(desk, 3))
    answers = push(desk, chain(desk, 2, summary="a fresh start"))
    assert {a["outcome"] for a in answers} == {"rejected"}
    assert alerts(hub, desk)


def test_a_gap_or_a_broken_link_or_a_wrong_hash_is_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    rows = chain(desk, 2)
    push(desk, rows)
    gap = entry(desk, 4, rows[-1]["hash"])
    assert "missing" in push(desk, [gap])[0]["reason"]
    unlinked = entry(desk, 3, "f" * 64)
    assert "does not follow" in push(desk, [unlinked])[0]["reason"]
    tampered = {**entry(desk, 3, rows[-1]["hash"]), "summary": "edited after hashing"}
    assert "its own hash" in push(desk, [tampered])[0]["reason"]
    assert head(hub, desk) == (2, rows[-1]["hash"])
    assert len(alerts(hub, desk)) == 3
    good = entry(desk, 3, rows[-1]["hash"])
    assert push(desk, [good])[0]["outcome"] == "applied"  # the honest next entry still goes in


def test_an_entry_forged_under_another_workstations_id_is_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    other = hub.device("admin")
    # In the desk person's own name (signed by them: naming anyone else is refused before this).
    forged = entry(desk, 1, GENESIS, device_id=other.device_id, action="export", summary="230 clients to CSV")
    answer = push(desk, [forged])[0]  # the hub stamps the pushing device: the hash cannot match
    assert answer["outcome"] == "rejected" and "its own hash" in answer["reason"]
    assert head(hub, other) is None


def test_an_entry_pushed_again_under_its_id_with_other_contents_is_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    rows = chain(desk, 2)
    push(desk, rows)
    edited = {**rows[0], "summary": "nothing to see"}
    edited["hash"] = entry_hash({**edited, "device_id": desk.device_id}, GENESIS)
    answer = push(desk, [edited])[0]
    assert answer["outcome"] == "rejected" and "already on the hub" in answer["reason"]
    assert len(alerts(hub, desk)) == 1
    assert head(hub, desk) == (2, rows[-1]["hash"])
