"""Data-quality rules: records that are probably wrong or incomplete, and what is missing from each.

An appointment still "scheduled" a day after it ended was never checked in, cancelled or marked a
no-show; a note without an appointment cannot be tied to a visit for billing or the metrics; a
client's demographics are complete with a phone, an address, an emergency contact and, for a minor,
a guardian (the same test as the complete-demographics metric).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STALE_AFTER = timedelta(hours=24)
OPEN_STATUSES = frozenset({"scheduled", "confirmed"})


def stale(status: str, end_at: datetime, now: datetime) -> bool:
    """Still waiting for an outcome a day after the session ended."""
    return status in OPEN_STATUSES and end_at <= now - STALE_AFTER


def missing_demographics(client: Any, minor: bool) -> list[str]:
    """What a client's record lacks, in words ("phone", "address", …); empty when complete.

    ``client``: anything with the client's address, phone, emergency and guardian attributes.
    """
    missing = []
    if not (client.phone_mobile or client.phone_home):
        missing.append("phone")
    if not all((client.address1, client.city, client.state, client.zip)):
        missing.append("address")
    if not (client.emergency_name and client.emergency_phone):
        missing.append("emergency contact")
    if minor and not client.guardian_name:
        missing.append("guardian")
    return missing
