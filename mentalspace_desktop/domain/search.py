"""What a search box query means: a name, a date of birth, a phone number or a chart number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from mentalspace_desktop.domain.chart_numbers import normalize_chart_prefix
from mentalspace_desktop.domain.clients import name_key

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_UUID_PREFIX = re.compile(r"^[0-9a-f]{8}-[0-9a-f-]*$", re.IGNORECASE)


@dataclass(frozen=True)
class ClientQuery:
    name_tokens: tuple[str, ...] = ()
    dob: date | None = None
    phone_digits: str | None = None
    chart_prefix: str | None = None
    id_prefix: str | None = None
    extras: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.name_tokens or self.dob or self.phone_digits or self.chart_prefix or self.id_prefix)


def _parse_date(token: str, today: date) -> date | None:
    m = _ISO.match(token)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _US.match(token)
        if not m:
            return None
        mo, d, y = (int(g) for g in m.groups())
        if y < 100:  # two-digit years: the most recent past year that fits
            y += 2000 if 2000 + y <= today.year else 1900
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def parse_client_query(text: str, today: date) -> ClientQuery:
    """Split a free-text query into the parts the client index can answer.

    "smith jo" is a last-name prefix and a first-name prefix; "3/14/1988" a date of birth;
    "404-555" or "0123" phone digits (four or more); "MS-7K3Q" a chart number; a UUID prefix an id.
    """
    names: list[str] = []
    dob: date | None = None
    phone: str | None = None
    chart: str | None = None
    id_prefix: str | None = None
    for token in text.replace(",", " ").split():
        as_chart = normalize_chart_prefix(token)
        if as_chart is not None:
            chart = as_chart
            continue
        if _UUID_PREFIX.match(token):
            id_prefix = token.lower()
            continue
        parsed = _parse_date(token, today)
        if parsed is not None:
            dob = parsed
            continue
        digits = re.sub(r"\D", "", token)
        if digits and len(digits) == len(re.sub(r"[\s()+.-]", "", token)):
            phone = (phone or "") + digits  # "(404) 892-1234" arrives as two tokens
            continue
        key = name_key(token)
        if key:
            names.append(key)
    if phone is not None and len(phone) == 11 and phone.startswith("1"):
        phone = phone[1:]  # "+1 404 …": the index keeps national numbers
    if phone is not None and len(phone) < 4:
        phone = None
    return ClientQuery(tuple(names), dob, phone, chart, id_prefix)
