"""An audit entry stamped in another time zone (the practice's, or the computer's) still verifies: it is
hashed as the store reads it back, in UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mentalspace_desktop.services import audit
from mentalspace_desktop.services.audit import verify_store
from tests.factories import PracticeFixture


def test_an_entry_stamped_in_eastern_time_verifies(practice: PracticeFixture) -> None:
    store = practice.admin.store
    with store.write(practice.users["admin"]) as s:
        audit.append(s, store, user_id=practice.users["admin"], username="admin", action="view",
                     record_type="metric", at=datetime(2026, 11, 30, 12, 0, 30, 5, tzinfo=ZoneInfo("America/New_York")))
    assert verify_store(store) is None
