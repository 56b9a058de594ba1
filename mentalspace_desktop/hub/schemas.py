"""Request and response bodies of the hub, mirroring ``sync/protocol.py`` (kept apart from tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    code: str = Field(max_length=20)
    device_id: str = Field(min_length=1, max_length=36)
    device_name: str = Field(default="", max_length=100)
    app_version: str = Field(default="", max_length=20)
    # The person's public signing key for this workstation (base64 of 32 bytes), registered by this
    # sign-in because the hub has just checked their password and code.
    signing_key: str | None = Field(default=None, max_length=64)


class VouchedKeyIn(BaseModel):
    """A colleague's signing key for this workstation, vouched for by an administrator's signature."""

    user_id: str = Field(max_length=36)
    public_key: str = Field(max_length=64)
    voucher_id: str = Field(max_length=36)
    voucher_key_id: str = Field(max_length=32)
    signature: str = Field(max_length=100)


class RefreshIn(BaseModel):
    refresh_token: str = Field(max_length=200)
    device_id: str = Field(max_length=36)


class UserOut(BaseModel):
    id: str
    username: str
    full_name: str
    role: str


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    device_status: str
    user: UserOut
    # The workstation's key secret, for signing a person in there for the first time (approved only).
    device_key: str | None = None
    # The signing key this sign-in registered, and the practice's clinical data key (base64) for a
    # role that may read clinical text.
    signing_key_id: str | None = None
    clinical_key: str | None = None


class HandshakeIn(BaseModel):
    protocol: int
    schema_: str = Field(alias="schema", max_length=40)
    app_version: str = Field(max_length=20)
    device_time: datetime | None = None


class HandshakeOut(BaseModel):
    protocol: int
    schema_: str = Field(serialization_alias="schema")
    epoch: str
    server_time: datetime
    clock_skew_seconds: float
    warnings: list[str]


class DeviceMe(BaseModel):
    id: str
    status: str
    reason: str | None = None
    name: str
    last_device_seq: int
    has_key: bool = False  # whether the hub holds this workstation's key secret


class DeviceKeyIn(BaseModel):
    key: str = Field(min_length=40, max_length=64)  # 32 random bytes, base64


class DeviceOut(BaseModel):
    id: str
    name: str
    user_id: str
    username: str | None
    status: str
    last_seen_at: datetime | None
    app_version: str | None
    created_at: datetime | None
    approved_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None
    staff: list[str] = []  # user names of the people who work there (DeviceUser)


class RevokeIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ChangeIn(BaseModel):
    device_seq: int = Field(ge=1)
    change_id: str = Field(max_length=36)
    table: str = Field(max_length=40)
    row_id: str = Field(min_length=1, max_length=36)
    op: str = Field(max_length=10)
    base_server_seq: int | None = None
    changes: dict[str, list[Any]]
    schema_version: str = Field(default="", max_length=40)
    author_id: str | None = Field(default=None, max_length=36)  # who made it (a shared workstation)
    signature: str | None = Field(default=None, max_length=400)  # the author's (store/signing.py)


class PushIn(BaseModel):
    changes: list[ChangeIn] = Field(max_length=5000)


class PushOut(BaseModel):
    results: list[dict[str, Any]]
    last_device_seq: int


class PullOut(BaseModel):
    rows: list[dict[str, Any]]
    drops: list[dict[str, str]]
    cursor: str
    more: bool
    epoch: str
    watermark: int


class SyncRunIn(BaseModel):
    id: str | None = Field(default=None, max_length=36)
    started_at: datetime | None = None
    duration_ms: int = 0
    kind: str = Field(default="sync", max_length=12)
    rows_new: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_dropped: int = 0
    pushed: int = 0
    rejected: int = 0
    conflicts: int = 0
    ok: bool = True
    error: str | None = Field(default=None, max_length=2000)


class SyncRunOut(SyncRunIn):
    device_id: str
    user_id: str | None


class HealthOut(BaseModel):
    status: str
    epoch: str
    version: str
