"""Hub processes starting at once with no secrets key yet: each ends up with the same key, and none
reads the key file while another is still writing it (which failed that hub's start)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from mentalspace_desktop.hub.settings import HubSettings


def _start(data_dir: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue[str]) -> None:
    settings = HubSettings(data_dir=Path(data_dir))
    barrier.wait()
    try:
        key = settings.secrets_key() or settings.make_secrets_key()
        out.put(key.hex())
    except Exception as exc:  # noqa: BLE001  (reported to the test)
        out.put(f"error: {exc}")


def test_hubs_starting_together_share_one_complete_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(15):
        data_dir = tmp_path / str(round_)
        barrier = context.Barrier(6)
        out: multiprocessing.Queue[str] = context.Queue()
        workers = [context.Process(target=_start, args=(str(data_dir), barrier, out)) for _ in range(6)]
        for w in workers:
            w.start()
        got = [out.get(timeout=20) for _ in workers]
        for w in workers:
            w.join(timeout=20)
        assert not [g for g in got if g.startswith("error")], got
        assert len(set(got)) == 1
        assert (data_dir / "secrets.key").stat().st_mode & 0o077 == 0
