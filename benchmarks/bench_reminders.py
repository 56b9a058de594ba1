"""10,000 text reminders due in the same minute: how long to hand them all to the provider.

Setup: the Twilio-speaking server of the tests (``tests/support/fake_twilio.py``: form-encoded create
requests, basic auth, JSON answers, idempotency tokens) in a process of its own on loopback.

Measured, in the same run and against the same server:

- **the text channel**: ``TwilioSmsChannel.send`` for ``--reminders`` distinct reminders (default
  10,000) from a pool of ``--threads`` sender threads sharing one channel — the real ``twilio`` client
  with its pooled, kept-alive connections, the idempotency token on each request, the answer parsed
  into an ``Accepted``;
- **the baseline**: the same number of raw HTTP posts of the same form (``http.client``, one kept-alive
  connection per thread, the same number of threads), i.e. the time the server itself needs to accept
  that many requests.

The reminders go in ``--rounds`` rounds (default 5), each followed by as many raw posts, so that both
see the same load on a shared machine. Prints both totals, the ratio (overall and per round), and
whether a minute's worth was handed over within the minute.

    .venv/bin/python benchmarks/bench_reminders.py [--reminders 10000] [--threads 8]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing as mp
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as ``.venv/bin/python benchmarks/bench_reminders.py`` from the repo root
    sys.path.insert(0, str(REPO))

from mentalspace_desktop.domain.reminders.outgoing import Outgoing  # noqa: E402
from mentalspace_desktop.integrations.twilio_rest import TwilioSettings  # noqa: E402
from mentalspace_desktop.integrations.twilio_sms import TwilioSmsChannel  # noqa: E402

SID = "AC" + "5e" * 16
TOKEN = "0123456789abcdef" * 2
FROM = "+14045550100"
BODY = ("Hi Ana, a reminder of your appointment with Dr. Rivera on Tue, Mar 10 at 9:00 AM. "
        "Reply Y to confirm, C to cancel.")


def _serve(conn: Connection) -> None:
    """The server process: start, say where, answer "count" until told "stop"."""
    from tests.support.fake_twilio import FakeTwilio

    fake = FakeTwilio(account_sid=SID, auth_token=TOKEN, price="-0.00790").start()
    conn.send(fake.base_url)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send((fake.served, len(fake.messages)))
        else:
            fake.stop()
            conn.send("stopped")
            return


def _number(i: int) -> str:
    return f"+1404{2000000 + i:07d}"


def raw_posts(base_url: str, n: int, threads: int) -> float:
    """Seconds for ``n`` bare create requests over ``threads`` kept-alive connections."""
    parts = urlsplit(base_url)
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()

    def worker(ids: range) -> int:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        for i in ids:
            body = urlencode({"To": _number(i), "From": FROM, "Body": BODY})
            conn.request("POST", path, body=body, headers={
                "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            assert response.status == 201, response.status
        conn.close()
        return len(ids)

    chunks = [range(i, n, threads) for i in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        done = sum(pool.map(worker, chunks))
    assert done == n
    return time.perf_counter() - started


def channel_sends(channel: TwilioSmsChannel, n: int, threads: int, *, run: str) -> float:
    """Seconds for ``n`` reminders through the text channel from ``threads`` sender threads."""
    messages = [Outgoing(key=f"{run}-appt-{i}|2h|sms", channel="sms", to=_number(i), text=BODY) for i in range(n)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        accepted = list(pool.map(channel.send, messages))
    elapsed = time.perf_counter() - started
    assert len({a.provider_id for a in accepted}) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5,
                        help="the reminders are sent in this many rounds, each followed by as many raw posts: on "
                             "a shared machine both then see the same load")
    args = parser.parse_args()
    n, threads, rounds = args.reminders, args.threads, max(1, args.rounds)
    sizes = [n // rounds + (1 if r < n % rounds else 0) for r in range(rounds)]
    ours, theirs = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    try:
        base_url = ours.recv()
        # One channel, made before the clock starts, as a running hub keeps it.
        channel = TwilioSmsChannel(TwilioSettings(SID, TOKEN, FROM, "https://hub.riverside.example",
                                                  api_base=base_url, timeout=30.0), pool_size=threads)
        channel_sends(channel, 200, threads, run="warm-up")  # warm up both sides (imports, first connections)
        raw_posts(base_url, 200, threads)
        raw = ours_time = 0.0
        ratios: list[float] = []
        for number, size in enumerate(sizes):
            ours.send("count")
            before = ours.recv()
            sent = channel_sends(channel, size, threads, run=f"round-{number}")
            ours.send("count")
            after = ours.recv()
            assert after[1] - before[1] == size, "every reminder reached the server exactly once"
            posted = raw_posts(base_url, size, threads)
            ours_time, raw = ours_time + sent, raw + posted
            ratios.append(sent / posted)
        channel.close()
    finally:
        ours.send("stop")
        ours.recv()
        server.join(10)
    print(f"{n:,} text reminders due in the same minute, {threads} sender threads, server on loopback")
    print(f"  raw HTTP posts (the server's own pace):    {raw:6.2f} s  ({n / raw:,.0f} requests/s)")
    print(f"  TwilioSmsChannel.send (twilio client):      {ours_time:6.2f} s  ({n / ours_time:,.0f} reminders/s)")
    print(f"  ratio: {ours_time / raw:.2f}x the raw posts (per round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}x); "
          f"{'within' if ours_time < 60 else 'NOT within'} the minute they were due")
    print(f"  command: .venv/bin/python benchmarks/bench_reminders.py --reminders {n} --threads {threads} "
          f"--rounds {rounds}")


if __name__ == "__main__":
    main()
