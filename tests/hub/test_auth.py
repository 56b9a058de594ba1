"""Signing in to the hub: password + code, lockout, token expiry and forgery, refresh rotation, devices."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pyotp
from sqlalchemy import select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.services import totp
from mentalspace_desktop.store.models import BackupCode
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import PASSWORD, HubFixture


def login(
    hub: HubFixture,
    user: str,
    *,
    password: str = PASSWORD,
    code: str | None = None,
    device_id: str | None = None,
    offset: int = 0,
) -> object:
    code = code if code is not None else pyotp.TOTP(hub.secrets[user]).at(time.time() + offset)
    return hub.client.post(
        "/v1/auth/login",
        json={
            "username": user.replace("_", "."),
            "password": password,
            "code": code,
            "device_id": device_id or new_id(),
            "device_name": "Room 2 PC",
            "app_version": "0.1.0",
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_enrols_a_pending_device_that_may_only_ask_about_itself(hub: HubFixture) -> None:
    device_id = new_id()
    response = login(hub, "clinician", device_id=device_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["device_status"] == "pending" and body["expires_in"] == 900
    assert body["user"]["role"] == "clinician"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (
        claims["sub"] == hub.users["clinician"]
        and claims["dev"] == device_id
        and claims["role"] == "clinician"
    )
    headers = bearer(body["access_token"])
    me = hub.client.get("/v1/devices/me", headers=headers)
    assert me.json() == {
        "id": device_id,
        "status": "pending",
        "reason": None,
        "name": "Room 2 PC",
        "last_device_seq": 0,
        "has_key": False,
    }
    for path in ("/v1/sync/pull", "/v1/sync/log"):
        refused = hub.client.get(path, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "device_pending"

    admin = hub.device("admin")
    listed = admin.get("/v1/devices").json()
    assert any(
        d["id"] == device_id and d["status"] == "pending" and d["username"] == "clinician" for d in listed
    )
    assert admin.post(f"/v1/devices/{device_id}/approve").json()["status"] == "approved"
    assert hub.client.get("/v1/sync/pull", headers=headers).status_code == 200


def test_only_administrators_manage_devices(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    assert desk.get("/v1/devices").status_code == 403
    assert desk.post(f"/v1/devices/{desk.device_id}/approve").status_code == 403


def test_revoked_device_is_refused_on_every_call(hub: HubFixture) -> None:
    response = login(hub, "billing")
    tokens = response.json()
    device_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["dev"]
    admin = hub.device("admin")
    admin.post(f"/v1/devices/{device_id}/approve")
    revoked = admin.post(f"/v1/devices/{device_id}/revoke", json={"reason": "laptop stolen"})
    assert revoked.json()["status"] == "revoked"
    headers = bearer(tokens["access_token"])
    for method, path in (
        ("GET", "/v1/devices/me"),
        ("GET", "/v1/sync/pull"),
        ("POST", "/v1/sync/push"),
        ("GET", "/v1/sync/events"),
        ("POST", "/v1/handshake"),
    ):
        answer = hub.client.request(
            method, path, headers=headers, json={"changes": []} if method == "POST" else None
        )
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["code"] == "device_revoked" and answer.json()["reason"] == "laptop stolen"
    again = hub.client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device_id}
    )
    assert again.status_code in (401, 403)
    relogin = login(hub, "billing", device_id=device_id, offset=30)
    assert relogin.status_code == 403 and relogin.json()["code"] == "device_revoked"


def test_five_failures_lock_the_account_for_fifteen_minutes(hub: HubFixture) -> None:
    for attempt in range(1, 6):
        answer = login(hub, "supervisor", password="wrong-password-123")
        assert answer.status_code == 401
        assert answer.json()["code"] == ("account_locked" if attempt == 5 else "invalid_credentials")
    assert "locked until" in answer.json()["detail"]
    right = login(hub, "supervisor")
    assert right.status_code == 401 and right.json()["code"] == "account_locked"


def test_a_wrong_code_counts_and_a_success_resets_the_count(hub: HubFixture) -> None:
    for _ in range(4):
        assert login(hub, "front_desk", code="000000").status_code == 401
    assert login(hub, "front_desk").status_code == 200
    assert login(hub, "front_desk", code="000000").json()["code"] == "invalid_credentials"


def test_a_one_time_code_cannot_be_used_twice_but_a_backup_code_works_once(hub: HubFixture) -> None:
    code = totp.current_code(hub.secrets["admin"])
    assert login(hub, "admin", code=code).status_code == 200
    assert login(hub, "admin", code=code).status_code == 401
    backup = "abcd-efgh"
    with hub.session() as s, s.begin():
        s.add(
            BackupCode(
                user_id=hub.users["admin"], code_hash=totp.backup_code_hash(hub.users["admin"], backup)
            )
        )
    assert login(hub, "admin", code=backup).status_code == 200
    assert login(hub, "admin", code=backup).status_code == 401
    with hub.session() as s:
        used = s.scalars(select(BackupCode).where(BackupCode.user_id == hub.users["admin"])).one()
    assert used.used_at is not None and used.server_seq is not None  # synced: spent on every desktop too


def test_unknown_user_and_inactive_account(hub: HubFixture) -> None:
    answer = hub.client.post(
        "/v1/auth/login",
        json={"username": "nobody", "password": PASSWORD, "code": "123456", "device_id": new_id()},
    )
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_credentials"


def test_expired_and_forged_tokens_are_refused(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    key = hub.ctx.signing_key
    expired = auth.issue_access_token(
        key,
        user_id=desk.user_id,
        device_id=desk.device_id,
        role="front_desk",
        seconds=900,
        now=utcnow() - timedelta(minutes=16),
    )
    answer = hub.client.get("/v1/sync/pull", headers=bearer(expired))
    assert answer.status_code == 401 and answer.json()["code"] == "token_expired"
    forged = auth.issue_access_token(
        "0" * 64, user_id=hub.users["admin"], device_id=desk.device_id, role="admin", seconds=900
    )
    answer = hub.client.get("/v1/devices", headers=bearer(forged))
    assert answer.status_code == 401 and answer.json()["code"] == "token_invalid"
    unsigned = jwt.encode(
        {"sub": hub.users["admin"], "dev": desk.device_id, "typ": "access", "exp": int(time.time()) + 60},
        key="",
        algorithm="none",
    )
    assert hub.client.get("/v1/devices", headers=bearer(unsigned)).status_code == 401
    assert hub.client.get("/v1/sync/pull").status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(hub: HubFixture) -> None:
    device_id = new_id()
    first = login(hub, "other_clinician", device_id=device_id).json()
    second = hub.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": device_id}
    )
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert hub.client.get("/v1/devices/me", headers=bearer(rotated["access_token"])).status_code == 200
    wrong_device = hub.client.post(
        "/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"], "device_id": new_id()}
    )
    assert wrong_device.status_code == 401
    reuse = hub.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": device_id}
    )
    assert reuse.status_code == 401 and reuse.json()["code"] == "refresh_reused"
    # the thief's reuse ended the whole sign-in: the newest token is dead too
    after = hub.client.post(
        "/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"], "device_id": device_id}
    )
    assert after.status_code == 401
