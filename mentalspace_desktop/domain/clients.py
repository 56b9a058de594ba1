"""Client rules: validation and normalisation of what the front desk types, age and consents."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

import phonenumbers

ADULT_AGE = 18

US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


class ClientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCHARGED = "discharged"


class ConsentKind(StrEnum):
    INFORMED_CONSENT = "informed_consent"
    GUARDIAN_CONSENT = "guardian_consent"
    TELEHEALTH_CONSENT = "telehealth_consent"
    RELEASE_OF_INFORMATION = "release_of_information"

    @property
    def label(self) -> str:
        return CONSENT_LABELS[self]


CONSENT_LABELS = {
    ConsentKind.INFORMED_CONSENT: "Informed consent",
    ConsentKind.GUARDIAN_CONSENT: "Guardian consent",
    ConsentKind.TELEHEALTH_CONSENT: "Telehealth consent",
    ConsentKind.RELEASE_OF_INFORMATION: "Release of information",
}


def age_on(dob: date, today: date) -> int:
    """Whole years between ``dob`` and ``today`` (a 29 February birthday counts on 1 March)."""
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def is_minor(dob: date, today: date) -> bool:
    return age_on(dob, today) < ADULT_AGE


def required_consents(*, dob: date, today: date, uses_telehealth: bool) -> list[ConsentKind]:
    """Consents a client must have on file before care."""
    needed = [ConsentKind.INFORMED_CONSENT]
    if is_minor(dob, today):
        needed.append(ConsentKind.GUARDIAN_CONSENT)
    if uses_telehealth:
        needed.append(ConsentKind.TELEHEALTH_CONSENT)
    return needed


@dataclass(frozen=True)
class ConsentOnFile:
    kind: ConsentKind
    signed_on: date
    expires_on: date | None = None
    revoked_on: date | None = None

    def in_force(self, today: date) -> bool:
        if self.revoked_on is not None and self.revoked_on <= today:
            return False
        return self.expires_on is None or self.expires_on >= today


def missing_consents(
    *, dob: date, today: date, uses_telehealth: bool, on_file: Iterable[ConsentOnFile]
) -> list[ConsentKind]:
    in_force = {c.kind for c in on_file if c.in_force(today)}
    return [k for k in required_consents(dob=dob, today=today, uses_telehealth=uses_telehealth) if k not in in_force]


def normalize_phone(raw: str, region: str = "US") -> str:
    """The number in E.164 form (+14045550123); ValueError with a plain reason when it is not one."""
    text = raw.strip()
    if not text:
        raise ValueError("Enter a phone number.")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError("That does not look like a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("That phone number is not valid; check the area code and digit count.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)  # search results format the same numbers keystroke after keystroke
def format_phone(e164: str | None) -> str:
    """A stored E.164 number as people read it: (404) 555-0123 at home, +44 20 … abroad."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def validate_email(raw: str) -> str:
    text = raw.strip()
    if not _EMAIL.match(text):
        raise ValueError("That e-mail address is not complete (name@example.com).")
    return text.lower()


def validate_state(raw: str) -> str:
    text = raw.strip().upper()
    if text not in US_STATES:
        raise ValueError("Use the two-letter state code, such as GA.")
    return text


def validate_zip(raw: str) -> str:
    text = raw.strip()
    if not _ZIP.match(text):
        raise ValueError("A ZIP code is five digits, or five plus four (30303-1234).")
    return text


def validate_dob(dob: date, today: date) -> date:
    if dob > today:
        raise ValueError("The date of birth is in the future.")
    if age_on(dob, today) > 120:
        raise ValueError("The date of birth is more than 120 years ago.")
    return dob


def name_key(text: str) -> str:
    """A name folded for search: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())
