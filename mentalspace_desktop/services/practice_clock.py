"""The practice's clock: what "now" and "today" are where the practice is, not where the computer is.

A practice in Atlanta running ``mentalspace compliance run`` at 9 pm from a machine set to UTC is
still on the evening of its own day; a rule that counts days (a note's 7 days, a training's year)
must count them on the practice's calendar, as the alert job and the dashboards do
(``metrics.zone_of``: the practice's saved zone, New York when none is set, UTC when it is unknown).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from mentalspace_desktop.services.metrics import zone_of
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Practice


def utc_now() -> datetime:
    """This moment (the one place the clock is read, so tests can set it)."""
    return datetime.now(UTC)


def practice_now(session: UserSession, now: datetime | None = None) -> datetime:
    """``now`` (default: this moment) on the practice's clock; ``.date()`` is the practice's today."""
    with session.store.read() as s:
        practice = s.scalar(select(Practice))
    return (now or utc_now()).astimezone(zone_of(practice))
