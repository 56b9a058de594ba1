"""Booking guards (Georgia rules): consents a client needs before a visit can be booked.

The settings are data (kept in the practice's rule settings under ``booking_guards``): which checks
apply and how long an informed consent stays current. An administrator may book anyway with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from mentalspace_desktop.domain.clients import ConsentKind, ConsentOnFile, is_minor

SETTINGS_KEY = "booking_guards"


@dataclass(frozen=True)
class GuardSettings:
    informed_consent: bool = True
    informed_consent_valid_days: int = 365  # renewed yearly
    guardian_consent_for_minors: bool = True
    telehealth_consent: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> GuardSettings:
        """Settings from the practice's JSON; unknown keys are ignored, missing ones take the defaults."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        settings = cls(**values)
        if not 1 <= settings.informed_consent_valid_days <= 3660:
            raise ValueError("An informed consent stays current between 1 day and 10 years.")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GuardRefusal:
    rule: str  # informed_consent, guardian_consent, telehealth_consent
    message: str


def _current(consents: Iterable[ConsentOnFile], kind: ConsentKind, on: date, valid_days: int | None = None) -> bool:
    for c in consents:
        if c.kind is not kind or not c.in_force(on):
            continue
        if valid_days is not None and (on - c.signed_on).days > valid_days:
            continue
        return True
    return False


def booking_refusals(
    settings: GuardSettings,
    *,
    dob: date,
    visit_day: date,
    telehealth: bool,
    consents: Iterable[ConsentOnFile],
) -> list[GuardRefusal]:
    """Why this client may not be booked for a visit on ``visit_day``; empty when they may."""
    on_file = list(consents)
    out: list[GuardRefusal] = []
    if settings.informed_consent and not _current(
        on_file, ConsentKind.INFORMED_CONSENT, visit_day, settings.informed_consent_valid_days
    ):
        out.append(GuardRefusal(
            "informed_consent",
            "The client has no current informed consent (it is renewed every year); record a signed one first.",
        ))
    if settings.guardian_consent_for_minors and is_minor(dob, visit_day) and not _current(
        on_file, ConsentKind.GUARDIAN_CONSENT, visit_day
    ):
        out.append(GuardRefusal(
            "guardian_consent", "The client is a minor and has no guardian consent on file."
        ))
    if telehealth and settings.telehealth_consent and not _current(
        on_file, ConsentKind.TELEHEALTH_CONSENT, visit_day
    ):
        out.append(GuardRefusal(
            "telehealth_consent", "This is a telehealth visit and the client has no telehealth consent on file."
        ))
    return out
