"""Accounts: TOTP against RFC 6238 and oathtool, signing in, lockout, passwords, MFA resets, audit."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import (
    AccountInactive,
    AccountLocked,
    AuthenticationError,
    ValidationError,
)
from mentalspace_desktop.services import accounts, totp
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser
from mentalspace_desktop.services.audit import AuditFilter, AuditService
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.keyslots import KdfParams, KeySlots
from mentalspace_desktop.store.models import AuditEntry, User
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture

CHEAP = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)
NEW_PASSWORD = "Granite-Otter-Meadow-83"
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


# -- TOTP ------------------------------------------------------------------------------------------


def rfc_vectors(shared_data: Path) -> dict:
    path = shared_data / "totp" / "rfc6238_test_vectors.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())


def test_rfc6238_vectors_with_pyotp(shared_data: Path) -> None:
    data = rfc_vectors(shared_data)
    digits = data["params"]["digits"]
    assert len(data["vectors"]) >= 18
    for v in data["vectors"]:
        secret = data["secrets"][v["algorithm"]]["base32"]
        gen = pyotp.TOTP(
            secret, digits=digits, digest=DIGESTS[v["algorithm"]], interval=data["params"]["X_step_seconds"]
        )
        assert gen.at(v["unix_time"]) == v["totp"], v
        assert gen.timecode(datetime.fromtimestamp(v["unix_time"], UTC)) == int(v["T_hex"], 16)


def test_rfc6238_sha1_vectors_with_our_totp(shared_data: Path) -> None:
    """Our six-digit codes are the RFC's eight-digit values mod 10**6 at the same time step."""
    data = rfc_vectors(shared_data)
    sha1 = [v for v in data["vectors"] if v["algorithm"] == "SHA1"]
    assert len(sha1) == 6
    secret = data["secrets"]["SHA1"]["base32"]
    for v in sha1:
        t = v["unix_time"]
        assert totp.matching_step(secret, v["totp"][-6:], now=t, window=0) == int(v["T_hex"], 16), v
        assert totp.matching_step(secret, v["totp"][-6:], now=t + 30) == int(v["T_hex"], 16)  # one step late
        assert totp.matching_step(secret, v["totp"][-6:], now=t + 90) is None  # three steps late
        wrong = f"{(int(v['totp'][-6:]) + 1) % 1_000_000:06d}"
        assert totp.matching_step(secret, wrong, now=t, window=0) is None


def oathtool(*args: str) -> str:
    exe = shutil.which("oathtool")
    if exe is None:
        pytest.skip("oathtool is not installed (Debian package oathtool; .ci/run installs it)")
    return subprocess.run([exe, *args], check=True, capture_output=True, text=True, timeout=10).stdout.strip()


def test_our_secrets_work_with_oathtool() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32
    code = oathtool("--totp", "-b", secret)
    assert len(code) == 6 and code.isdigit()
    assert totp.matching_step(secret, code) is not None
    # and at fixed instants, both ways
    for t in (59, 1111111109, 1234567890, 2000000000):
        theirs = oathtool("--totp", "-b", "-N", f"@{t}", secret)
        assert totp.matching_step(secret, theirs, now=t, window=0) == t // 30
        assert pyotp.TOTP(secret).at(t) == theirs


def test_provisioning_uri_names_the_issuer_and_user() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, username="clin", practice="Peachtree Counseling")
    assert uri.startswith("otpauth://totp/")
    assert "issuer=MentalSpace" in uri and f"secret={secret}" in uri and "clin" in uri


def test_backup_codes_are_distinct_and_readable() -> None:
    codes = totp.new_backup_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert len(code) == 9 and code[4] == "-" and totp.looks_like_backup_code(code)
        assert not set(code) & set("01ilo")
    assert not totp.looks_like_backup_code("12345678")


# -- signing in ------------------------------------------------------------------------------------


def sign_in(
    practice: PracticeFixture,
    username: str,
    password: str,
    secret: str | None = None,
    *,
    now: float | None = None,
) -> UserSession:
    auth = Authenticator(practice.files)
    pending = auth.begin(username, password)
    t = time.time() if now is None else now
    code = pyotp.TOTP(secret or practice.admin_totp_secret).at(t)
    return auth.complete(pending, code, now=t)


def audit_actions(practice: PracticeFixture, **flt: object) -> list[AuditEntry]:
    return AuditService(practice.admin).entries(AuditFilter(**flt))  # type: ignore[arg-type]


def test_sign_in_with_password_and_code(practice: PracticeFixture) -> None:
    session = sign_in(practice, "admin", ADMIN_PASSWORD)
    try:
        assert session.actor.role is Role.ADMIN and session.actor.username == "admin"
    finally:
        session.close()
    logins = audit_actions(practice, action="login")
    assert [e.username for e in logins] == ["admin"]
    assert "authenticator code" in logins[0].summary


def test_code_from_oathtool_signs_in(practice: PracticeFixture) -> None:
    code = oathtool("--totp", "-b", practice.admin_totp_secret)
    auth = Authenticator(practice.files)
    session = auth.complete(auth.begin("admin", ADMIN_PASSWORD), code)
    session.close()


def test_wrong_code_is_refused_and_audited(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    pending = auth.begin("admin", ADMIN_PASSWORD)
    t = time.time()
    wrong = f"{(int(pyotp.TOTP(practice.admin_totp_secret).at(t)) + 1) % 1_000_000:06d}"
    try:
        with pytest.raises(AuthenticationError, match="code is not correct"):
            auth.complete(pending, wrong, now=t)
    finally:
        pending.cancel()
    assert [e.summary for e in audit_actions(practice, action="login_failed")] == ["wrong one-time code"]


def test_replayed_code_is_refused(practice: PracticeFixture) -> None:
    t = time.time()
    sign_in(practice, "admin", ADMIN_PASSWORD, now=t).close()
    auth = Authenticator(practice.files)
    pending = auth.begin("admin", ADMIN_PASSWORD)
    try:
        with pytest.raises(AuthenticationError):
            auth.complete(pending, pyotp.TOTP(practice.admin_totp_secret).at(t), now=t)
        with pytest.raises(AuthenticationError):  # nor an older code still inside the window
            auth.complete(pending, pyotp.TOTP(practice.admin_totp_secret).at(t - 30), now=t)
        session = auth.complete(pending, pyotp.TOTP(practice.admin_totp_secret).at(t + 30), now=t + 30)
        session.close()
    finally:
        pending.cancel()


def test_backup_code_works_once(practice: PracticeFixture) -> None:
    code = practice.backup_codes[0]
    auth = Authenticator(practice.files)
    session = auth.complete(auth.begin("admin", ADMIN_PASSWORD), code.upper().replace("-", " "))
    session.close()
    assert "backup code" in audit_actions(practice, action="login")[0].summary
    pending = auth.begin("admin", ADMIN_PASSWORD)
    try:
        with pytest.raises(AuthenticationError):
            auth.complete(pending, code)
        auth.complete(pending, practice.backup_codes[1]).close()
    finally:
        pending.cancel()


def test_wrong_password_counts_and_the_fifth_locks(
    practice: PracticeFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = Authenticator(practice.files)
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationError, match="incorrect") as info:
            auth.begin("clin", "Wrong-Password-123")
        assert not isinstance(info.value, AccountLocked)
        assert "5 failed attempts" in info.value.message
        assert KeySlots.load(practice.files.key_slots).attempts("clin").attempts_left() == left
    with pytest.raises(AccountLocked, match="locked until") as locked:
        auth.begin("clin", "Wrong-Password-123")
    until = locked.value.until
    assert isinstance(until, datetime)
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    with pytest.raises(AccountLocked):  # the right password does not help while locked
        auth.begin("clin", PASSWORD)
    # others are not affected
    auth.begin("oclin", PASSWORD).cancel()

    # fifteen minutes later the lock has expired
    monkeypatch.setattr(accounts, "_now", lambda: datetime.now(UTC) + timedelta(minutes=15, seconds=1))
    pending = auth.begin("clin", PASSWORD)
    pending.cancel()


def test_expired_lock_starts_a_fresh_count(
    practice: PracticeFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = Authenticator(practice.files)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            auth.begin("bill", "Wrong-Password-123")
    monkeypatch.setattr(accounts, "_now", lambda: datetime.now(UTC) + timedelta(minutes=16))
    with pytest.raises(AuthenticationError) as info:
        auth.begin("bill", "Wrong-Password-123")
    assert not isinstance(info.value, AccountLocked)
    assert KeySlots.load(practice.files.key_slots).attempts("bill").failed == 1


def test_success_resets_the_count(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            auth.begin("admin", "Wrong-Password-123")
    assert KeySlots.load(practice.files.key_slots).attempts("admin").failed == 4
    sign_in(practice, "admin", ADMIN_PASSWORD).close()
    assert KeySlots.load(practice.files.key_slots).attempts("admin").failed == 0
    with pytest.raises(AuthenticationError):
        auth.begin("admin", "Wrong-Password-123")
    assert KeySlots.load(practice.files.key_slots).attempts("admin").attempts_left() == 4


def test_unknown_user_gets_the_same_message_as_a_wrong_password(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    with pytest.raises(AuthenticationError) as unknown:
        auth.begin("nobody", PASSWORD)
    with pytest.raises(AuthenticationError) as wrong:
        auth.begin("clin", "Wrong-Password-123")
    with pytest.raises(AuthenticationError) as wrong_again:
        auth.begin("clin", "Wrong-Password-123")
    assert type(unknown.value) is type(wrong.value) is type(wrong_again.value)
    assert unknown.value.message == wrong.value.message == wrong_again.value.message


def test_deactivated_user_is_refused(practice: PracticeFixture) -> None:
    AccountService(practice.admin).set_active(practice.users["clinician"], False)
    with pytest.raises(AccountInactive, match="deactivated"):
        Authenticator(practice.files).begin("clin", PASSWORD)
    assert audit_actions(practice, action="user_deactivated")[0].summary == "clin"
    assert not KeySlots.load(practice.files.key_slots).has_slot("clin")  # the password opens nothing now
    with pytest.raises(ValidationError, match="temporary password"):
        AccountService(practice.admin).set_active(practice.users["clinician"], True)
    AccountService(practice.admin).set_active(practice.users["clinician"], True,
                                              temporary_password="Fresh-Start-Lantern-88")
    with pytest.raises(AuthenticationError):
        Authenticator(practice.files).begin("clin", PASSWORD)
    pending = Authenticator(practice.files).begin("clin", "Fresh-Start-Lantern-88")
    assert pending.must_change_password
    pending.cancel()


def test_new_user_enrolls_then_signs_in(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    pending = auth.begin("clin", PASSWORD)
    assert pending.needs_enrollment and pending.must_change_password
    secret = totp.new_secret()
    with pytest.raises(ValidationError):
        auth.enroll(
            pending, secret=secret, code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        )
    session, codes = auth.enroll(pending, secret=secret, code=pyotp.TOTP(secret).now())
    session.close()
    assert len(codes) == 10
    assert audit_actions(practice, action="mfa_enrolled")[0].username == "clin"
    # the next sign-in needs the code (not the code just used: it was consumed)
    pending = auth.begin("clin", PASSWORD)
    assert not pending.needs_enrollment
    t = time.time() + 30
    auth.complete(pending, pyotp.TOTP(secret).at(t), now=t).close()


def test_change_password(practice: PracticeFixture) -> None:
    service = AccountService(practice.session_for("clinician"), kdf=CHEAP)
    with pytest.raises(ValidationError) as info:
        service.change_password(current="Not-My-Password-1", new=NEW_PASSWORD)
    assert "current" in info.value.fields
    with pytest.raises(ValidationError) as info:
        service.change_password(current=PASSWORD, new="Password2024!")
    assert "password" in info.value.fields
    service.change_password(current=PASSWORD, new=NEW_PASSWORD)
    auth = Authenticator(practice.files)
    with pytest.raises(AuthenticationError):
        auth.begin("clin", PASSWORD)
    pending = auth.begin("clin", NEW_PASSWORD)
    assert not pending.must_change_password
    pending.cancel()
    assert audit_actions(practice, action="password_changed")[0].username == "clin"


def test_admin_reset_of_a_password_forces_a_change(practice: PracticeFixture) -> None:
    temporary = "Temporary-Walrus-Kettle-55"
    service = AccountService(practice.admin, kdf=CHEAP)
    with pytest.raises(ValidationError):
        service.reset_password(practice.users["clinician"], "short")
    service.reset_password(practice.users["clinician"], temporary)
    auth = Authenticator(practice.files)
    pending = auth.begin("clin", temporary)
    assert pending.must_change_password
    pending.cancel()
    entry = audit_actions(practice, action="password_reset")[0]
    assert entry.username == "admin" and entry.record_id == practice.users["clinician"]


def test_admin_reset_unlocks(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            auth.begin("desk", "Wrong-Password-123")
    with pytest.raises(AccountLocked):
        auth.begin("desk", PASSWORD)
    AccountService(practice.admin).unlock(practice.users["front_desk"])
    auth.begin("desk", PASSWORD).cancel()
    assert audit_actions(practice, action="account_unlocked")


def test_reset_mfa_forces_enrollment(practice: PracticeFixture) -> None:
    clin = practice.users["clinician"]
    secret = totp.new_secret()
    with practice.admin.store.write() as s:
        s.get(User, clin).totp_secret = secret  # an enrolled clinician
    AccountService(practice.admin).reset_mfa(clin)
    with practice.admin.store.read() as s:
        row = s.get(User, clin)
        assert row.totp_secret is None and row.totp_last_step is None
    auth = Authenticator(practice.files)
    pending = auth.begin("clin", PASSWORD)
    try:
        assert pending.needs_enrollment
        with pytest.raises(AuthenticationError):
            auth.complete(pending, pyotp.TOTP(secret).now())  # the old authenticator no longer counts
    finally:
        pending.cancel()
    assert audit_actions(practice, action="mfa_reset")[0].record_id == clin


def test_admin_reset_of_own_mfa_voids_backup_codes(practice: PracticeFixture) -> None:
    AccountService(practice.admin).reset_mfa(practice.users["admin"])
    auth = Authenticator(practice.files)
    pending = auth.begin("admin", ADMIN_PASSWORD)
    try:
        assert pending.needs_enrollment
        with pytest.raises(AuthenticationError):
            auth.complete(pending, practice.backup_codes[0])
    finally:
        pending.cancel()


def test_failed_sign_ins_before_the_store_opened_reach_the_audit_log(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.begin("oclin", "Wrong-Password-123")
    assert len(json.loads(practice.files.key_slots.read_text())["pending_audit"]) == 2
    assert audit_actions(practice, action="login_failed") == []
    sign_in(practice, "admin", ADMIN_PASSWORD).close()
    failed = audit_actions(practice, action="login_failed")
    # Nobody proven made those attempts: the entries name the account tried, not a person who acted.
    assert [(e.username, e.user_id, e.record_id, e.summary) for e in failed] == [
        ("oclin", None, practice.users["other_clinician"], "wrong password")
    ] * 2
    assert json.loads(practice.files.key_slots.read_text())["pending_audit"] == []


def test_lock_reaches_the_audit_log(practice: PracticeFixture) -> None:
    auth = Authenticator(practice.files)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            auth.begin("sup", "Wrong-Password-123")
    sign_in(practice, "admin", ADMIN_PASSWORD).close()
    assert [e.username for e in audit_actions(practice, action="account_locked")] == ["sup"]
    assert len(audit_actions(practice, action="login_failed", username="sup")) == 5


def test_create_user_validates_and_audits(practice: PracticeFixture) -> None:
    service = AccountService(practice.admin, kdf=CHEAP)
    with pytest.raises(ValidationError) as info:
        service.create_user(NewUser("clin", "", Role.CLINICIAN, "short"))
    assert {"username", "full_name", "password"} <= set(info.value.fields)
    with pytest.raises(ValidationError) as info:
        service.create_user(
            NewUser(
                "newbie", "Nina Newbie", Role.CLINICIAN, PASSWORD, supervisor_id=practice.users["billing"]
            )
        )
    assert "supervisor_id" in info.value.fields
    user_id = service.create_user(NewUser("newbie", "Nina Newbie", Role.CLINICIAN, PASSWORD))
    assert audit_actions(practice, action="user_created")[0].record_id == user_id
    with practice.admin.store.read() as s:
        row = s.scalars(select(User).where(User.username == "newbie")).one()
        assert row.must_change_password and row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash


def test_audit_chain_intact_after_sign_ins(practice: PracticeFixture) -> None:
    from mentalspace_desktop.services.audit import verify_store

    auth = Authenticator(practice.files)
    with pytest.raises(AuthenticationError):
        auth.begin("clin", "Wrong-Password-123")
    sign_in(practice, "admin", ADMIN_PASSWORD).close()
    assert verify_store(practice.admin.store) is None
