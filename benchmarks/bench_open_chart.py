"""Opening a client's chart with five years of weekly sessions (about 250 notes): time to first paint.

Builds a practice store with one clinician and one client whose chart holds 5 years of signed SOAP
notes (sealed, with versions and the hash chain, as the demo writes them), a few addenda, diagnoses,
a treatment plan and a safety plan, plus 200 other clients. Then, as that clinician, opens the chart
page (the real ``ChartPage`` with its clinical tab, offscreen) and times from ``load()`` until the
page has painted with the client's details and the note list filled. The baseline fetches the same
rows with raw SQL on the same encrypted store (client, notes, diagnoses, plans, safety plans,
documents, timeline entries) and builds nothing. Prints the median and the ratio.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_open_chart.py [--years 5] [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from mentalspace_desktop.domain.charting.lifecycle import NoteStatus  # noqa: E402
from mentalspace_desktop.domain.roles import Role  # noqa: E402
from mentalspace_desktop.services import totp  # noqa: E402
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser  # noqa: E402
from mentalspace_desktop.services.charting.templates import active_template  # noqa: E402
from mentalspace_desktop.services.clients import ClientInput, ClientService  # noqa: E402
from mentalspace_desktop.services.demo_charting import _plans, _soap, _Writer  # noqa: E402
from mentalspace_desktop.services.session import UserSession, actor_of  # noqa: E402
from mentalspace_desktop.store.files import StoreFiles  # noqa: E402
from mentalspace_desktop.store.keyslots import KdfParams  # noqa: E402
from mentalspace_desktop.store.models import Client, User  # noqa: E402

TODAY = date(2025, 3, 10)
CHEAP = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)  # key slots are not measured


def build(tmp: Path, years: int) -> tuple[UserSession, str, int]:
    auth = Authenticator(StoreFiles(tmp / "store"), kdf=CHEAP)
    admin = auth.create_practice(practice_name="Bench Counseling", time_zone="America/New_York",
                                 admin=NewUser("admin", "Avery Admin", Role.ADMIN, "Quiet-Maple-Orchard-17"),
                                 totp_secret=totp.new_secret()).session
    clin_id = AccountService(admin, kdf=CHEAP).create_user(
        NewUser("clin", "Casey Clinician", Role.CLINICIAN, "Blue-Heron-Lantern-42", license_type="LPC"))
    clients = ClientService(admin, today=lambda: TODAY)
    rng = random.Random(5)
    for i in range(200):
        clients.register(ClientInput(first_name=f"Other{i}", last_name=f"Client{i}", dob=date(1980, 1, 1 + i % 28),
                                     primary_clinician_id=clin_id))
    target = clients.register(ClientInput(first_name="Morgan", last_name="Longtime", dob=date(1975, 5, 5),
                                          primary_clinician_id=clin_id))
    with admin.store.read() as s:
        clin = s.get(User, clin_id)
    assert clin is not None
    session = UserSession(admin.store, admin.slots, actor_of(clin), admin.events)
    count = 0
    with admin.store.write(clin_id) as s:
        client = s.get(Client, target.id)
        author = s.get(User, clin_id)
        assert client is not None and author is not None
        soap_id, soap = active_template(s, "soap")
        add_id, _ = active_template(s, "addendum")
        writer = _Writer(session, s, client, author, soap_id, soap.keys, add_id)
        day = TODAY - timedelta(days=365 * years)
        while day < TODAY:
            note = writer.note(day, _soap(rng), NoteStatus.SIGNED)
            count += 1
            if count % 40 == 0:
                writer.addendum(note, day + timedelta(days=1))
                count += 1
            day += timedelta(days=7)
        _plans(session, s, client, author, TODAY, 1)
        _plans(session, s, client, author, TODAY, 0)
    with admin.store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return session, target.id, count


def raw_fetch(session: UserSession, client_id: str) -> int:
    rows = 0
    with session.store.engine.connect() as conn:
        for sql in ("SELECT * FROM clients WHERE id = ?", "SELECT * FROM insurances WHERE client_id = ?",
                    "SELECT * FROM consents WHERE client_id = ?",
                    "SELECT * FROM notes WHERE client_id = ? ORDER BY service_date DESC",
                    "SELECT * FROM diagnoses WHERE client_id = ?", "SELECT * FROM treatment_plans WHERE client_id = ?",
                    "SELECT * FROM safety_plans WHERE client_id = ?", "SELECT * FROM risk_flags WHERE client_id = ?",
                    "SELECT id, media_type, size_bytes FROM attachments WHERE client_id = ?",
                    "SELECT * FROM audit_log WHERE client_id = ? ORDER BY at DESC LIMIT 200"):
            rows += len(conn.exec_driver_sql(sql, (client_id,)).all())
    return rows


def open_once(app: object, page: object, client_id: str, notes: int) -> float:
    """Milliseconds from ``load()`` to the page painted with the client and all notes listed."""
    from mentalspace_desktop.gui.qt import QApplication

    assert isinstance(app, QApplication)
    done = {"chart": False, "clinical": False}
    c1 = page.sig_loaded.connect(lambda _id: done.update(chart=True))  # type: ignore[attr-defined]
    c2 = page.clinical.sig_loaded.connect(lambda _c: done.update(clinical=True))  # type: ignore[attr-defined]
    start = time.perf_counter()
    page.load(client_id)  # type: ignore[attr-defined]
    while not all(done.values()):
        app.processEvents()
        time.sleep(0.0005)
    page.repaint()  # type: ignore[attr-defined]  # the first paint with the data
    elapsed = (time.perf_counter() - start) * 1000
    page.sig_loaded.disconnect(c1)  # type: ignore[attr-defined]
    page.clinical.sig_loaded.disconnect(c2)  # type: ignore[attr-defined]
    assert page.clinical.model.rowCount() == notes  # type: ignore[attr-defined]
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    from mentalspace_desktop.gui.clients.chart import ChartPage
    from mentalspace_desktop.gui.qt import QApplication
    from mentalspace_desktop.gui.workers import wait_for_background_work

    app = QApplication([])
    with tempfile.TemporaryDirectory(prefix="ms-bench-chart-") as tmp:
        t0 = time.perf_counter()
        session, client_id, notes = build(Path(tmp), args.years)
        print(f"built a chart with {notes} signed notes and addenda in {time.perf_counter() - t0:.1f} s")
        page = ChartPage(session)
        page.resize(1280, 800)
        page.show()
        ours: list[float] = []
        for _ in range(args.repeat + 1):  # the first run warms caches and is not counted
            ours.append(open_once(app, page, client_id, notes))
        ours = ours[1:]
        base = []
        raw_fetch(session, client_id)
        for _ in range(args.repeat):
            start = time.perf_counter()
            raw_fetch(session, client_id)
            base.append((time.perf_counter() - start) * 1000)
        wait_for_background_work()
        med, bmed = statistics.median(ours), statistics.median(base)
        print(f"open chart to first paint: median {med:.1f} ms (min {min(ours):.1f}); raw SQL of the same rows: "
              f"median {bmed:.1f} ms; ratio {med / bmed:.1f}x")
        page.close()
        session.close()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
