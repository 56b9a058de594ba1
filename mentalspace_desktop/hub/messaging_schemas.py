"""Bodies of the messaging settings endpoints (``hub/routes/messaging.py``): bounded, one line each.

Secrets go in (``password``, ``auth_token``; null keeps the saved one) and never come out: the
answer says only whether each is set.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from mentalspace_desktop.hub.schemas import Line, RequestBody

Short = Annotated[Line, Field(max_length=254)]
Secret = Annotated[Line, Field(max_length=200)]


class SmtpIn(RequestBody):
    host: Short
    port: int = Field(default=587, ge=1, le=65535, strict=True)
    username: Short = ""
    password: Secret | None = None
    sender: Short = ""
    starttls: bool = True
    cafile: Annotated[Line, Field(max_length=1000)] | None = None


class TwilioIn(RequestBody):
    account_sid: Annotated[Line, Field(max_length=64)]
    auth_token: Secret | None = None
    from_number: Annotated[Line, Field(max_length=32)] = ""
    webhook_base: Short = ""
    api_base: Short = "https://api.twilio.com"


class SmtpOut(BaseModel):
    host: str
    port: int
    username: str
    sender: str
    starttls: bool
    password_set: bool


class TwilioOut(BaseModel):
    account_sid: str
    from_number: str
    webhook_base: str
    auth_token_set: bool


class MessagingOut(BaseModel):
    smtp: SmtpOut | None
    twilio: TwilioOut | None
    problem: str | None = None  # why the hub cannot send (started without its secrets key)


class TestIn(RequestBody):
    to: Short


class TestOut(BaseModel):
    ok: bool
    message: str
