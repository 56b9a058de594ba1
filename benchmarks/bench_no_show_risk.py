"""How well the no-show score ranks real no-shows on the demo practice's history (ROC AUC).

Builds the demo practice, then for every past individual appointment that ended completed or as a
no-show computes the score as it would have been shown before the visit: the client's history
strictly before it, the lead time from booking, hour, weekday and confirmation, and — read through
``stats.risk_reminders`` as of a minute before the visit, the query the calendar uses — the client's
record with earlier reminders and this visit's reminder state. Prints the ROC AUC (0.5 is a coin
toss, 1.0 a perfect ranking) of the score with and without the reminder factors, on all visits and on
the visits that were reminded, of the client's past no-show rate alone, and of a coin (a random
score); then the no-show rate by risk level and by the answer to the reminder. The demo's no-shows
are drawn from a hidden per-client tendency plus lead time, hour and confirmation, and its reminder
answers given those outcomes (``services/demo_reminders.py``), so the figure says how much of that
the score recovers — not how it would do in a real practice.

    .venv/bin/python benchmarks/bench_no_show_risk.py [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from mentalspace_desktop.domain.scheduling.risk import History, no_show_risk  # noqa: E402
from mentalspace_desktop.services.calendar_view import _histories  # noqa: E402
from mentalspace_desktop.services.demo import create_demo_practice  # noqa: E402
from mentalspace_desktop.services.reminders.stats import risk_reminders  # noqa: E402
from mentalspace_desktop.store.engine import encrypted_engine  # noqa: E402
from mentalspace_desktop.store.keyslots import KeySlots  # noqa: E402
from mentalspace_desktop.store.scheduling_models import Appointment  # noqa: E402


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Mann–Whitney: the chance a random no-show scores above a random kept visit (ties count half)."""
    pairs = sorted(zip(scores, labels, strict=True))
    rank_sum, i, n = 0.0, 0, len(pairs)
    while i < n:
        j = i
        while j < n and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2
        rank_sum += avg_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    pos = sum(labels)
    neg = n - pos
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def bootstrap_ci(scores: list[float], labels: list[bool], rounds: int = 500) -> tuple[float, float]:
    """A 95 % interval for the AUC from resampling the visits (a hundred no-shows is a small sample)."""
    rng = random.Random(2)
    n, values = len(scores), []
    for _ in range(rounds):
        pick = [rng.randrange(n) for _ in range(n)]
        sl = [labels[i] for i in pick]
        if 0 < sum(sl) < n:
            values.append(roc_auc([scores[i] for i in pick], sl))
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


def read_cost(s: Session, client_ids: list[str], repeat: int = 15) -> tuple[float, float]:
    """Fastest ms of the calendar's reminder read (``risk_reminders``) for every client of the demo,
    and of the history count it sits beside (``calendar_view._histories``), interleaved in the same
    run (the fastest: on a machine shared with other work a median measures the neighbours too)."""
    now = datetime.now(UTC)
    ours, theirs = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        risk_reminders(s, client_ids, now)
        ours.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        _histories(s, client_ids, now)
        theirs.append(1000 * (time.perf_counter() - t))
    return min(ours), min(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ms-bench-risk-") as tmp:
        data_dir = Path(tmp) / "demo"
        t0 = time.monotonic()
        logins = create_demo_practice(data_dir, seed=args.seed, today=date.today())
        admin = next(x for x in logins if x.role.value == "admin")
        key = KeySlots.load(data_dir / "keyslots.json").unwrap(admin.username, admin.password)[1]
        engine = encrypted_engine(data_dir / "store.db", key)
        with engine.connect() as conn:
            rows = conn.execute(select(
                Appointment.id, Appointment.client_id, Appointment.start_at, Appointment.start_local,
                Appointment.booked_at, Appointment.status, Appointment.late_cancel, Appointment.confirmation).where(
                Appointment.client_id.is_not(None), Appointment.deleted.is_(False)
            ).order_by(Appointment.start_at)).all()
        built = time.monotonic() - t0
        past: dict[str, History] = defaultdict(History)
        plain, full, rates, labels, reminded = [], [], [], [], []
        levels: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        answers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        t1 = time.monotonic()
        with Session(engine) as s:
            for aid, cid, start, start_local, booked_at, status, late, confirmation in rows:
                h = past[cid]
                if status in ("completed", "no_show"):
                    known = risk_reminders(s, [cid], start - timedelta(minutes=1))
                    record, state = known.record(cid), known.state(aid)
                    visit = {"lead_days": max(0.0, (start - (booked_at or start)).total_seconds() / 86400),
                             "hour": start_local.hour, "weekday": start_local.weekday(),
                             "confirmed": confirmation == "confirmed"}
                    risk = no_show_risk(h, reminders=record, reminder=state, **visit)  # type: ignore[arg-type]
                    plain.append(no_show_risk(h, **visit).score)  # type: ignore[arg-type]
                    full.append(risk.score)
                    visits = h.completed + h.no_shows + h.late_cancels
                    rates.append(h.no_shows / visits if visits else 0.08)
                    labels.append(status == "no_show")
                    reminded.append(state.reminded or state.undelivered)
                    levels[risk.level][0] += 1
                    levels[risk.level][1] += status == "no_show"
                    answer = ("confirmed by reply" if state.confirmed_by_reply else "no answer" if state.reminded
                              else "not delivered" if state.undelivered else "not reminded")
                    answers[answer][0] += 1
                    answers[answer][1] += status == "no_show"
                past[cid] = History(h.completed + (status == "completed"), h.no_shows + (status == "no_show"),
                                    h.late_cancels + (status == "cancelled" and bool(late)))
        scored = time.monotonic() - t1
        with Session(engine) as s:
            clients = len({r[1] for r in rows})
            read_ms = read_cost(s, sorted({r[1] for r in rows}))
        engine.dispose()
    rng = random.Random(1)
    coin = [rng.random() for _ in labels]
    print(f"demo practice (seed {args.seed}) built in {built:.0f} s: {len(labels)} past visits scored in "
          f"{scored:.1f} s, {sum(labels)} no-shows ({100 * sum(labels) / len(labels):.1f} %)")
    lo, hi = bootstrap_ci(full, labels)
    print(f"  ROC AUC, no-show score with reminders:    {roc_auc(full, labels):.3f} "
          f"(95 % bootstrap interval {lo:.3f}–{hi:.3f})")
    lo, hi = bootstrap_ci(plain, labels)
    print(f"  ROC AUC, no-show score without reminders: {roc_auc(plain, labels):.3f} "
          f"(95 % bootstrap interval {lo:.3f}–{hi:.3f})")
    pick = [i for i, r in enumerate(reminded) if r]
    sub = [labels[i] for i in pick]
    if 0 < sum(sub) < len(sub):
        print(f"  reminded visits only ({len(pick)}, {sum(sub)} no-shows): with reminders "
              f"{roc_auc([full[i] for i in pick], sub):.3f}, without {roc_auc([plain[i] for i in pick], sub):.3f}")
    print(f"  ROC AUC, past no-show rate only:          {roc_auc(rates, labels):.3f}")
    print(f"  ROC AUC, coin toss:                       {roc_auc(coin, labels):.3f}")
    print(f"  reminder read for all {clients} clients: {read_ms[0]:.1f} ms; the history count beside it: "
          f"{read_ms[1]:.1f} ms (ratio {read_ms[0] / read_ms[1]:.2f})")
    for level in ("low", "medium", "high"):
        n, k = levels[level]
        if n:
            print(f"  {level:>6}: {n:5d} visits, {100 * k / n:5.1f} % no-shows")
    for answer in ("confirmed by reply", "no answer", "not delivered", "not reminded"):
        n, k = answers[answer]
        if n:
            print(f"  {answer:>18}: {n:5d} visits, {100 * k / n:5.1f} % no-shows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
