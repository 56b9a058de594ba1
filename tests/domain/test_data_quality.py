"""Data-quality rules (domain.data_quality): the day after a session, and what demographics lack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from mentalspace_desktop.domain.data_quality import missing_demographics, stale

END = datetime(2026, 11, 27, 15, 50, tzinfo=UTC)


def test_still_scheduled_a_full_day_after_it_ended() -> None:
    assert not stale("scheduled", END, END + timedelta(hours=23, minutes=59))
    assert stale("scheduled", END, END + timedelta(hours=24))
    assert stale("confirmed", END, END + timedelta(days=3))
    assert not stale("completed", END, END + timedelta(days=3))


def _client(**fields: object) -> SimpleNamespace:
    base = dict(phone_mobile="+14045550100", phone_home=None, address1="1 Peachtree St", city="Atlanta",
                state="GA", zip="30303", emergency_name="Pat", emergency_phone="+14045550101", guardian_name=None)
    return SimpleNamespace(**{**base, **fields})


def test_what_a_record_lacks() -> None:
    assert missing_demographics(_client(), minor=False) == []
    assert missing_demographics(_client(), minor=True) == ["guardian"]
    assert missing_demographics(_client(phone_mobile=None, phone_home="+14045550102"), minor=False) == []
    assert missing_demographics(_client(phone_mobile=None, zip="", emergency_phone=None), minor=False) == [
        "phone", "address", "emergency contact"]
