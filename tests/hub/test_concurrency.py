"""Concurrent pushes (threads, one session each) give a gap-free, ordered change log and lose no row;
a puller running alongside never skips a change (it reads only below the committed watermark)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub.services import pull, push
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.sync_models import ChangeLog
from tests.hub.conftest import HubFixture, client_row

WRITERS, BATCHES, PER_BATCH = 6, 5, 4


def test_concurrent_pushes_are_gap_free_and_ordered(hub: HubFixture) -> None:
    devices = [hub.device("front_desk") for _ in range(WRITERS)]
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
                    outcome = push.push(session, principal, changes)
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
