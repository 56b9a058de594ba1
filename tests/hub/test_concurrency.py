"""Concurrent pushes (threads, one session each) give a gap-free, ordered change log and lose no row;
a puller running alongside never skips a change (it reads only below the committed watermark)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services import pull, push
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.sync_models import ChangeLog, Conflict
from tests.hub.conftest import HubFixture, client_row

WRITERS, BATCHES, PER_BATCH = 6, 5, 4


def test_concurrent_pushes_are_gap_free_and_ordered(hub: HubFixture) -> None:
    devices = [hub.device("front_desk") for _ in range(WRITERS)]
    for device in devices:
        device.signer(device.user_id)  # registered up front: the writers below only sign
    reader = hub.device("admin")
    sessions = hub.ctx.sessions
    errors: list[BaseException] = []
    shared = client_row(last="Shared")
    devices[0].push(devices[0].insert("clients", shared))
    done = threading.Event()
    pulled: set[str] = set()

    def writer(index: int) -> None:
        device = devices[index]
        principal = Principal(device.user_id, "front.desk", Role.FRONT_DESK, device.device_id, "approved")
        try:
            for _ in range(BATCHES):
                changes = [device.insert("clients", client_row(last=f"W{index}")) for _ in range(PER_BATCH)]
                changes.append(
                    device.change("clients", shared["id"], {"city": [None, f"city-{index}"]}, base=None)
                )
                with sessions() as session:
                    outcome = push.push(session, principal, [device.signed(c) for c in changes])
                assert all(r["outcome"] in ("applied", "merged", "conflict") for r in outcome.results), (
                    outcome
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def puller() -> None:
        principal = Principal(reader.user_id, "admin", Role.ADMIN, reader.device_id, "approved")
        cursor = ""
        try:
            while True:
                finished = done.is_set()
                with sessions() as session:
                    page = pull.pull(session, principal, cursor, 50)
                pulled.update(r["row_id"] for r in page.rows if r["table"] == "clients")
                cursor = page.cursor
                if finished and not page.more:
                    return
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    reading = threading.Thread(target=puller)
    reading.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    reading.join(60)
    assert errors == []
    with hub.session() as s:
        seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
        clients = set(s.scalars(select(Client.id)))
        top = s.scalar(select(func.max(Client.server_seq)))
    assert seqs == list(range(1, len(seqs) + 1))  # no gaps, no duplicates
    assert len(clients) == 1 + WRITERS * BATCHES * PER_BATCH  # no lost rows
    assert top <= seqs[-1]
    assert pulled == clients  # the concurrent puller saw every row


def test_concurrent_edits_of_the_same_rows_lose_no_update(hub: HubFixture) -> None:
    """Threads push edits of the same two rows, in opposite orders within their batches.

    Replaying the writes in number order proves the pushes were serialised on each row: every change
    either started from the value the hub held just before it (merged) or is recorded as a conflict
    against exactly that value; the row ends with the last value written; nothing deadlocks.
    """
    devices = [hub.device("front_desk") for _ in range(WRITERS)]
    for device in devices:
        device.signer(device.user_id)  # registered up front: the writers below only sign
    rows = [client_row(last="SharedA", city="start"), client_row(last="SharedB", city="start")]
    devices[0].push(*(devices[0].insert("clients", row) for row in rows))
    sessions = hub.ctx.sessions
    errors: list[BaseException] = []
    pushed: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (change, its result)
    lock = threading.Lock()

    def writer(index: int) -> None:
        device = devices[index]
        principal = Principal(device.user_id, "front.desk", Role.FRONT_DESK, device.device_id, "approved")
        seen = {row["id"]: "start" for row in rows}  # the value this device last wrote to each row
        order = rows if index % 2 else rows[::-1]
        try:
            for round_ in range(BATCHES):
                changes = []
                for row in order:
                    value = f"w{index}-r{round_}"
                    changes.append(device.change("clients", row["id"], {"city": [seen[row["id"]], value]}))
                    seen[row["id"]] = value
                with sessions() as session:
                    outcome = push.push(session, principal, [device.signed(c) for c in changes])
                with lock:
                    pushed.extend(zip(changes, outcome.results, strict=True))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(pushed) == WRITERS * BATCHES * len(rows)
    with hub.session() as s:
        for row in rows:
            mine = [(c, r) for c, r in pushed if c["row_id"] == row["id"]]
            assert all(r["outcome"] in ("merged", "conflict") for _, r in mine), mine
            current = "start"
            for change, result in sorted(mine, key=lambda item: item[1]["server_seq"]):
                old, new = change["changes"]["city"]
                if result["outcome"] == "merged":
                    assert old == current  # it was merged against the value the hub really held
                else:
                    clash = s.scalars(select(Conflict).where(Conflict.change_id == change["change_id"])).one()
                    assert clash.hub_value == repo.dumps(current)  # recorded against that same value
                current = new
            assert s.get(Client, row["id"]).city == current  # the last write is what the row holds
            logged = s.scalars(select(ChangeLog.seq).where(ChangeLog.row_id == row["id"])).all()
            assert len(logged) == 1 + len(mine)  # the insert and one numbered write per change
        seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_batch_redone_after_a_bad_change_numbers_each_write_once(hub: HubFixture) -> None:
    """A constraint failure redoes the batch with a savepoint per write: no gap, no double entry."""
    desk = hub.device("front_desk")
    good = [client_row(last=f"Good{i}") for i in range(3)]
    orphan = {"id": new_id(), "client_id": new_id(), "rank": 1, "payer_name": "Aetna", "member_id": "X1"}
    answer = desk.push(
        desk.insert("clients", good[0]),
        desk.insert("insurances", orphan),  # its client does not exist: only the database knows
        desk.insert("clients", good[1]),
        desk.change("clients", good[0]["id"], {"city": [None, "Macon"]}),
        desk.insert("clients", good[2]),
    )
    outcomes = [r["outcome"] for r in answer["results"]]
    assert outcomes == ["applied", "rejected", "applied", "merged", "applied"]
    with hub.session() as s:
        seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
        assert seqs == list(range(1, len(seqs) + 1))
        logged = {
            row["id"]: list(s.scalars(select(ChangeLog.seq).where(ChangeLog.row_id == row["id"])))
            for row in good
        }
        assert not s.scalars(select(ChangeLog).where(ChangeLog.row_id == orphan["id"])).all()
        assert s.get(Client, good[0]["id"]).city == "Macon"
        assert s.get(Client, good[0]["id"]).server_seq == answer["results"][3]["server_seq"]
    assert logged[good[0]["id"]] == [answer["results"][0]["server_seq"], answer["results"][3]["server_seq"]]
    assert logged[good[1]["id"]] == [answer["results"][2]["server_seq"]]
    assert logged[good[2]["id"]] == [answer["results"][4]["server_seq"]]
