"""ICD-10-CM search per keystroke over the full code set (74,000+ billable codes).

Times each keystroke of searches a clinician types in the diagnosis picker, through the product's
index (``services/charting/icd10.py``: word-prefix matching on every word of the description, codes
with or without the dot, abbreviations), against the plain prefix query one would write first: the
same codes in an in-memory SQLite table, indexed on the code and on the lower-cased description,
and two index range scans (codes starting with the text, descriptions starting with it), LIMIT 50 —
which finds only descriptions that *start* with what was typed ("anxiety" does not find
"Generalized anxiety disorder"; ours does, and "gen anx" too). Prints per-keystroke median and
p95 in ms for both, the ratio, and the one-off load and index build times.

    .venv/bin/python benchmarks/bench_icd10_search.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time

from mentalspace_desktop.services.charting.icd10 import IcdIndex, load_codes

SEARCHES = ("F41.1", "generalized anxiety", "major depressive recurrent", "ptsd", "z63.0", "adjustment disorder",
            "alcohol abuse")


def keystrokes(text: str) -> list[str]:
    return [text[:i] for i in range(1, len(text) + 1)]


def timed(fn, queries: list[str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for q in queries:
        best = min(_once(fn, q) for _ in range(repeat))
        out.append(best)
    return out


def _once(fn, q: str) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn(q)
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per keystroke (the best is kept)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    codes = load_codes()
    t1 = time.perf_counter()
    index = IcdIndex(codes)
    t2 = time.perf_counter()
    print(f"{len(codes):,} billable codes: loaded in {(t1 - t0) * 1000:.0f} ms, "
          f"index built in {(t2 - t1) * 1000:.0f} ms")

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE icd (code TEXT, description TEXT, folded TEXT)")
    db.executemany("INSERT INTO icd VALUES (?, ?, ?)", [(c.code, c.description, c.description.lower())
                                                         for c in codes])
    db.execute("CREATE INDEX ix_code ON icd (code)")
    db.execute("CREATE INDEX ix_folded ON icd (folded)")

    def baseline(q: str) -> list[tuple[str, str]]:
        code, folded = q.upper(), q.lower()
        return db.execute("SELECT code, description FROM (SELECT code, description FROM icd WHERE code >= ? AND "
                          "code < ? LIMIT 50) UNION ALL SELECT * FROM (SELECT code, description FROM icd "
                          "WHERE folded >= ? AND folded < ? LIMIT 50) LIMIT 50",
                          (code, code + "\uffff", folded, folded + "\uffff")).fetchall()

    ours_all: list[float] = []
    base_all: list[float] = []
    print(f"{'search':<28} {'ours med':>9} {'ours p95':>9} {'plain med':>10} {'hits ours/plain (full text)':>28}")
    for text in SEARCHES:
        qs = keystrokes(text)
        ours = timed(index.search, qs, args.repeat)
        base = timed(baseline, qs, args.repeat)
        ours_all += ours
        base_all += base
        p95 = sorted(ours)[max(0, int(len(ours) * 0.95) - 1)]
        print(f"{text:<28} {statistics.median(ours):>8.3f}  {p95:>8.3f}  {statistics.median(base):>9.3f}  "
              f"{len(index.search(text)):>12} / {len(baseline(text))}")
    med_ours, med_base = statistics.median(ours_all), statistics.median(base_all)
    worst = max(ours_all)
    print(f"per keystroke: ours median {med_ours:.3f} ms (worst {worst:.2f} ms), plain prefix query median "
          f"{med_base:.3f} ms; ratio {med_ours / med_base:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
