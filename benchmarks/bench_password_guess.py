"""One offline password guess against a key slot, with the production Argon2id parameters.

Someone holding the key file can skip the app (and its lockout) and try passwords against a slot
directly; every guess costs one Argon2id derivation plus an AES-GCM tag check. This measures that
cost on this machine and compares it with one SHA-256 of the same password (what an unhardened
scheme would cost), measured in the same run.

    .venv/bin/python benchmarks/bench_password_guess.py [--guesses 10]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.store.keyslots import DEFAULT_KDF, KeySlots, new_master_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        slots = KeySlots.create(Path(tmp) / "keyslots.json", "bench-store")
        slots.set_slot(username="clin", user_id="u1", password="Blue-Heron-Lantern-42", master_key=new_master_key())
        times = []
        for n in range(args.guesses):
            started = time.perf_counter()
            try:
                slots.open_slot("clin", f"Guess-Number-{n:06d}")
            except AuthenticationError:
                pass
            else:
                raise SystemExit("a wrong guess opened the slot")
            times.append(time.perf_counter() - started)
    per_guess = statistics.median(times)
    rounds = 200_000
    started = time.perf_counter()
    for n in range(rounds):
        hashlib.sha256(f"Guess-Number-{n:06d}".encode()).digest()
    sha = (time.perf_counter() - started) / rounds
    params = DEFAULT_KDF
    print(f"Argon2id t={params.time_cost} m={params.memory_cost_kib} KiB p={params.parallelism}")
    print(f"one offline guess against a key slot: {per_guess * 1000:.1f} ms "
          f"({1 / per_guess:.1f} guesses/s per guessing process on this machine)")
    print(f"one SHA-256 of the same password: {sha * 1e9:.0f} ns")
    print(f"ratio guess / SHA-256: {per_guess / sha:,.0f}x")


if __name__ == "__main__":
    main()
