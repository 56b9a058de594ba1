"""Time-based one-time codes (RFC 6238) and one-time backup codes."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime

import pyotp

ISSUER = "MentalSpace"
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def new_secret() -> str:
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, username: str, practice: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username} ({practice})", issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: float | None = None, window: int = 1) -> int | None:
    """The time step ``code`` belongs to (within ±``window`` steps of now), or None if it matches none."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    t = time.time() if now is None else now
    current = totp.timecode(_utc(t))
    for step in range(current - window, current + window + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def new_backup_codes() -> list[str]:
    def one() -> str:
        raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(8))
        return f"{raw[:4]}-{raw[4:]}"

    return [one() for _ in range(BACKUP_CODE_COUNT)]


def normalize_backup_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def backup_code_hash(user_id: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{normalize_backup_code(code)}".encode()).hexdigest()


def looks_like_backup_code(code: str) -> bool:
    return len(normalize_backup_code(code)) == 8 and not code.strip().isdigit()
