""""Find a slot" over 20 providers and 8 weeks: SlotFinder.find against a plain SQL search.

Builds a practice store with 20 clinicians working Monday to Friday 9:00–17:00 and about 60 % of their
hours already booked (busy blocks bulk-inserted, as the calendar keeps them), then times
``SlotFinder.find`` for a 50-minute visit with a 10-minute buffer over all 20 providers and 8 weeks:
working hours and overrides, buffers on both sides, every 15 minutes, wall-clock times across DST,
ranked. The baseline is the least a search could do on the same data: one SQL query that walks whole
hours of the working week (fixed UTC offset, no buffers, no ranking) and keeps those with no
overlapping busy block — timed with LIMIT 20 (it stops at the first free hours) and over the whole
range. Prints the median of each and the ratios.

    .venv/bin/python benchmarks/bench_find_slot.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import insert, text  # noqa: E402

from mentalspace_desktop.domain.ids import new_id  # noqa: E402
from mentalspace_desktop.domain.roles import Role  # noqa: E402
from mentalspace_desktop.domain.scheduling.times import to_utc  # noqa: E402
from mentalspace_desktop.services import totp  # noqa: E402
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser  # noqa: E402
from mentalspace_desktop.services.scheduling.availability import AvailabilityService, HoursInput  # noqa: E402
from mentalspace_desktop.services.scheduling.finding import SlotFinder  # noqa: E402
from mentalspace_desktop.services.scheduling.setup import ScheduleSetupService, TypeInput  # noqa: E402
from mentalspace_desktop.store.files import StoreFiles  # noqa: E402
from mentalspace_desktop.store.keyslots import KdfParams  # noqa: E402
from mentalspace_desktop.store.scheduling_models import BusyBlock  # noqa: E402

TZ = "America/New_York"
START = date(2026, 3, 2)  # a Monday; the range crosses the March DST change
WEEKS = 8
PROVIDERS = 20

BASELINE = text("""
WITH RECURSIVE days(d) AS (SELECT :start UNION ALL SELECT date(d, '+1 day') FROM days WHERE d < :until),
hours(h) AS (SELECT 9 UNION ALL SELECT h + 1 FROM hours WHERE h < 16)
SELECT u.id, d, h FROM users u, days, hours
WHERE u.role = 'clinician' AND strftime('%w', d) BETWEEN '1' AND '5'
  AND NOT EXISTS (SELECT 1 FROM busy_blocks b WHERE b.provider_id = u.id AND b.active = 1
                  AND b.start_at < datetime(d, printf('+%d hours', h + 5), '+50 minutes')
                  AND b.end_at > datetime(d, printf('+%d hours', h + 5)))
""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="ms-bench-slot-") as tmp:
        cheap = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)  # key slots are not measured
        session = Authenticator(StoreFiles(Path(tmp) / "store"), kdf=cheap).create_practice(
            practice_name="Bench Counseling", time_zone=TZ,
            admin=NewUser("admin", "Avery Admin", Role.ADMIN, "Quiet-Maple-Orchard-17"),
            totp_secret=totp.new_secret()).session
        accounts = AccountService(session, kdf=cheap)
        providers = [accounts.create_user(NewUser(f"clin{i}", f"Clinician Number{i}", Role.CLINICIAN,
                                                  "Blue-Heron-Lantern-42")) for i in range(PROVIDERS)]
        now = datetime(2026, 3, 1, 12, tzinfo=UTC)
        type_id = ScheduleSetupService(session, now=lambda: now).save_type(
            TypeInput(name="Individual therapy", default_minutes=50, buffer_after=10)).id
        hours = AvailabilityService(session, now=lambda: now)
        for p in providers:
            hours.set_weekly_hours(p, [HoursInput(d, "09:00", "17:00") for d in range(5)])
        rows = []
        for p in providers:
            for day in (START + timedelta(days=i) for i in range(7 * WEEKS)):
                if day.weekday() >= 5:
                    continue
                for h in range(9, 17):
                    if rng.random() < 0.6:
                        start = to_utc(datetime(day.year, day.month, day.day, h), TZ)
                        rows.append({"id": new_id(), "provider_id": p, "start_at": start,
                                     "end_at": start + timedelta(minutes=50), "buffer_before": 0,
                                     "buffer_after": 10, "kind": "appointment", "active": True,
                                     "deleted": False, "updated_at": now})
        with session.store.write(session.actor.user_id) as s:  # one transaction, Core bulk insert (a load)
            s.execute(insert(BusyBlock), rows)
        finder = SlotFinder(session, now=lambda: now)
        until = START + timedelta(weeks=WEEKS) - timedelta(days=1)

        def ours() -> int:
            return len(finder.find(type_id=type_id, date_from=START, date_to=until, provider_ids=providers))

        def plain(limit: str) -> int:
            with session.store.read() as s:
                return len(s.execute(text(BASELINE.text + limit),
                                     {"start": START.isoformat(), "until": until.isoformat()}).all())

        found, base_found, all_free = ours(), plain(" LIMIT 20"), plain("")  # warm all three
        ours_ms, first_ms, full_ms = [], [], []
        for _ in range(args.repeat):
            for fn, out in ((ours, ours_ms), (lambda: plain(" LIMIT 20"), first_ms), (lambda: plain(""), full_ms)):
                t0 = time.perf_counter()
                fn()
                out.append((time.perf_counter() - t0) * 1000)
        a, b, c = statistics.median(ours_ms), statistics.median(first_ms), statistics.median(full_ms)
        print(f"find a slot: {PROVIDERS} providers x {WEEKS} weeks, {len(rows)} busy blocks")
        print(f"  SlotFinder.find (15-min steps, buffers, hours, DST, ranked): median {a:.1f} ms ({found} slots)")
        print(f"  plain SQL search, first 20 free whole hours:                 median {b:.1f} ms ({base_found} slots)")
        print(f"  plain SQL search, every free whole hour of the 8 weeks:      median {c:.1f} ms ({all_free} slots)")
        print(f"  ratio: {a / b:.1f}x the first-20 SQL search, {a / c:.1f}x the full SQL search")
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
