"""Messaging settings on the hub: administrators only, secrets never answered, tests sent from the hub."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.services.messaging_settings import hub_smtp_settings, hub_twilio_settings
from tests.hub.conftest import HubFixture
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer

TOKEN = "0123456789abcdef0123456789abcdef"


def _put(device: Any, path: str, body: dict[str, Any]) -> Any:
    return device.hub.client.put(path, json=body, headers=device.headers)


def test_administrator_saves_and_reads_without_secrets(hub: HubFixture) -> None:
    admin = hub.device("admin")
    assert admin.get("/v1/messaging/settings").json() == {"smtp": None, "twilio": None, "problem": None}
    saved = _put(admin, "/v1/messaging/settings/smtp", {
        "host": "smtp.riverside.example", "port": 587, "username": "frontdesk", "password": "app-password-3141",
        "sender": "Riverside Counseling <frontdesk@riverside.example>", "starttls": True})
    assert saved.status_code == 200, saved.text
    saved = _put(admin, "/v1/messaging/settings/twilio", {
        "account_sid": "AC" + "b2" * 16, "auth_token": TOKEN, "from_number": "+1 404 555 0100",
        "webhook_base": "https://hub.riverside.example"})
    assert saved.status_code == 200, saved.text
    body = admin.get("/v1/messaging/settings")
    assert "app-password-3141" not in body.text and TOKEN not in body.text
    data = body.json()
    assert data["smtp"]["password_set"] and data["twilio"]["auth_token_set"]
    assert data["twilio"]["from_number"] == "+14045550100"
    # Saving again without the secrets keeps them.
    assert _put(admin, "/v1/messaging/settings/twilio", {
        "account_sid": "AC" + "b2" * 16, "from_number": "+1 404 555 0199"}).status_code == 200
    with hub.session() as s:
        smtp, twilio = hub_smtp_settings(s), hub_twilio_settings(s)
    assert smtp is not None and smtp.password == "app-password-3141"
    assert twilio is not None and twilio.auth_token == TOKEN and twilio.from_number == "+14045550199"
    assert twilio.webhook_base == ""  # the address was not sent again: cleared, as the screen showed it


def test_other_roles_are_refused(hub: HubFixture) -> None:
    for role in ("front_desk", "clinician", "supervisor", "billing"):
        device = hub.device(role)
        assert device.get("/v1/messaging/settings").status_code == 403
        assert _put(device, "/v1/messaging/settings/smtp", {"host": "x.example"}).status_code == 403
        assert device.post("/v1/messaging/test/text", json={"to": "+14045550123"}).status_code == 403
    assert hub.client.get("/v1/messaging/settings").status_code == 401


def test_mistakes_are_named_and_nothing_is_saved(hub: HubFixture) -> None:
    admin = hub.device("admin")
    refused = _put(admin, "/v1/messaging/settings/twilio", {
        "account_sid": "nope", "auth_token": TOKEN, "from_number": "+14045550100",
        "webhook_base": "http://hub.riverside.example"})
    assert refused.status_code == 422
    assert refused.json()["fields"] == ["account_sid", "webhook_base"]
    assert "https://" in refused.json()["detail"]
    assert admin.get("/v1/messaging/settings").json()["twilio"] is None


def test_test_sends_go_from_the_hub(hub: HubFixture, fake_twilio: FakeTwilio, smtp_server: SmtpServer) -> None:
    admin = hub.device("admin")
    not_yet = admin.post("/v1/messaging/test/text", json={"to": "+14045550123"}).json()
    assert not not_yet["ok"] and "not set up" in not_yet["message"]
    assert _put(admin, "/v1/messaging/settings/twilio", {
        "account_sid": fake_twilio.account_sid, "auth_token": fake_twilio.auth_token,
        "from_number": "+14045550100", "api_base": fake_twilio.base_url}).status_code == 200
    sent = admin.post("/v1/messaging/test/text", json={"to": "+14045550123"}).json()
    assert sent["ok"], sent
    assert [m.form["To"] for m in fake_twilio.messages] == ["+14045550123"]
    assert _put(admin, "/v1/messaging/settings/smtp", {
        "host": smtp_server.host, "port": smtp_server.port, "sender": "frontdesk@riverside.example",
        "cafile": smtp_server.cafile}).status_code == 200
    mailed = admin.post("/v1/messaging/test/email", json={"to": "jordan@riverside.example"}).json()
    assert mailed["ok"], mailed
    assert smtp_server.received[0].recipients == ["jordan@riverside.example"]
