"""How well the no-show score ranks real no-shows on the demo practice's history (ROC AUC).

Builds the demo practice, then for every past individual appointment that ended completed or as a
no-show computes the score as it would have been shown before the visit: the client's history
strictly before it, the lead time from booking, hour, weekday and confirmation. Prints the ROC AUC
(0.5 is a coin toss, 1.0 a perfect ranking) of the full score, of the client's past no-show rate
alone, and of a coin (a random score), plus the no-show rate by risk level. The demo's no-shows are
drawn from a hidden per-client tendency plus lead time, hour and confirmation, so the figure says how
much of that the score recovers — not how it would do in a real practice.

    .venv/bin/python benchmarks/bench_no_show_risk.py [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from mentalspace_desktop.domain.scheduling.risk import History, no_show_risk  # noqa: E402
from mentalspace_desktop.services.demo import create_demo_practice  # noqa: E402
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
                Appointment.client_id, Appointment.start_at, Appointment.start_local, Appointment.booked_at,
                Appointment.status, Appointment.late_cancel, Appointment.confirmation).where(
                Appointment.client_id.is_not(None), Appointment.deleted.is_(False)
            ).order_by(Appointment.start_at)).all()
        engine.dispose()
        built = time.monotonic() - t0
    past: dict[str, History] = defaultdict(History)
    scores, rates, labels, levels = [], [], [], defaultdict(lambda: [0, 0])
    for cid, start, start_local, booked_at, status, late, confirmation in rows:
        h = past[cid]
        if status in ("completed", "no_show"):
            lead = max(0.0, (start - (booked_at or start)).total_seconds() / 86400)
            risk = no_show_risk(h, lead_days=lead, hour=start_local.hour, weekday=start_local.weekday(),
                                confirmed=confirmation == "confirmed")
            scores.append(risk.score)
            visits = h.completed + h.no_shows + h.late_cancels
            rates.append(h.no_shows / visits if visits else 0.08)
            labels.append(status == "no_show")
            levels[risk.level][0] += 1
            levels[risk.level][1] += status == "no_show"
        past[cid] = History(h.completed + (status == "completed"), h.no_shows + (status == "no_show"),
                            h.late_cancels + (status == "cancelled" and bool(late)))
    rng = random.Random(1)
    coin = [rng.random() for _ in labels]
    print(f"demo practice (seed {args.seed}) built in {built:.0f} s: {len(labels)} past visits scored, "
          f"{sum(labels)} no-shows ({100 * sum(labels) / len(labels):.1f} %)")
    lo, hi = bootstrap_ci(scores, labels)
    print(f"  ROC AUC, no-show score:          {roc_auc(scores, labels):.3f} "
          f"(95 % bootstrap interval {lo:.3f}–{hi:.3f})")
    print(f"  ROC AUC, past no-show rate only: {roc_auc(rates, labels):.3f}")
    print(f"  ROC AUC, coin toss:              {roc_auc(coin, labels):.3f}")
    for level in ("low", "medium", "high"):
        n, k = levels[level]
        if n:
            print(f"  {level:>6}: {n:5d} visits, {100 * k / n:5.1f} % no-shows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
