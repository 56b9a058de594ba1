"""The outbox as pushed, and what the hub's answers do to it (no hub needed)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from mentalspace_desktop.store.models import Client, OutboxEntry
from mentalspace_desktop.sync import protocol
from mentalspace_desktop.sync.outbox_reader import (
    PushTally,
    pending_batch,
    pending_count,
    record_results,
    rejections,
    to_change,
)
from tests.factories import PracticeFixture


def _outbox_size(practice: PracticeFixture) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


def test_entries_become_changes_in_device_order(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician", last="Okafor")
    batch = pending_batch(practice.admin.store, limit=1000)
    assert [e.device_seq for e in batch] == sorted(e.device_seq for e in batch)
    insert = next(e for e in batch if e.table_name == "clients" and e.row_id == client.id)
    change = to_change(insert)
    assert change["op"] == "insert" and change["table"] == "clients" and change["row_id"] == client.id
    assert change["base_server_seq"] is None
    assert change["changes"]["last_name"] == [None, "Okafor"]
    assert change["schema_version"] == practice.admin.store.schema_version
    assert set(change) == set(protocol.Change.__annotations__)
    json.dumps(change)  # goes on the wire as is
    assert len(pending_batch(practice.admin.store, limit=3)) == 3


def test_an_update_carries_old_and_new_values_and_its_base(practice: PracticeFixture) -> None:
    client = practice.add_client(last="Okafor")
    store = practice.admin.store
    with store.write() as s:  # as if a pull had given the row its server sequence
        s.info["applying_remote"] = True
        s.get(Client, client.id).server_seq = 41  # type: ignore[union-attr]
    with store.write(practice.users["admin"]) as s:
        s.get(Client, client.id).city = "Macon"  # type: ignore[union-attr]
    change = to_change(pending_batch(store, limit=10_000)[-1])
    assert change["op"] == "update" and change["base_server_seq"] == 41
    assert change["changes"] == {"city": [None, "Macon"]}


def test_results_mark_entries_and_apply_the_hubs_row_without_echo(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client = practice.add_client(last="Okafor", city="Athens")
    batch = pending_batch(store, limit=10_000)
    insert = next(e for e in batch if e.table_name == "clients" and e.row_id == client.id)
    others = [e for e in batch if e is not insert]
    hub_row = {**json.loads(insert.row), "city": "Atlanta", "server_seq": 900}
    results = [{"device_seq": insert.device_seq, "change_id": insert.change_id, "outcome": "merged",
                "server_seq": 900, "row": hub_row}]
    results += [{"device_seq": e.device_seq, "change_id": e.change_id, "outcome": "duplicate"}
                for e in others[:-1]]
    rejected = others[-1]
    results.append({"device_seq": rejected.device_seq, "change_id": rejected.change_id, "outcome": "rejected",
                    "reason": "this note is signed and can no longer change; add an addendum instead"})
    size = _outbox_size(practice)
    tally = PushTally()
    record_results(store, batch, {"results": results, "last_device_seq": batch[-1].device_seq}, tally)

    assert _outbox_size(practice) == size  # applying the hub's row queued nothing new
    assert pending_count(store) == 0
    with store.read() as s:
        row = s.get(Client, client.id)
        statuses = dict(s.execute(select(OutboxEntry.device_seq, OutboxEntry.status)).all())
    assert row is not None and row.city == "Atlanta" and row.server_seq == 900
    assert statuses[rejected.device_seq] == "rejected"
    assert {v for k, v in statuses.items() if k != rejected.device_seq} == {"done"}
    assert tally.pushed == len(batch) and tally.rejected == 1 and tally.applied == 1
    listed = rejections(store)
    assert [r.change_id for r in listed] == [rejected.change_id]
    assert "addendum" in listed[0].reason


def test_an_unanswered_entry_stays_pending(practice: PracticeFixture) -> None:
    store = practice.admin.store
    batch = pending_batch(store, limit=2)
    first = batch[0]
    record_results(store, batch, {"results": [{"device_seq": first.device_seq, "change_id": first.change_id,
                                               "outcome": "applied", "server_seq": 5}]}, PushTally())
    assert pending_batch(store, limit=1)[0].device_seq == batch[1].device_seq


def test_a_later_pending_edit_survives_the_hubs_row_for_an_earlier_one(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client = practice.add_client(last="Okafor")
    with store.write(practice.users["admin"]) as s:
        s.get(Client, client.id).phone_mobile = "4045550101"  # type: ignore[union-attr]
    batch = [e for e in pending_batch(store, limit=10_000) if e.row_id == client.id and e.op == "insert"]
    hub_row = {**json.loads(batch[0].row), "phone_mobile": None}
    result = {"device_seq": batch[0].device_seq, "change_id": batch[0].change_id, "outcome": "applied",
              "server_seq": 7, "row": hub_row}
    record_results(store, batch, {"results": [result]}, PushTally())
    with store.read() as s:
        row = s.get(Client, client.id)
    assert row is not None and row.phone_mobile == "4045550101" and row.server_seq == 7
