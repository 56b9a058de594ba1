"""Applying pulled pages: checkpoints are all or nothing, pending local edits stay on top."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update

from mentalspace_desktop.store.models import Client, Insurance, OutboxEntry
from mentalspace_desktop.store.outbox import row_dict
from mentalspace_desktop.sync import apply, state
from mentalspace_desktop.sync.apply import apply_page, finish_snapshot
from mentalspace_desktop.sync.protocol import Cursor
from tests.factories import PracticeFixture


def client_row(practice: PracticeFixture, chart: str, last: str, **extra: Any) -> dict[str, Any]:
    from mentalspace_desktop.domain.ids import new_id

    row = {"id": new_id(), "chart_number": chart, "first_name": "Remote", "last_name": last,
           "dob": "1990-02-03", "status": "active", "last_key": last.lower(), "first_key": "remote",
           "preferred_language": "English", "deleted": False, "uses_telehealth": False,
           "updated_at": "2025-01-02T03:04:05+00:00", "updated_by": practice.users["admin"],
           "device_id": "another-device", "primary_clinician_id": None}
    row.update(extra)
    return row


def page(rows: list[dict[str, Any]], seq: int, *, table: str = "clients", more: bool = False,
         drops: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"rows": [{"table": table, "row_id": r["id"], "server_seq": seq - len(rows) + i + 1, "row": r}
                     for i, r in enumerate(rows)],
            "drops": drops or [], "cursor": Cursor("e1", seq).encode(), "more": more, "epoch": "e1",
            "watermark": seq}


def count(practice: PracticeFixture, model: Any) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_page_and_its_cursor_land_together(practice: PracticeFixture) -> None:
    store = practice.admin.store
    outbox = count(practice, OutboxEntry)
    rows = [client_row(practice, f"HUB-{i}", f"Hubrow{i}", unknown_future_column=1) for i in range(3)]
    tally = apply_page(store, page(rows, 3))
    assert (tally.new, tally.updated, tally.unchanged) == (3, 0, 0)
    assert Cursor.decode(state.current_cursor(store)).seq == 3
    assert store.get_state(state.EPOCH) == "e1"
    assert count(practice, OutboxEntry) == outbox  # pulled rows are never pushed back
    with store.read() as s:
        got = s.get(Client, rows[0]["id"])
    assert got is not None and got.dob == date(1990, 2, 3) and got.server_seq == 1
    assert got.device_id == "another-device"  # the hub's stamps, not this device's
    again = apply_page(store, page(rows, 3))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    changed = dict(rows[1], city="Valdosta")
    assert apply_page(store, page([changed], 4)).updated == 1


def test_a_crash_inside_a_page_leaves_neither_rows_nor_cursor(practice: PracticeFixture,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store = practice.admin.store
    apply_page(store, page([client_row(practice, "HUB-0", "Before")], 1))
    before_cursor = state.current_cursor(store)
    before = count(practice, Client)
    real = apply.apply_row
    calls = {"n": 0}

    def dies_on_the_third_row(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(apply, "apply_row", dies_on_the_third_row)
    rows = [client_row(practice, f"HUB-{i}", f"Half{i}") for i in range(1, 6)]
    with pytest.raises(OSError):
        apply_page(store, page(rows, 6))
    assert count(practice, Client) == before
    assert state.current_cursor(store) == before_cursor
    monkeypatch.setattr(apply, "apply_row", real)
    assert apply_page(store, page(rows, 6)).new == 5  # resuming applies the whole page
    assert count(practice, Client) == before + 5


def test_pending_local_edits_stay_on_top_of_a_pulled_row(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client = practice.add_client(last="Okafor", city="Athens")
    with store.write() as s:  # as if everything so far had been pushed
        s.execute(update(OutboxEntry).values(status="done"))
    with store.write(practice.users["admin"]) as s:
        s.get(Client, client.id).city = "Savannah"  # type: ignore[union-attr]
    with store.read() as s:
        remote = row_dict(s.get(Client, client.id))
    remote.update(city="Augusta", phone_home="4785550100", server_seq=50)
    tally = apply_page(store, page([remote], 50))
    assert tally.updated == 1
    with store.read() as s:
        row = s.get(Client, client.id)
    assert row is not None
    assert row.city == "Savannah"  # waiting to be pushed: the hub merges it later
    assert row.phone_home == "4785550100"  # fields nobody here touched take the hub's value
    assert row.server_seq == 50


def test_a_dropped_client_leaves_with_its_insurance_but_its_outbox_stays(practice: PracticeFixture) -> None:
    store = practice.admin.store
    from mentalspace_desktop.services.clients import InsuranceInput

    insurance = InsuranceInput(payer_name="Aetna", member_id="W1")
    client = practice.add_client(last="Okafor", primary_insurance=insurance)
    assert count(practice, Insurance) == 1
    outbox = count(practice, OutboxEntry)
    tally = apply_page(store, page([], 60, drops=[{"table": "clients", "row_id": client.id}]))
    assert tally.dropped == 1
    assert count(practice, Insurance) == 0
    with store.read() as s:
        assert s.get(Client, client.id) is None
    assert count(practice, OutboxEntry) == outbox  # edits made here are still there to be pushed


def test_a_fresh_snapshot_removes_what_the_hub_no_longer_has(practice: PracticeFixture) -> None:
    store = practice.admin.store
    kept = client_row(practice, "HUB-1", "Kept")
    gone = client_row(practice, "HUB-2", "Gone")
    apply_page(store, page([kept, gone], 2))
    with store.write() as s:
        state.put(s, state.RESNAPSHOT, "1")
    with store.read() as s:  # everything else this store holds is in the hub's snapshot too
        others = [(t, i) for t, m in apply.MODELS.items() if t != "audit_log"
                  for (i,) in s.execute(select(m.id))]
    rest = [{"table": t, "row_id": i, "server_seq": 1, "row": {}} for t, i in others if i != gone["id"]]
    first = {"rows": rest[: len(rest) // 2], "drops": [], "cursor": Cursor("e2", 1).encode(), "more": True,
             "epoch": "e2"}
    second = {"rows": rest[len(rest) // 2:], "drops": [], "cursor": Cursor("e2", 2).encode(), "more": False,
              "epoch": "e2"}
    apply_page(store, first, snapshot_page=0)
    apply_page(store, second, snapshot_page=1)
    pending_client = practice.add_client(last="Offline")  # never pushed: must survive
    assert finish_snapshot(store) == 1
    with store.read() as s:
        assert s.get(Client, gone["id"]) is None
        assert s.get(Client, kept["id"]) is not None
        assert s.get(Client, pending_client.id) is not None
    assert store.get_state(state.RESNAPSHOT) is None
