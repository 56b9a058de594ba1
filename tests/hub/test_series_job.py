"""The open-ended series job on the hub: two runners, one run; the sessions it books are numbered
like any push's and reach the workstations."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub.jobs import Job, JobRunner, default_jobs
from mentalspace_desktop.hub.services import jobs as job_functions
from mentalspace_desktop.store.scheduling_models import Appointment, BusyBlock
from mentalspace_desktop.store.sync_models import ChangeLog, JobRun
from tests.hub.conftest import HubFixture, client_row
from tests.hub.test_schedule_covering import _type
from tests.hub.test_schedule_scopes import outcomes


def test_two_runners_extend_an_open_series_once(hub: HubFixture) -> None:
    assert "extend_open_series" in {job.name for job in default_jobs(hub.settings)}
    desk, admin = hub.device("front_desk"), hub.device("admin")
    type_id = _type(admin)
    client = client_row(clinician=hub.users["clinician"], last="Weekly")
    start = (datetime.now() - timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
    series = {"id": new_id(), "client_id": client["id"], "provider_id": hub.users["clinician"], "type_id": type_id,
              "rrule": "FREQ=WEEKLY", "start_local": start.isoformat(), "minutes": 50,
              "time_zone": "America/New_York", "exdates": "[]", "status": "active", "telehealth": False,
              "deleted": False}
    assert set(outcomes(desk.push(desk.insert("clients", client),
                                  desk.insert("appointment_series", series)))) == {"applied"}

    job = Job("extend_open_series", timedelta(hours=24), job_functions.extend_open_series)
    runners = [JobRunner(hub.ctx.engine, [job], holder=f"runner-{i}") for i in range(2)]
    ran: list[int] = []
    threads = [threading.Thread(target=lambda r=r: ran.append(r.run_due())) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(ran) == [0, 1]
    assert [r.run_due() for r in runners] == [0, 0]  # not due again for a day
    with hub.session() as s:
        runs = list(s.scalars(select(JobRun).where(JobRun.name == "extend_open_series")))
        booked = list(s.scalars(select(Appointment).where(Appointment.series_id == series["id"])))
        twins = s.scalar(select(func.count()).select_from(BusyBlock).where(
            BusyBlock.id.in_([a.id for a in booked])))
        logged = s.scalar(select(func.count()).select_from(ChangeLog).where(
            ChangeLog.table_name == "appointments", ChangeLog.row_id.in_([a.id for a in booked])))
    assert len(runs) == 1 and runs[0].ok and runs[0].detail.startswith(f"booked {len(booked)} session(s)")
    assert 50 <= len(booked) <= 54  # weekly, a year ahead from today
    assert len({a.occurrence_date for a in booked}) == len(booked) and twins == len(booked) == logged
    assert all(a.server_seq is not None and a.start_local.hour == 10 for a in booked)
    # The workstations receive them like any booking.
    rows, _, _ = desk.pull_all()
    assert sum(1 for (table, _i) in rows if table == "appointments") == len(booked)
    # Run again another day: nothing more to book (the year ahead is full).
    assert job_functions.extend_open_series(hub.session()).startswith("booked 0 session(s)")
