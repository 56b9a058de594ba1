"""Search-as-you-type over 100,000 clients: ClientService.search against a bare indexed prefix query.

Builds a practice store, bulk-inserts 100,000 clients (realistic surname frequencies, so "s" and
"smith" match thousands), then times each keystroke of a few searches the front desk really types.
The baseline is the least a search could do on the same data: one indexed range query on one column
(``last_key`` for names, ``dob``, ``phone_rev_key`` or ``chart_number``), LIMIT 20, no ordering or
formatting. Prints per-keystroke median and p95 in ms for both and the ratio (goals: <= 2x the
baseline and < 50 ms per keystroke).

    .venv/bin/python benchmarks/bench_client_search.py [--clients 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from mentalspace_desktop.domain.chart_numbers import BITS, chart_number
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services import totp
from mentalspace_desktop.services.accounts import Authenticator, NewUser
from mentalspace_desktop.services.clients import ClientService, search_keys
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KdfParams
from mentalspace_desktop.store.models import Client

GOAL_RATIO = 2.0
GOAL_MS = 50.0
TODAY = date(2025, 3, 10)

# US surnames with roughly their relative frequency (Census 2010, top of the list), then a long tail.
SURNAMES = [
    ("Smith", 828),
    ("Johnson", 655),
    ("Williams", 550),
    ("Brown", 487),
    ("Jones", 484),
    ("Garcia", 412),
    ("Miller", 412),
    ("Davis", 400),
    ("Rodriguez", 373),
    ("Martinez", 365),
    ("Hernandez", 362),
    ("Lopez", 301),
    ("Gonzalez", 290),
    ("Wilson", 282),
    ("Anderson", 280),
    ("Thomas", 275),
    ("Taylor", 275),
    ("Moore", 252),
    ("Jackson", 249),
    ("Martin", 243),
    ("Lee", 239),
    ("Perez", 225),
    ("Thompson", 223),
    ("White", 220),
    ("Harris", 210),
    ("Sanchez", 208),
    ("Clark", 184),
    ("Ramirez", 182),
    ("Lewis", 180),
    ("Robinson", 178),
    ("Walker", 176),
    ("Young", 170),
    ("Allen", 167),
    ("King", 164),
    ("Wright", 163),
    ("Scott", 159),
    ("Torres", 154),
    ("Nguyen", 153),
    ("Hill", 152),
    ("Flores", 151),
    ("Green", 150),
    ("Adams", 149),
    ("Nelson", 147),
    ("Baker", 145),
    ("Hall", 144),
    ("Rivera", 140),
    ("Campbell", 138),
    ("Mitchell", 137),
    ("Carter", 136),
    ("Roberts", 135),
    ("Smithers", 5),
    ("Smithson", 6),
    ("Smart", 20),
    ("Small", 25),
    ("Sims", 40),
    ("Simmons", 60),
]
FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Jose",
    "Maria",
    "Juan",
    "Ana",
    "Anh",
    "Wei",
    "Priya",
    "Aisha",
    "Jamal",
    "Keisha",
    "Jordan",
    "Taylor",
]
SYLL = [
    "an",
    "ber",
    "co",
    "da",
    "el",
    "fi",
    "gor",
    "ha",
    "is",
    "jo",
    "ka",
    "li",
    "mo",
    "nu",
    "or",
    "pe",
    "ri",
    "sa",
    "to",
    "vi",
    "wen",
    "ya",
    "zo",
    "st",
    "sh",
    "qu",
]

KEYSTROKES: list[tuple[str, list[str]]] = [
    ("last name", ["s", "sm", "smi", "smit", "smith"]),
    ("last, first", ["smith j", "smith jo", "smith joh"]),
    ("first last", ["maria g", "maria gar"]),
    ("date of birth", ["3/14/1988", "1988-03-14"]),
    ("phone, last four", ["1234", "404-892"]),
    ("chart number", ["MS-4", "MS-4F", "MS-4F7K"]),
    ("rare name", ["q", "qu", "quo"]),
]


def make_rows(n: int, clinicians: list[str], seed: int = 3) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    names, weights = zip(*SURNAMES, strict=True)
    head_share = 0.35  # about a third of people carry one of the most common names
    rows = []
    for _ in range(n):
        if rnd.random() < head_share:
            last = rnd.choices(names, weights)[0]
        else:
            last = "".join(rnd.choice(SYLL) for _ in range(rnd.randint(2, 4))).capitalize()
        first = rnd.choice(FIRST)
        phone = f"+1{rnd.choice(['404', '678', '770', '470'])}{rnd.randint(2000000, 9999999)}"
        dob = date(1940, 1, 1) + timedelta(days=rnd.randrange(30000))
        rows.append(
            {
                "id": new_id(),
                "chart_number": chart_number(rnd.getrandbits(BITS)),
                "first_name": first,
                "last_name": last,
                "dob": dob,
                "phone_mobile": phone,
                "status": "active",
                "preferred_language": "English",
                "uses_telehealth": False,
                "deleted": False,
                "primary_clinician_id": rnd.choice(clinicians),
                **search_keys(first, last, None, phone),
            }
        )
    return rows


BASELINE_SQL = {
    "name": "SELECT id, last_name, first_name, dob FROM clients "
    "WHERE last_key >= :lo AND last_key < :hi LIMIT 20",
    "dob": "SELECT id, last_name, first_name, dob FROM clients WHERE dob = :d LIMIT 20",
    "phone": "SELECT id, last_name, first_name, dob FROM clients "
    "WHERE phone_rev_key >= :lo AND phone_rev_key < :hi LIMIT 20",
    "chart": "SELECT id, last_name, first_name, dob FROM clients "
    "WHERE chart_number >= :lo AND chart_number < :hi LIMIT 20",
}


def baseline_query(keystroke: str) -> tuple[str, dict[str, Any]]:
    """The single bare indexed query that answers the first part of this keystroke."""
    from mentalspace_desktop.domain.search import parse_client_query

    q = parse_client_query(keystroke, TODAY)
    if q.chart_prefix:
        return BASELINE_SQL["chart"], {"lo": q.chart_prefix, "hi": q.chart_prefix + "\uffff"}
    if q.dob:
        return BASELINE_SQL["dob"], {"d": q.dob.isoformat()}
    if q.phone_digits:
        rev = q.phone_digits[::-1]
        return BASELINE_SQL["phone"], {"lo": rev, "hi": rev + "\uffff"}
    token = q.name_tokens[0]
    return BASELINE_SQL["name"], {"lo": token, "hi": token + "\uffff"}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print SQLite's plan for each search")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ms-bench-search-") as tmp:
        cheap = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)  # key slots are not measured
        auth = Authenticator(StoreFiles(Path(tmp) / "store"), kdf=cheap)
        session = auth.create_practice(
            practice_name="Bench Counseling",
            time_zone="America/New_York",
            admin=NewUser("admin", "Avery Admin", Role.ADMIN, "Quiet-Maple-Orchard-17"),
            totp_secret=totp.new_secret(),
        ).session
        store = session.store
        from mentalspace_desktop.services.accounts import AccountService

        accounts = AccountService(session, kdf=cheap)
        clinicians = [
            accounts.create_user(
                NewUser(f"clin{i}", f"Clinician Number{i}", Role.CLINICIAN, "Blue-Heron-Lantern-42")
            )
            for i in range(8)
        ]
        rows = make_rows(args.clients, clinicians)
        t0 = time.perf_counter()
        with store.write(session.actor.user_id) as s:  # one transaction, Core bulk insert (no outbox: a load)
            for start in range(0, len(rows), 5000):
                s.execute(insert(Client), rows[start : start + 5000])
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"inserted {len(rows):,} clients in {time.perf_counter() - t0:.1f} s")

        service = ClientService(session, today=lambda: TODAY)
        print(
            f"{'keystroke':<14}{'hits':>5}  {'ours median':>11} {'p95':>7}  {'base median':>11} {'p95':>7}"
            f"  {'ratio':>6}"
        )
        all_ratios: list[float] = []
        worst_ours = 0.0
        for label, strokes in KEYSTROKES:
            print(f"-- {label}")
            for stroke in strokes:
                sql, params = baseline_query(stroke)
                ours: list[float] = []
                base: list[float] = []
                hits = 0
                for _ in range(args.repeat):  # interleaved
                    t = time.perf_counter()
                    hits = len(service.search(stroke))
                    ours.append((time.perf_counter() - t) * 1000)
                    with store.read() as s:
                        t = time.perf_counter()
                        s.execute(text(sql), params).all()
                        base.append((time.perf_counter() - t) * 1000)
                m_ours, m_base = statistics.median(ours), statistics.median(base)
                ratio = m_ours / m_base
                all_ratios.append(ratio)
                worst_ours = max(worst_ours, p95(ours))
                print(
                    f"{stroke!r:<14}{hits:>5}  {m_ours:11.2f} {p95(ours):7.2f}  "
                    f"{m_base:11.2f} {p95(base):7.2f}  {ratio:6.1f}x"
                )
                if args.explain:
                    from mentalspace_desktop.domain.search import parse_client_query

                    q = service._scoped(service._search_query(parse_client_query(stroke, TODAY)))
                    compiled = q.compile(store.engine, compile_kwargs={"literal_binds": True})
                    with store.engine.connect() as conn:
                        for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"):
                            print("      plan:", row[-1])
        overall = statistics.median(all_ratios)
        print(
            f"median ratio over keystrokes: {overall:.1f}x (goal <= {GOAL_RATIO}x); worst ratio "
            f"{max(all_ratios):.1f}x; slowest p95 of ours {worst_ours:.1f} ms (goal < {GOAL_MS:.0f} ms)"
        )
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
