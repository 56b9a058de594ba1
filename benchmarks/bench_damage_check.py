"""The damage check every sign-in and command runs before anything writes, vs one Argon2id unwrap.

``check_undamaged`` verifies every page's HMAC (``cipher_integrity_check``) and walks every table
and index (``quick_check``) on a read-only connection. Its cost grows with the store; the baseline,
measured in the same run, is the key-slot unwrap (one Argon2id password check) that every sign-in
already pays. Goal: the check under the unwrap for a practice-sized store. Also prints the
time of one offline password guess against a key slot (the unwrap itself).

    python benchmarks/bench_damage_check.py --data-dir DEMO_DIR [--runs 5]

DEMO_DIR is a store made by ``mentalspace demo`` (its demo-logins.txt gives the password).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mentalspace_desktop.store.engine import check_undamaged  # noqa: E402
from mentalspace_desktop.store.keyslots import KeySlots  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    user, _role, password, _secret = (args.data_dir / "demo-logins.txt").read_text().splitlines()[1].split("\t")
    slots = KeySlots.load(args.data_dir / "keyslots.json")
    database = args.data_dir / "store.db"
    unwraps, checks = [], []
    key = b""
    for _ in range(args.runs):
        started = time.perf_counter()
        key = slots.unwrap(user, password)[1]
        unwraps.append(time.perf_counter() - started)
        started = time.perf_counter()
        check_undamaged(database, key, slots.cipher_hmac)
        checks.append(time.perf_counter() - started)
    unwrap, check = statistics.median(unwraps), statistics.median(checks)
    print(f"store {database.stat().st_size / 1e6:.1f} MB")
    print(f"damage check (median of {args.runs}): {check * 1000:.0f} ms")
    print(f"one key-slot unwrap = one offline password guess (median): {unwrap * 1000:.0f} ms")
    print(f"ratio check/unwrap: {check / unwrap:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
