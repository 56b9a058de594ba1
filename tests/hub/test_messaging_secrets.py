"""The hub's messaging secrets at rest: sealed in the database under a key kept outside it.

On SQLite (the file read byte by byte, write-ahead log included) and PostgreSQL (the rows as stored):
no SMTP password or Twilio auth token in the clear; the key file is its owner's only; secrets saved in
the clear by an older hub are sealed at the next start; a hub started without the key keeps running
and refuses every send with words saying what is missing; a sealed value moved to another field does
not open.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.services.jobs import weekly_team_reports
from mentalspace_desktop.hub.settings import SECRETS_KEY_ENV, HubSettings
from mentalspace_desktop.services import messaging_settings as ms
from tests.hub.conftest import HubFixture, Template

PASSWORD = "app-password-3141-quiet"
TOKEN = "0123456789abcdef0123456789abcdef"


@contextmanager
def running(template: Template, settings: HubSettings) -> Iterator[HubFixture]:
    with TestClient(create_app(settings)) as client:
        yield HubFixture(settings, client, dict(template.users), dict(template.secrets))


@pytest.fixture
def database(template: Template) -> Iterator[str]:
    url, cleanup = template.make_copy()
    try:
        yield url
    finally:
        cleanup()


def _settings(tmp_path: Path, url: str) -> HubSettings:
    return HubSettings(tmp_path / "hub", database_url=url, run_jobs=False, events_poll_seconds=0.05)


def _save_both(hub: HubFixture) -> None:
    admin = hub.device("admin")
    saved = admin.hub.client.put("/v1/messaging/settings/smtp", headers=admin.headers, json={
        "host": "smtp.riverside.example", "port": 587, "username": "frontdesk", "password": PASSWORD,
        "sender": "Riverside Counseling <frontdesk@riverside.example>", "starttls": True})
    assert saved.status_code == 200, saved.text
    saved = admin.hub.client.put("/v1/messaging/settings/twilio", headers=admin.headers, json={
        "account_sid": "AC" + "b2" * 16, "auth_token": TOKEN, "from_number": "+1 404 555 0100"})
    assert saved.status_code == 200, saved.text


def _raw_secrets(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [str(v) for (v,) in conn.execute(text("SELECT secret FROM messaging_settings ORDER BY name"))]
    finally:
        engine.dispose()


def _raw_bytes(url: str) -> bytes:
    """Every byte of a SQLite hub database (main file and write-ahead log); b"" for PostgreSQL."""
    if not url.startswith("sqlite"):
        return b""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_secrets_are_sealed_in_the_database_and_open_on_the_hub(template: Template, database: str,
                                                                 tmp_path: Path) -> None:
    settings = _settings(tmp_path, database)
    with running(template, settings) as hub:
        _save_both(hub)
        assert hub.device("admin").get("/v1/messaging/settings").json()["problem"] is None
        with hub.session() as s:
            smtp, twilio = ms.hub_smtp_settings(s), ms.hub_twilio_settings(s)
        assert smtp is not None and smtp.password == PASSWORD and ms.locked_reason(smtp) is None
        assert twilio is not None and twilio.auth_token == TOKEN
    stored = _raw_secrets(database)
    assert len(stored) == 2 and all(v.startswith("sealed:v1:") for v in stored)
    assert not any(PASSWORD in v or TOKEN in v for v in stored)
    raw = _raw_bytes(database)
    assert PASSWORD.encode() not in raw and TOKEN.encode() not in raw
    if database.startswith("sqlite"):
        assert b"frontdesk@riverside.example" in raw  # the file really is read in the clear here
    assert stat.S_IMODE(settings.secrets_key_file.stat().st_mode) == 0o600
    assert len(bytes.fromhex(settings.secrets_key_file.read_text())) == 32


def test_clear_secrets_from_an_older_hub_are_sealed_at_start(template: Template, database: str,
                                                             tmp_path: Path) -> None:
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO messaging_settings (name, config, secret, updated_at) "
                          "VALUES ('twilio', :c, :s, CURRENT_TIMESTAMP)"),
                     {"c": '{"account_sid": "AC' + "b2" * 16 + '", "from_number": "+14045550100"}', "s": TOKEN})
    engine.dispose()
    with running(template, _settings(tmp_path, database)) as hub, hub.session() as s:
        twilio = ms.hub_twilio_settings(s)
        assert twilio is not None and twilio.auth_token == TOKEN
    assert _raw_secrets(database)[0].startswith("sealed:v1:") and TOKEN not in _raw_secrets(database)[0]


def test_a_hub_without_its_key_refuses_to_send_and_says_why(template: Template, database: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path, database)
    with running(template, settings) as hub:
        _save_both(hub)
    settings.secrets_key_file.unlink()
    monkeypatch.delenv(SECRETS_KEY_ENV, raising=False)
    with running(template, settings) as hub:
        assert not settings.secrets_key_file.exists()  # never re-made while sealed secrets wait for it
        admin = hub.device("admin")
        view = admin.get("/v1/messaging/settings").json()
        assert view["smtp"]["password_set"] and view["twilio"]["auth_token_set"]
        assert "secrets.key" in view["problem"] and SECRETS_KEY_ENV in view["problem"]  # the screen says it
        for path in ("/v1/messaging/test/email", "/v1/messaging/test/text"):
            answer = admin.post(path, json={"to": "+14045550123" if path.endswith("text") else "a@b.example"})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert not body["ok"] and "secrets.key" in body["message"] and SECRETS_KEY_ENV in body["message"]
        with hub.session() as s:
            smtp, twilio = ms.hub_smtp_settings(s), ms.hub_twilio_settings(s)
        assert smtp is not None and smtp.password == "" and ms.locked_reason(smtp)
        assert twilio is not None and twilio.auth_token == "" and ms.locked_reason(twilio)
        made = ms.channels(smtp, twilio)  # what the reminder job sends through
        assert set(made) == {"email", "sms", "voice"}
        with pytest.raises(SendFailed) as failed:
            made["sms"].send(Outgoing(key="k", channel="sms", to="+14045550123", text="Reminder"))
        assert not failed.value.permanent and "secrets.key" in failed.value.reason
        with hub.session() as s:
            line = weekly_team_reports(s)
        assert line.startswith("team reports: not sent") and "secrets.key" in line
        # Saving a new secret without the key is refused in words; nothing is half saved.
        refused = admin.hub.client.put("/v1/messaging/settings/smtp", headers=admin.headers, json={
            "host": "smtp.riverside.example", "port": 587, "username": "frontdesk", "password": "another-one-2718",
            "sender": "frontdesk@riverside.example", "starttls": True})
        assert refused.status_code == 422 and "secrets.key" in refused.text
    assert not any("another-one-2718" in v for v in _raw_secrets(database))


def test_the_key_may_come_from_the_environment(template: Template, database: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRETS_KEY_ENV, "ab" * 32)
    settings = HubSettings.load(tmp_path / "hub", database_url=database, run_jobs=False, events_poll_seconds=0.05)
    with running(template, settings) as hub:
        _save_both(hub)
    assert not settings.secrets_key_file.exists()
    monkeypatch.setenv(SECRETS_KEY_ENV, "cd" * 32)  # another key: the secrets do not open, and it says so
    other = HubSettings.load(tmp_path / "hub", database_url=database, run_jobs=False, events_poll_seconds=0.05)
    with running(template, other) as hub, hub.session() as s:
        smtp = ms.hub_smtp_settings(s)
        assert smtp is not None and "does not open" in (ms.locked_reason(smtp) or "")


def test_a_sealed_secret_moved_to_another_field_does_not_open(template: Template, database: str,
                                                              tmp_path: Path) -> None:
    with running(template, _settings(tmp_path, database)) as hub:
        _save_both(hub)
        engine: Any = hub.ctx.engine
        with engine.begin() as conn:
            token = conn.execute(text("SELECT secret FROM messaging_settings WHERE name = 'twilio'")).scalar_one()
            conn.execute(text("UPDATE messaging_settings SET secret = :s WHERE name = 'smtp'"), {"s": token})
        with hub.session() as s:
            smtp = ms.hub_smtp_settings(s)
        assert smtp is not None and smtp.password == "" and "SMTP" in (ms.locked_reason(smtp) or "")
