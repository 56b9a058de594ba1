"""Request and response bodies of the hub, mirroring ``sync/protocol.py`` (kept apart from tables).

Every field a client sends is bounded here, so the OpenAPI document states what the hub accepts and
anything else is answered 422 before it reaches a service or the database: strings have a length
and no control characters (PostgreSQL refuses NUL, and a name or an id never holds a line break),
integers a range their column holds, lists a size. Numbers and booleans are strict (``0`` is not
``false``, ``false`` is not ``0``) and times are ISO-8601 text, as the document says.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema

from mentalspace_desktop.sync.protocol import MIN_PROTOCOL_VERSION

MAX_SAFE_INT = 2**53  # the largest integer every JSON reader keeps exactly; BIGINT holds it
MAX_INT32 = 2**31 - 1  # an INTEGER column (the sync log's counts)
MAX_VALUE_CHARS = 2_000_000  # one field of one pushed row (sealed note bodies are the longest)
MAX_FIELDS = 200  # fields in one pushed change (the widest table has far fewer)
MAX_PROTOCOL = 1000  # newer protocol numbers than the hub serves are answered 426, not refused as invalid

# One line: no C0 control character (NUL included) and no DEL. Free text may also hold tabs and
# line breaks. The patterns go into the document; the validators give the reason in words.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
TOKEN_PATTERN = r"^[!-~]*$"  # printable ASCII without spaces: ids, tokens, codes, versions
_LINE = re.compile(LINE_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)
_TOKEN = re.compile(TOKEN_PATTERN)


def _matching(pattern: re.Pattern[str], reason: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(reason)
        return value

    return AfterValidator(check)


def _documented(pattern: str) -> Any:
    return Field(json_schema_extra={"pattern": pattern})


NO_CONTROL = "must not contain control characters (such as NUL or a line break)"
Line = Annotated[str, _matching(_LINE, NO_CONTROL), _documented(LINE_PATTERN)]
Text = Annotated[str, _matching(_TEXT, "must not contain control characters (such as NUL)"), _documented(TEXT_PATTERN)]
Token = Annotated[
    str,
    _matching(_TOKEN, "must be printable ASCII letters, digits or signs, without spaces"),
    _documented(TOKEN_PATTERN),
]
Ident = Annotated[Line, Field(min_length=1, max_length=36)]  # a row's, change's or device's id (uuids, in practice)
VERSION_PATTERN = r"^[0-9A-Za-z.+-]*$"
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"  # a table's or a field's name
Version = Annotated[str, Field(max_length=20, pattern=VERSION_PATTERN)]  # 0.1.0: compared part by part

# The words a 422 gives for a pattern a value does not match.
PATTERN_WORDS = {
    LINE_PATTERN: NO_CONTROL,
    TEXT_PATTERN: "must not contain control characters (such as NUL)",
    TOKEN_PATTERN: "must be printable ASCII letters, digits or signs, without spaces",
    VERSION_PATTERN: "must be a version such as 0.1.0",
    NAME_PATTERN: "must be lower-case letters, digits and underscores",
    r"^[a-z]+$": "must be lower-case letters",
    r"^[a-z_]+$": "must be lower-case letters and underscores",
    r"^[A-Za-z0-9+/_=-]+$": "must be base64 text",
}


def _iso_text(value: Any) -> Any:
    """A time must arrive as ISO-8601 text: a bare number is not a time the document allows."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date and time, as text")
    return value


def _in_range(value: datetime) -> datetime:
    """Years 1900–9000 in UTC: a stored time is compared and converted, and year 1 or 9999 with an
    offset would overflow there."""
    stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not 1900 <= stamp.year <= 9000:
        raise ValueError("must be a date between the years 1900 and 9000")
    return stamp.astimezone(UTC)


Stamp = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]
Count = Annotated[int, Field(ge=0, le=MAX_INT32, strict=True)]


def _scalar(value: Any) -> Any:
    """One field's value in a pushed change: a JSON scalar that the hub's columns can hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise ValueError(f"a whole number must lie between -{MAX_SAFE_INT} and {MAX_SAFE_INT}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a number must be finite")
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"a text value may hold at most {MAX_VALUE_CHARS} characters")
        if not _TEXT.match(value):
            raise ValueError("a text value must not contain control characters (such as NUL)")
        return value
    raise ValueError("a value must be text, a number, true, false or null")


Scalar = Annotated[
    Any,
    PlainValidator(_scalar),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "null"},
                {"type": "boolean"},
                {"type": "integer", "minimum": -MAX_SAFE_INT, "maximum": MAX_SAFE_INT},
                {"type": "number"},
                {"type": "string", "maxLength": MAX_VALUE_CHARS, "pattern": TEXT_PATTERN},
            ]
        }
    ),
]
FieldName = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]
Pair = Annotated[list[Scalar], Field(min_length=2, max_length=2)]  # [old, new]


class RequestBody(BaseModel):
    """A body a client sends. Fields the hub does not know are ignored (older and newer desktops
    send a few), never stored."""

    model_config = ConfigDict(extra="ignore")


class ErrorOut(BaseModel):
    """Every error the hub answers with (4xx): words for a person and a code for the program."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str
    fields: list[str] | None = None  # 422: the fields that broke a rule
    reason: str | None = None  # 403 device_revoked: the administrator's reason
    epoch: str | None = None  # 409 epoch_changed: the hub's epoch now
    min_app_version: str | None = None  # 426: the oldest desktop version the hub serves


class LoginIn(RequestBody):
    username: Line = Field(max_length=64)
    password: Line = Field(max_length=1024)
    code: Token = Field(max_length=20)
    device_id: Ident
    device_name: Line = Field(default="", max_length=100)
    app_version: Version = ""
    # The person's public signing key for this workstation (base64 of 32 bytes), registered by this
    # sign-in because the hub has just checked their password and code.
    signing_key: Token | None = Field(default=None, max_length=64)


class VouchedKeyIn(RequestBody):
    """A colleague's signing key for this workstation, vouched for by an administrator's signature."""

    user_id: Ident
    public_key: Token = Field(max_length=64)
    voucher_id: Ident
    voucher_key_id: Token = Field(max_length=32)
    signature: Token = Field(max_length=100)


class RefreshIn(RequestBody):
    refresh_token: Token = Field(max_length=200)
    device_id: Ident


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


class HandshakeIn(RequestBody):
    # From the oldest protocol this hub serves; a newer one than it serves is answered 426.
    protocol: int = Field(ge=MIN_PROTOCOL_VERSION, le=MAX_PROTOCOL, strict=True)
    schema_: Token = Field(alias="schema", max_length=40)
    app_version: Version
    device_time: Stamp | None = None


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


class DeviceKeyIn(RequestBody):
    key: str = Field(min_length=40, max_length=64, pattern=r"^[A-Za-z0-9+/_=-]+$")  # 32 random bytes, base64


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


class RevokeIn(RequestBody):
    reason: Text = Field(default="", max_length=500)


class RemovePersonIn(RequestBody):
    user: Line = Field(min_length=1, max_length=64)  # user name or id


class ChangeIn(RequestBody):
    device_seq: int = Field(ge=1, le=MAX_SAFE_INT, strict=True)
    change_id: Ident
    table: str = Field(min_length=1, max_length=40, pattern=NAME_PATTERN)
    row_id: Ident
    op: str = Field(min_length=1, max_length=10, pattern=r"^[a-z]+$")
    base_server_seq: int | None = Field(default=None, ge=0, le=MAX_SAFE_INT, strict=True)
    changes: dict[FieldName, Pair] = Field(max_length=MAX_FIELDS)
    schema_version: Token = Field(default="", max_length=40)
    author_id: Ident | None = None  # who made it (a shared workstation)
    signature: Token | None = Field(default=None, max_length=400)  # the author's (store/signing.py)


class PushIn(RequestBody):
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


class SyncRunIn(RequestBody):
    id: Ident | None = None
    started_at: Stamp | None = None
    duration_ms: Count = 0
    kind: str = Field(default="sync", min_length=1, max_length=12, pattern=r"^[a-z_]+$")
    rows_new: Count = 0
    rows_updated: Count = 0
    rows_unchanged: Count = 0
    rows_dropped: Count = 0
    pushed: Count = 0
    rejected: Count = 0
    conflicts: Count = 0
    ok: bool = Field(default=True, strict=True)
    error: Text | None = Field(default=None, max_length=2000)


class SyncRunOut(BaseModel):
    id: str
    started_at: datetime | None
    duration_ms: int
    kind: str
    rows_new: int
    rows_updated: int
    rows_unchanged: int
    rows_dropped: int
    pushed: int
    rejected: int
    conflicts: int
    ok: bool
    error: str | None
    device_id: str
    user_id: str | None


class HealthOut(BaseModel):
    status: str
    epoch: str
    version: str
