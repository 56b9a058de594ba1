"""The alert job on the hub: two runners make no duplicates, the alerts reach only the devices in
scope, and a push acknowledging someone else's alert is refused.

The seeded practice's staff have no HIPAA training on record, so every one of them is out of
compliance: one critical alert each, and (three clinicians affected) one escalation to the
administrator with no clinician, which only administrators receive.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.hub.jobs import Job, JobRunner, default_jobs
from mentalspace_desktop.hub.services import jobs as job_functions
from mentalspace_desktop.store.alert_models import Alert
from mentalspace_desktop.store.sync_models import ChangeLog
from tests.hub.conftest import HubFixture


def _alerts(hub: HubFixture) -> list[Alert]:
    with hub.session() as s:
        return list(s.scalars(select(Alert)))


def test_the_hub_runs_the_alert_job(hub: HubFixture) -> None:
    jobs = {job.name: job for job in default_jobs(hub.settings)}
    assert jobs["generate_alerts"].function is job_functions.generate_alerts


def test_two_runners_and_a_stray_run_create_no_duplicates(hub: HubFixture) -> None:
    job = Job("generate_alerts", timedelta(milliseconds=200), job_functions.generate_alerts)
    runners = [JobRunner(hub.ctx.engine, [job], tick=0.02, holder=f"runner-{i}") for i in range(2)]
    stop = threading.Event()

    def loop(runner: JobRunner) -> None:
        while not stop.is_set():
            runner.run_due()
            time.sleep(0.01)

    def stray() -> None:  # a run outside the lease (a retry, a manual run) at the same time
        with hub.session() as s:
            job_functions.generate_alerts(s)

    threads = [threading.Thread(target=loop, args=(r,)) for r in runners]
    threads += [threading.Thread(target=stray) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(30)
    alerts = _alerts(hub)
    open_keys = Counter(a.condition_key for a in alerts if a.resolved_at is None)
    assert open_keys and max(open_keys.values()) == 1, open_keys
    assert all(a.resolved_at is None for a in alerts)  # nothing opened twice and closed as a duplicate
    users = hub.users
    for key in ("admin", "supervisor", "clinician", "other_clinician", "billing", "front_desk"):
        assert f"hipaa_training_due:{users[key]}" in open_keys
    assert "escalation:compliance_to_administrator:practice" in open_keys
    with hub.session() as s:
        logged = set(s.scalars(select(ChangeLog.row_id).where(ChangeLog.table_name == "alerts")))
    assert logged == {a.id for a in alerts} and all(a.server_seq for a in alerts)


def _pulled_alerts(hub: HubFixture, user: str) -> dict[str, dict[str, Any]]:
    rows, _drops, _cursor = hub.device(user).pull_all()
    return {row_id: row for (table, row_id), row in rows.items() if table == "alerts"}


def test_alerts_reach_their_clinician_the_supervisor_and_the_administrator(hub: HubFixture) -> None:
    with hub.session() as s:
        job_functions.generate_alerts(s)
    users = hub.users
    about = {a.id: a.user_id for a in _alerts(hub)}
    mine = _pulled_alerts(hub, "clinician")
    assert set(mine) and {about[i] for i in mine} == {users["clinician"]}
    team = _pulled_alerts(hub, "supervisor")
    assert {about[i] for i in team} == {users["clinician"], users["supervisor"]}
    everything = _pulled_alerts(hub, "admin")
    assert set(everything) == set(about) and None in {about[i] for i in everything}
    assert _pulled_alerts(hub, "front_desk") == {} and _pulled_alerts(hub, "billing") == {}


def test_the_hub_refuses_acknowledging_another_clinicians_alert(hub: HubFixture) -> None:
    with hub.session() as s:
        job_functions.generate_alerts(s)
    alert = next(a for a in _alerts(hub) if a.user_id == hub.users["clinician"])
    ack = {"acknowledged_at": [None, "2026-11-30T09:00:00+00:00"]}
    other = hub.device("other_clinician")
    answer = other.push(other.change("alerts", alert.id, {**ack, "acknowledged_by": [None, other.user_id]},
                                     base=alert.server_seq))
    assert [r["outcome"] for r in answer["results"]] == ["rejected"], answer
    own = hub.device("clinician")
    answer = own.push(own.change("alerts", alert.id, {"severity": [alert.severity, "info"]}, base=alert.server_seq))
    assert [r["outcome"] for r in answer["results"]] == ["rejected"], answer  # only the job grades alerts
    answer = own.push(own.change("alerts", alert.id, {**ack, "acknowledged_by": [None, other.user_id]},
                                 base=alert.server_seq))
    assert [r["outcome"] for r in answer["results"]] == ["rejected"], answer  # in their own name only
    answer = own.push(own.change("alerts", alert.id, {**ack, "acknowledged_by": [None, own.user_id]},
                                 base=alert.server_seq))
    assert [r["outcome"] for r in answer["results"]] == ["applied"], answer
    boss = hub.device("supervisor")
    answer = boss.push(boss.change("alerts", alert.id, {"resolved_at": [None, "2026-11-30T09:05:00+00:00"],
                                                        "resolved_by": [None, boss.user_id]}))
    assert [r["outcome"] for r in answer["results"]] == ["merged"], answer  # over the clinician's acknowledgement
    resolved = next(a for a in _alerts(hub) if a.id == alert.id)
    assert (resolved.acknowledged_by, resolved.resolved_by) == (own.user_id, boss.user_id)
