"""A pull page may end between a row and the row it refers to (issue 10, several workstations).

A colleague's visit given to a covering clinician reaches that clinician's devices with the client's
demographics row, but the hub logs the client (a re-scope) after the visit itself, so a small page
ends right after the visit. The workstation must neither fail the page on the missing client nor
lose the visit: it keeps the visit aside and applies it when its client arrives.

Through a real hub process, on SQLite and (when MENTALSPACE_TEST_PG_URL is set) on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentStatusChange
from mentalspace_desktop.sync import parked
from tests.sync.hubproc import HUB_APP
from tests.sync.test_continuity import world  # noqa: F401  (the same hubs: SQLite and PostgreSQL)
from tests.sync.test_end_to_end import World
from tests.sync.test_schedule_end_to_end import NOW, TUE10, book, set_up, synced

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]


def test_a_covered_visit_survives_a_page_that_ends_before_its_client(world: World) -> None:  # noqa: F811
    admin = world.desk("admin")
    ids = set_up(admin)
    desk = world.desk("front_desk")
    synced(desk)
    laptop = world.desk("clinician")
    synced(laptop)
    visit = book(desk, ids, "oclin", "theirs")
    synced(desk)
    synced(laptop)
    with laptop.session.store.read() as s:
        assert s.get(Appointment, visit) is None and s.get(Client, ids["theirs"]) is None

    # The colleague is away: the front desk gives the visit to the covering clinician.
    AppointmentService(desk.session, now=lambda: NOW).move(visit, TUE10, provider_id=ids["clin"])
    synced(desk)
    # The hub numbered the visit before the client's re-scope entry: one row per page puts the
    # boundary between them.
    visit_seq = int(world.hub.sql("SELECT server_seq FROM appointments WHERE id = :i", i=visit)[0][0])
    client_logged = max(int(r[0]) for r in world.hub.sql(
        "SELECT seq FROM change_log WHERE table_name = 'clients' AND row_id = :i", i=ids["theirs"]))
    assert client_logged > visit_seq

    pages: list[int] = []
    report = laptop.sync(page_size=1, progress=lambda p: pages.append(p.pages))
    assert report.ok, report.log_line()
    assert report.pages >= 2
    with laptop.session.store.read() as s:
        row = s.get(Appointment, visit)
        assert row is not None and row.provider_id == ids["clin"] and row.client_id == ids["theirs"]
        client = s.get(Client, ids["theirs"])
        assert client is not None and client.last_name == "Zebulonsky"
        assert s.query(AppointmentStatusChange).filter_by(appointment_id=visit).count() >= 1
    assert parked.count(laptop.session.store) == 0  # nothing left waiting for a parent
    item = AppointmentService(laptop.session, now=lambda: NOW).get(visit)
    assert item.client_name.startswith("Zebulonsky")

    # The covering clinician confirms the visit; the front desk sees it.
    AppointmentService(laptop.session, now=lambda: NOW).confirm(visit)
    synced(laptop)
    synced(desk)
    assert AppointmentService(desk.session, now=lambda: NOW).get(visit).status == "confirmed"

    # Given back, page by page: the visit and the client leave the covering clinician's store.
    AppointmentService(desk.session, now=lambda: NOW).move(visit, datetime(2026, 3, 3, 10), provider_id=ids["oclin"])
    synced(desk)
    report = laptop.sync(page_size=1)
    assert report.ok, report.log_line()
    with laptop.session.store.read() as s:
        assert s.get(Appointment, visit) is None and s.get(Client, ids["theirs"]) is None
    assert parked.count(laptop.session.store) == 0
