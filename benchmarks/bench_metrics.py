"""All metrics for 100 clinicians over one month, from a store holding 1,000,000 appointments.

Builds an encrypted practice store, bulk-inserts 100 clinicians, their clients, six years of
appointments (1,000,000 by default) and a note for every kept session, then times:

- ``metrics.compute`` for every clinician and every metric over one month (what a dashboard does:
  its independent reads two at a time, on connections of their own), and the same with the reads one
  after another (``at_once=False``), in wall time and in this process's CPU time;
- the limit: one bare SQL pass over that month's appointment rows (goal: compute <= 3x this),
  timed taking turns with the two above, so that all three see the same machine;
- the per-clinician approach: each metric for each clinician with its own queries
  (``compute(..., clinician=X, metric_ids=[m])``), timed on a sample of clinicians and scaled to
  all of them (goal: compute >= 20x faster);
- the dashboard's update after one appointment's status changes (``refresh_clinician``: that
  clinician measured again, totals re-summed) against recomputing the whole dashboard.

    .venv/bin/python benchmarks/bench_metrics.py [--appointments 1000000] [--sample 10] [--store DIR]

Building a million appointments takes about a quarter of an hour; ``--store DIR`` keeps the built
store in DIR and reuses it on later runs (it is built there when DIR holds none). Such a store is
bench data only: its administrator signs in as ``admin`` with the password :data:`BENCH_PASSWORD`
below and the one-time code worked out from the secret kept in the store itself, and ``DIR/built.json``
records what was built, so a run asking for another size refuses to reuse it instead of measuring
the wrong thing. A store kept from an earlier version is migrated when it is opened (migration 0023
fills the per-clinician day totals the appointment metrics are summed from, 0024 the rows of notes
with their sessions: about 6 s each here; 0026 the kept sessions with what follows each for its
client, read by the rebook rate and the video clients, and the note rows again with the notes
without a session: some 45 s on a busy two-core machine).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
from sqlalchemy import insert, text

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services import dashboards, metrics, totp
from mentalspace_desktop.services.accounts import Authenticator, HubPendingSignIn, NewUser
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KdfParams
from mentalspace_desktop.store.models import Client, Note, User
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType

ET = ZoneInfo("America/New_York")
MONTH = Period(date(2026, 10, 1), date(2026, 10, 31))
TODAY = date(2026, 11, 20)
STATUSES = ["completed"] * 80 + ["no_show"] * 8 + ["cancelled"] * 10 + ["rescheduled"] * 2
GOAL_LIMIT, GOAL_SEEDS = 3.0, 20.0
BENCH_PASSWORD = "Quiet-Maple-Orchard-17"  # a throw-away bench store's administrator, not a secret
CHEAP_KDF = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)  # key slots are not measured


def build(session: UserSession, clinicians: int, appointments: int, seed: int = 5) -> None:
    rnd = random.Random(seed)
    store = session.store
    with store.engine.begin() as conn:
        users = [{"id": new_id(), "username": f"clin{i:03d}", "full_name": f"Clinician {i:03d}", "role": "clinician",
                  "password_hash": "x", "active": True, "deleted": False, "must_change_password": False,
                  "hipaa_training_on": date(2026, 1, 1)} for i in range(clinicians)]
        conn.execute(insert(User), users)
        type_id = new_id()
        conn.execute(insert(AppointmentType), [{"id": type_id, "name": "Individual", "category": "individual",
                                                "default_minutes": 50, "deleted": False}])
        clients: dict[str, list[str]] = {}
        rows = []
        for u in users:
            ids = [new_id() for _ in range(40)]
            clients[str(u["id"])] = ids
            rows += [{"id": cid, "chart_number": cid[-12:], "first_name": "A", "last_name": "B",
                      "dob": date(1980, 1, 1), "status": "active", "preferred_language": "English",
                      "uses_telehealth": False, "deleted": False, "primary_clinician_id": u["id"],
                      "last_key": "b", "first_key": "a"} for cid in ids]
        conn.execute(insert(Client), rows)
        start = datetime(2020, 11, 2, 9, tzinfo=ET)
        weeks = 6 * 52
        per_week = max(1, appointments // (clinicians * weeks))
        batch: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        made = 0
        for week in range(weeks):
            for u in users:
                for k in range(per_week):
                    if made >= appointments:
                        break
                    day = start + timedelta(weeks=week, days=k % 5, hours=k // 5)
                    at = day.astimezone(UTC)
                    status = rnd.choice(STATUSES)
                    appt_id = new_id()
                    client = rnd.choice(clients[str(u["id"])])
                    batch.append({"id": appt_id, "client_id": client, "provider_id": u["id"], "type_id": type_id,
                                  "start_local": day.replace(tzinfo=None), "time_zone": "America/New_York",
                                  "start_at": at, "end_at": at + timedelta(minutes=50), "status": status,
                                  "late_cancel": status == "cancelled" and rnd.random() < 0.4,
                                  "booked_at": at - timedelta(days=rnd.randint(1, 30)), "telehealth": False,
                                  "deleted": False, "buffer_before": 0, "buffer_after": 0,
                                  "confirmation": "unconfirmed"})
                    if status == "completed":
                        signed = at + timedelta(hours=rnd.choice([2, 5, 30, 200]))
                        notes.append({"id": new_id(), "client_id": client, "author_id": u["id"],
                                      "appointment_id": appt_id, "note_type": "progress",
                                      "service_date": day.date(), "status": "signed", "signed_at": signed,
                                      "signed_by": u["id"], "deleted": False, "requires_cosign": False})
                    made += 1
            if len(batch) > 20000:
                conn.execute(insert(Appointment), batch)
                conn.execute(insert(Note), notes)
                batch, notes = [], []
        if batch:
            conn.execute(insert(Appointment), batch)
            conn.execute(insert(Note), notes)
    with store.engine.connect() as conn:
        conn.execute(text("ANALYZE"))


def open_or_build(folder: Path, appointments: int, clinicians: int) -> UserSession:
    """The bench store in ``folder``: signed in to when it was built before with the same sizes,
    built (and signed in to) otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {"appointments": appointments, "clinicians": clinicians}
    marker = folder / "built.json"
    files = StoreFiles(folder / "store")
    auth = Authenticator(files, kdf=CHEAP_KDF)
    if marker.exists():
        built = json.loads(marker.read_text(encoding="utf-8"))
        if built != wanted:
            raise SystemExit(f"{folder} holds a store built with {built}, not {wanted}: use another folder.")
        pending = auth.begin("admin", BENCH_PASSWORD)
        assert not isinstance(pending, HubPendingSignIn)
        with pending.store.read() as s:
            admin = s.get(User, pending.user_id)
            assert admin is not None and admin.totp_secret is not None
            secret, last_step = admin.totp_secret, admin.totp_last_step or 0
        # A code is accepted once: a run started within 30 s of the last one signs in with the next one.
        now = max(time.time(), (last_step + 1) * 30.0)
        print(f"reusing the store in {folder} ({appointments:,} appointments)")
        return auth.complete(pending, pyotp.TOTP(secret).at(now), now=now)
    if auth.store_exists():
        raise SystemExit(f"{folder} holds a store that was not finished building: remove it first.")
    session = auth.create_practice(
        practice_name="Bench Counseling", time_zone="America/New_York",
        admin=NewUser("admin", "Avery Admin", Role.ADMIN, BENCH_PASSWORD), totp_secret=totp.new_secret(),
    ).session
    started = time.perf_counter()
    build(session, clinicians, appointments)
    print(f"built {appointments:,} appointments for {clinicians} clinicians in {time.perf_counter() - started:.0f} s")
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return session


def timed(fn: Any, repeat: int, clock: Any = time.perf_counter) -> float:
    runs = []
    for _ in range(repeat):
        started = clock()
        fn()
        runs.append(clock() - started)
    return statistics.median(runs)


def interleaved(runs: dict[str, Any], repeat: int) -> dict[str, tuple[float, float]]:
    """Each of ``runs`` ``repeat`` times, taking turns: its median wall and CPU (process) seconds."""
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--clinicians", type=int, default=100)
    parser.add_argument("--sample", type=int, default=10, help="clinicians timed one metric at a time")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, help="keep the built store in this folder and reuse it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ms-bench-metrics-") as tmp:
        session = open_or_build(args.store or Path(tmp), args.appointments, args.clinicians)
        lo = datetime(2026, 10, 1, tzinfo=ET).astimezone(UTC).replace(tzinfo=None)
        hi = datetime(2026, 11, 1, tzinfo=ET).astimezone(UTC).replace(tzinfo=None)

        def one_pass() -> int:
            with session.store.engine.connect() as conn:
                return len(conn.execute(text(
                    "SELECT id, provider_id, client_id, status, late_cancel, start_at, end_at, booked_at, telehealth "
                    "FROM appointments WHERE start_at >= :lo AND start_at < :hi"), {"lo": lo, "hi": hi}).all())

        table = metrics.compute(session, MONTH, today=TODAY)
        rows = one_pass()
        # Interleaved, each run timed on the wall clock and in this process's CPU time (on a shared
        # machine, what other processes take is left out; the pages are decrypted in this process), so
        # that the engine and the limit see the same machine: its speed drifts by tens of per cent.
        figures = interleaved({
            "engine": lambda: metrics.compute(session, MONTH, today=TODAY),
            "limit": one_pass,
            "serial": lambda: metrics.compute(session, MONTH, today=TODAY, at_once=False),
        }, args.repeat)
        (engine_s, engine_cpu), (limit_s, limit_cpu) = figures["engine"], figures["limit"]
        serial_s = figures["serial"][0]
        sample = [c.username for c in table.clinicians[: args.sample]]
        ids = list(metrics.definitions())

        def per_clinician() -> None:
            for name in sample:
                for mid in ids:
                    metrics.compute(session, MONTH, today=TODAY, clinician=name, metric_ids=[mid])

        seeds_s = timed(per_clinician, 1) * len(table.clinicians) / len(sample)
        board = dashboards.load_dashboard(session, MONTH, today=TODAY, with_trend=False)
        one = table.clinicians[0].id
        full_s = timed(lambda: dashboards.load_dashboard(session, MONTH, today=TODAY, with_trend=False), args.repeat)
        update_s = timed(lambda: dashboards.refresh_clinician(session, board, one, today=TODAY), args.repeat)
        session.close()
    kvr = table.totals["kept_visit_rate"].value or 0.0
    print(f"month: {rows:,} appointment rows; {len(table.values):,} values; practice KVR {kvr:.1%}")
    print(f"metrics.compute, all clinicians and metrics: {engine_s * 1000:.0f} ms")
    print(f"limit, one SQL pass over the month's rows:   {limit_s * 1000:.0f} ms  -> ratio "
          f"{engine_s / limit_s:.2f}x (goal <= {GOAL_LIMIT:.0f}x)")
    print(f"  the same in CPU time: compute {engine_cpu * 1000:.0f} ms, limit {limit_cpu * 1000:.0f} ms -> ratio "
          f"{engine_cpu / limit_cpu:.2f}x")
    print(f"  the reads one after another: {serial_s * 1000:.0f} ms -> ratio {serial_s / limit_s:.2f}x")
    print(f"each metric per clinician, own queries:      {seeds_s * 1000:.0f} ms (scaled from {len(sample)} "
          f"clinicians) -> compute is {seeds_s / engine_s:.0f}x faster (goal >= {GOAL_SEEDS:.0f}x)")
    print(f"dashboard update after one status change:   {update_s * 1000:.0f} ms vs full recompute "
          f"{full_s * 1000:.0f} ms -> {update_s / full_s:.2f}x of it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
