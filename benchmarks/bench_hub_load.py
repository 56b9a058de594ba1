"""One practice hub under 100 workstations syncing at once: per-request latency of push and pull.

Setup: a hub database (PostgreSQL by default, ``--sqlite`` for a SQLite file) seeded with a practice
(an administrator and a few clinicians) and ``--clients`` existing clients; ``--hubs`` (default 2)
``mentalspace-hub serve`` processes on loopback ports over that one database; ``--devices`` (default
100) approved devices, each with its own access token (10 % administrators, the rest clinicians,
so most pulls are filtered by scope), each starting from a cursor at the current watermark as if it
had already synced. Devices are spread over the hub processes round-robin.

Baseline phase (``--baseline-seconds``): the same number of concurrent workers doing nothing but
``GET /health``. Load phase (``--seconds``, default 30): every device loops push-then-pull: it pushes
a small batch (two new clients and one edit of a client it made earlier), then pulls every page up
to the watermark. At most ``--concurrency`` requests are in flight at once (asyncio + httpx);
latency is measured per request from send to full response. Prints count, errors (any non-2xx or
transport failure; rejected changes are counted separately), throughput and p50/p95/p99 per kind,
the /health baseline and the ratio (goal: p99 < 250 ms, no errors). Shared machine: noisy figures.

    .venv/bin/python benchmarks/bench_hub_load.py [--sqlite] [--seconds 30] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

try:  # the load generator's own cost: httpcore tries ``import sniffio`` on every request
    import sniffio  # noqa: F401
except ImportError:  # not installed (anyio no longer needs it): fail that import at once, not
    sys.modules["sniffio"] = None  # type: ignore[assignment]  # after a search of sys.path each time

import _hubproc as hp
import httpx

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.store.sync_models import Device
from mentalspace_desktop.store.types import utcnow
from mentalspace_desktop.sync.protocol import Cursor

GOAL_P99_MS = 250.0


@dataclass
class SimDevice:
    id: str
    user_id: str
    role: Role
    token: str
    hub: int
    cursor: str
    clinician: str | None  # whose caseload its new clients join
    seq: int = 0
    mine: list[tuple[str, int]] = field(default_factory=list)  # (client id, server_seq) it made


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"push": [], "pull": [], "health": []})
    errors: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    rows_pulled: int = 0


def prepare(db_url: str, template: hp.Template, devices: int, clients: int) -> tuple[list[SimDevice], str]:
    """Seed the hub database, enroll the devices, issue their tokens; returns them and the schema."""
    hp.seed_hub(db_url, template)
    if clients:
        hp.load_clients(db_url, clients, template.clinician_ids)
    engine = db.make_engine(db_url)
    try:
        with db.session_factory(engine)() as s, s.begin():
            key = db.get_setting(s, db.SIGNING_KEY) or ""
            epoch = db.get_setting(s, db.EPOCH) or ""
            watermark = repo.committed_seq(s)
            made: list[SimDevice] = []
            for i in range(devices):
                admin = i % 10 == 0
                user = template.admin_id if admin else template.clinician_ids[i % len(template.clinician_ids)]
                role = Role.ADMIN if admin else Role.CLINICIAN
                device_id = new_id()
                s.add(
                    Device(
                        id=device_id,
                        name=f"load desk {i}",
                        enrolled_by=user,
                        status="approved",
                        created_at=utcnow(),
                        approved_at=utcnow(),
                        last_device_seq=0,
                    )
                )
                token = auth.issue_access_token(
                    key, user_id=user, device_id=device_id, role=role.value, seconds=3600
                )
                clinician = random.Random(i).choice(template.clinician_ids) if admin else user
                made.append(
                    SimDevice(device_id, user, role, token, 0, Cursor(epoch, watermark).encode(), clinician)
                )
    finally:
        engine.dispose()
    from mentalspace_desktop.store import migrate

    return made, str(migrate.head_revision())


def new_client(device: SimDevice, schema: str) -> dict[str, Any]:
    device.seq += 1
    last = random.choice(["Okafor", "Nguyen", "Patel", "Rivera", "Kim", "Smith"])
    row = {
        "id": new_id(),
        "chart_number": "L" + uuid.uuid4().hex[:12],
        "first_name": "Load",
        "last_name": last,
        "dob": date(1980 + device.seq % 30, 1 + device.seq % 12, 1).isoformat(),
        "preferred_language": "English",
        "status": "active",
        "primary_clinician_id": device.clinician,
        "uses_telehealth": False,
        "last_key": last.lower(),
        "first_key": "load",
        "deleted": False,
    }
    return {
        "device_seq": device.seq,
        "change_id": new_id(),
        "table": "clients",
        "row_id": row["id"],
        "op": "insert",
        "base_server_seq": None,
        "changes": {k: [None, v] for k, v in row.items()},
        "schema_version": schema,
    }


def edit_client(device: SimDevice, schema: str) -> dict[str, Any] | None:
    if not device.mine:
        return None
    device.seq += 1
    row_id, base = random.choice(device.mine)
    city = random.choice(["Atlanta", "Decatur", "Marietta", "Athens"])
    return {
        "device_seq": device.seq,
        "change_id": new_id(),
        "table": "clients",
        "row_id": row_id,
        "op": "update",
        "base_server_seq": base,
        "changes": {"city": [None, city]},
        "schema_version": schema,
    }


async def timed(kind: str, tally: Tally, limit: asyncio.Semaphore, call: Any) -> httpx.Response | None:
    async with limit:
        t0 = time.perf_counter()
        try:
            response = await call()
        except httpx.HTTPError as exc:
            tally.errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        took = time.perf_counter() - t0
    tally.latencies[kind].append(took)
    if response.status_code >= 300:
        tally.errors[f"{kind}: HTTP {response.status_code}"] += 1
        return None
    return response


async def device_loop(
    device: SimDevice,
    http: httpx.AsyncClient,
    schema: str,
    tally: Tally,
    limit: asyncio.Semaphore,
    deadline: float,
) -> None:
    headers = {"Authorization": f"Bearer {device.token}"}
    while time.perf_counter() < deadline:
        batch = [new_client(device, schema), new_client(device, schema)]
        edit = edit_client(device, schema)
        if edit:
            batch.append(edit)
        pushed = await timed(
            "push",
            tally,
            limit,
            lambda b=batch: http.post("/v1/sync/push", json={"changes": b}, headers=headers),
        )
        if pushed is not None:
            for change, result in zip(batch, pushed.json()["results"], strict=True):
                tally.outcomes[result["outcome"]] += 1
                if change["op"] == "insert" and result.get("server_seq"):
                    device.mine.append((change["row_id"], int(result["server_seq"])))
                elif change["op"] == "update" and result.get("server_seq"):
                    device.mine = [
                        (r, int(result["server_seq"]) if r == change["row_id"] else s) for r, s in device.mine
                    ]
            device.mine = device.mine[-20:]
        for _ in range(20):  # every page up to the watermark (bounded)
            if time.perf_counter() >= deadline:
                return
            params = {"cursor": device.cursor, "limit": 1000}
            got = await timed(
                "pull", tally, limit, lambda p=params: http.get("/v1/sync/pull", params=p, headers=headers)
            )
            if got is None:
                break
            page = got.json()
            tally.rows_pulled += len(page["rows"])
            device.cursor = page["cursor"]
            if not page["more"]:
                break


async def health_loop(
    http: httpx.AsyncClient, tally: Tally, limit: asyncio.Semaphore, deadline: float
) -> None:
    while time.perf_counter() < deadline:
        await timed("health", tally, limit, lambda: http.get("/health"))


async def drive(
    urls: list[str],
    devices: list[SimDevice],
    schema: str,
    *,
    seconds: float,
    baseline_seconds: float,
    concurrency: int,
) -> tuple[Tally, float, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=u, limits=limits, timeout=httpx.Timeout(30.0)) for u in urls]
    tally = Tally()
    try:
        limit = asyncio.Semaphore(concurrency)
        # baseline: the same number of concurrent workers, /health only, spread over the hubs
        deadline = time.perf_counter() + baseline_seconds
        await asyncio.gather(
            *(health_loop(clients[i % len(clients)], tally, limit, deadline) for i in range(concurrency))
        )
        t0 = time.perf_counter()
        deadline = t0 + seconds
        await asyncio.gather(
            *(device_loop(d, clients[d.hub], schema, tally, limit, deadline) for d in devices)
        )
        load_elapsed = time.perf_counter() - t0
    finally:
        for c in clients:
            await c.aclose()
    return tally, baseline_seconds, load_elapsed


def summary(name: str, values: list[float], elapsed: float) -> str:
    if not values:
        return f"{name:<7} no requests"
    ms = [v * 1000 for v in values]
    return (
        f"{name:<7}{len(ms):>7} req {len(ms) / elapsed:7.1f}/s  p50 {hp.percentile(ms, 50):7.1f}  "
        f"p95 {hp.percentile(ms, 95):7.1f}  p99 {hp.percentile(ms, 99):7.1f}  max {max(ms):7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a SQLite hub database instead of PostgreSQL")
    parser.add_argument("--hubs", type=int, default=2, help="hub processes over the one database")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--clients", type=int, default=5000, help="clients already on the hub")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at most")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    random.seed(11)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ms-bench-load-")))
        template = hp.make_template(tmp / "template")
        (tmp / "hub").mkdir()
        db_url = hp.hub_sqlite_url(tmp / "hub") if args.sqlite else stack.enter_context(hp.pg_database())
        devices, schema = prepare(db_url, template, args.devices, args.clients)
        hubs = [
            stack.enter_context(
                hp.HubProcess(tmp / "hub", database_url=None if args.sqlite else db_url, name=f"hub{i}")
            )
            for i in range(args.hubs)
        ]
        for device, hub in zip(devices, itertools.cycle(range(len(hubs)))):
            device.hub = hub
        tally, base_s, load_s = asyncio.run(
            drive(
                [h.url for h in hubs],
                devices,
                schema,
                seconds=args.seconds,
                baseline_seconds=args.baseline_seconds,
                concurrency=args.concurrency,
            )
        )
        alive = all(h.process is not None and h.process.poll() is None for h in hubs)
    sync_lat = tally.latencies["push"] + tally.latencies["pull"]
    print(
        f"hub: {args.hubs} process(es) on {'SQLite' if args.sqlite else 'PostgreSQL'}, "
        f"{args.devices} devices, "
        f"{args.clients:,} clients preloaded, at most {args.concurrency} requests in flight; "
        f"hubs still running at the end: {alive}"
    )
    print(summary("health", tally.latencies["health"], base_s) + f"   (baseline phase, {base_s:.0f} s)")
    print(summary("push", tally.latencies["push"], load_s))
    print(summary("pull", tally.latencies["pull"], load_s))
    print(summary("all", sync_lat, load_s) + f"   (load phase, {load_s:.0f} s)")
    errors = sum(tally.errors.values())
    print(
        f"errors: {errors}"
        + (f" {dict(tally.errors)}" if errors else "")
        + f"; push outcomes: {dict(tally.outcomes)}; rows pulled: {tally.rows_pulled:,}"
    )
    if not sync_lat or not tally.latencies["health"]:
        print("no measurements: misses the goal")
        return 0
    p99 = hp.percentile(sync_lat, 99) * 1000
    h99 = hp.percentile(tally.latencies["health"], 99) * 1000
    print(
        f"push+pull p99 {p99:.1f} ms vs /health p99 {h99:.1f} ms under the same concurrency: {p99 / h99:.1f}x"
    )
    verdict = "meets" if p99 < GOAL_P99_MS and errors == 0 else "misses"
    print(f"p99 {p99:.0f} ms (goal < {GOAL_P99_MS:.0f} ms), {errors} errors (goal 0): {verdict} the goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
