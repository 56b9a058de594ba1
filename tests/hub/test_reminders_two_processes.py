"""Two processes running the hub's reminder job on one PostgreSQL database, 20 times each and at the
same moments, never send a reminder twice.

The job's lease (hub/jobs.py) already keeps two runs apart; here both processes run the job's engine
directly, at once, so what is tested is the guarantee underneath: each message's row, with its
UNIQUE key, is committed before the provider is called. The provider is a loopback HTTP server that
records every message either process hands it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks._hubproc import pg_database
from mentalspace_desktop.hub import db
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.sync_models import ChangeLog, HubCounter
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import PG_ENV, seed
from tests.hub.reminder_seed import ProviderRecorder, seed_reminders

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
ROUNDS = 20
WORKER = """
import sys, time
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.services import reminders
from tests.hub.reminder_seed import HttpChannel
url, recorder, rounds, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
engine = db.make_engine(url)
channels = {"sms": HttpChannel("sms", recorder), "voice": HttpChannel("voice", recorder)}
sessions = db.session_factory(engine)
time.sleep(max(0.0, start - time.time()))
for _ in range(rounds):
    with reminders.hub_engine(sessions, channels) as job:
        job.run_once()
engine.dispose()
"""


def test_two_hub_processes_running_the_job_20_times_never_send_twice() -> None:
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is not set")
    with pg_database(server, prefix="test_remmp") as url, ProviderRecorder() as provider:
        engine = db.make_engine(url)
        try:
            db.prepare(engine)
            users, _ = seed(engine)
            first = utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=20)  # 2-hour reminders all due
            seed_reminders(engine, users, starts=[first + timedelta(minutes=i) for i in range(30)], mobiles=5)
            start = time.time() + 3  # both begin together, once their imports are done
            workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, provider.url, str(ROUNDS), str(start)],
                                        cwd=REPO, stderr=subprocess.PIPE) for _ in range(2)]
            for w in workers:
                _, err = w.communicate(timeout=240)
                assert w.returncode == 0, err.decode(errors="replace")[-3000:]
            keys = Counter(m["key"] for m in provider.received)
            assert len(keys) == 60 and set(keys.values()) == {1}  # 30 appointments x (text, call), once each
            with db.session_factory(engine)() as s:
                rows = list(s.scalars(select(ReminderMessage)))
                seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
                counter = s.scalar(select(HubCounter.value))
            assert Counter(r.state for r in rows) == {"queued": 60, "skipped": 60}  # the 2-day ones: too late
            assert {r.key for r in rows if r.state == "queued"} == set(keys)
            assert all(r.server_seq is not None for r in rows)
            assert seqs == list(range(1, len(seqs) + 1)) and seqs[-1] == counter
        finally:
            engine.dispose()
