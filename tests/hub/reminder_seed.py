"""A hub database ready for reminders: an appointment type, a client with a mobile number and SMS
consent, a practice rule, and appointments — written as the hub writes (numbered, in the change log)."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import Engine, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.reminders.outgoing import Accepted, ChannelName, Outgoing, SendFailed
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.store.models import Client, Practice
from mentalspace_desktop.store.reminder_models import ReminderRule
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType, BusyBlock, ContactPreference

MOBILE = "+14045550101"
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Seeded:
    client_id: str
    type_id: str
    appointments: list[str]


def seed_reminders(engine: Engine, users: dict[str, str], *, starts: list[datetime], mobiles: int = 1,
                   channels: str = "sms,voice", email: str | None = None) -> Seeded:
    """Clients (one per mobile number) with SMS and voice consent, a practice rule (2 days and 2 hours
    before) and one appointment per start (clients taken in turn)."""
    with db.session_factory(engine)() as s, s.begin():
        repo.lock_writes(s)
        kind = AppointmentType(id=new_id(), name="Individual therapy", category="individual", default_minutes=50,
                               buffer_before=0, buffer_after=0, color="#4a7bd0", telehealth_allowed=True,
                               needs_cosign=False, active=True)
        rule = ReminderRule(id=new_id(), type_id=None, offsets="2880,120", channels=channels, active=True)
        clients = []
        practice = s.scalars(select(Practice)).one()
        practice.phone = "(404) 555-0100"
        writes = [repo.stamp(s, practice, op="update", user_id=None, device_id=None),
                  repo.stamp(s, kind, op="insert", user_id=None, device_id=None),
                  repo.stamp(s, rule, op="insert", user_id=None, device_id=None)]
        for n in range(mobiles):
            c = Client(id=new_id(), chart_number=f"MS-{n:04d}", first_name=f"Lucia{n}" if n else "Lucia",
                       last_name="Moreno", dob=date(1990, 1, 1), phone_mobile=f"+1404555{n + 101:04d}", email=email,
                       preferred_language="English", status="active", primary_clinician_id=users["clinician"],
                       uses_telehealth=False, last_key="moreno", first_key="lucia")
            pref = ContactPreference(id=new_id(), client_id=c.id, channel="", allow_sms=True, allow_email=True,
                                     allow_voice=True, reminder_hours=24, leave_voicemail=False,
                                     sms_consent_at=datetime(2026, 1, 5, tzinfo=UTC), sms_consent_source="intake",
                                     voice_consent_at=datetime(2026, 1, 5, tzinfo=UTC),
                                     voice_consent_source="intake")
            clients.append(c.id)
            writes.append(repo.stamp(s, c, op="insert", user_id=None, device_id=None))
            s.flush()
            writes.append(repo.stamp(s, pref, op="insert", user_id=None, device_id=None))
        s.flush()  # clients before their appointments (no relationship() orders them)
        ids = []
        for i, start in enumerate(starts):
            a = Appointment(id=new_id(), client_id=clients[i % len(clients)], provider_id=users["clinician"],
                            type_id=kind.id, start_local=start.astimezone(NEW_YORK).replace(tzinfo=None),
                            time_zone="America/New_York", start_at=start, end_at=start + timedelta(minutes=50),
                            status="scheduled", confirmation="unconfirmed", telehealth=False)
            b = BusyBlock(id=a.id, provider_id=a.provider_id, start_at=a.start_at, end_at=a.end_at, kind="appointment",
                          active=True)
            writes += [repo.stamp(s, a, op="insert", user_id=None, device_id=None),
                       repo.stamp(s, b, op="insert", user_id=None, device_id=None)]
            ids.append(a.id)
        s.flush()
        repo.number_writes(s, writes)
    return Seeded(clients[0], kind.id, ids)


class RecordingChannel:
    """Stands in for the provider (Twilio): records each message it is handed and answers with an id."""

    _ids = itertools.count(1)

    def __init__(self, name: ChannelName, fail_with: list[SendFailed] | None = None) -> None:
        self.name: ChannelName = name
        self.sent: list[Outgoing] = []
        self.fail_with = fail_with or []

    def send(self, message: Outgoing) -> Accepted:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(message)
        prefix = "CA" if self.name == "voice" else "SM"
        return Accepted(f"{prefix}{next(self._ids):032d}", "queued", 1)


class ProviderRecorder:
    """A loopback HTTP server standing in for the provider for hub processes: every message a hub
    process sends is POSTed here (by :class:`HttpChannel`), so the test sees all processes' sends."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with recorder._lock:
                    recorder.received.append(body)
                    sid = f"SM{len(recorder.received):032d}"
                answer = json.dumps({"sid": sid}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ProviderRecorder:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HttpChannel:
    """Stands in for the provider in a hub process: hands each message to :class:`ProviderRecorder`."""

    def __init__(self, name: ChannelName, url: str) -> None:
        self.name: ChannelName = name
        self.url = url

    def send(self, message: Outgoing) -> Accepted:
        answer = requests.post(self.url, json={"key": message.key, "to": message.to, "channel": message.channel},
                               timeout=10)
        return Accepted(answer.json()["sid"], "queued", 1)


SERVE = """
import sys
from pathlib import Path
import uvicorn
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.settings import HubSettings
settings = HubSettings.load(Path(sys.argv[1]), run_jobs=False, events_poll_seconds=0.2)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def hub_process(data_dir: Path, port: int) -> Iterator[str]:
    """A real hub (uvicorn, this checkout's code) serving ``data_dir`` on loopback; yields its URL."""
    log_path = data_dir / "hub.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVE, str(data_dir), str(port)], cwd=REPO,
                                   stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(base + "/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(10)
