"""Sign-in records in the key file: erasing failures or lifting a lock by hand is noticed.

The attacker holds the files and edits the key file between attempts; the next successful sign-in
checks the journal (store/keyfile_journal.py) and records what was changed in the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mentalspace_desktop.errors import AccountLocked, AuthenticationError
from mentalspace_desktop.services.accounts import Authenticator
from tests.factories import ADMIN_PASSWORD, PracticeFixture
from tests.services.test_accounts import audit_actions, sign_in

WRONG = "Wrong-Password-123"


def fail(practice: PracticeFixture, username: str, times: int) -> None:
    auth = Authenticator(practice.files)
    for _ in range(times):
        with pytest.raises((AuthenticationError, AccountLocked)):
            auth.begin(username, WRONG)


def edit(practice: PracticeFixture, change: Callable[[dict[str, Any]], None]) -> None:
    path = practice.files.key_slots
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def tampering_seen(practice: PracticeFixture) -> list[str]:
    sign_in(practice, "admin", ADMIN_PASSWORD).close()
    return [e.summary for e in audit_actions(practice, action="keyfile_tampered")]


def test_untouched_records_raise_nothing(practice: PracticeFixture) -> None:
    fail(practice, "oclin", 2)
    assert tampering_seen(practice) == []
    assert len(audit_actions(practice, action="login_failed")) == 2


def test_a_lock_lifted_by_hand_is_noticed(practice: PracticeFixture) -> None:
    fail(practice, "oclin", 5)
    with pytest.raises(AccountLocked):
        Authenticator(practice.files).begin("oclin", WRONG)

    def unlock(data: dict[str, Any]) -> None:
        data["slots"]["oclin"]["failed"] = 0
        data["slots"]["oclin"]["locked_until"] = None

    edit(practice, unlock)
    fail(practice, "oclin", 1)  # the app lets them guess again: the file is theirs
    seen = tampering_seen(practice)
    assert any("'oclin'" in s for s in seen), seen


def test_a_forged_reset_event_is_noticed(practice: PracticeFixture) -> None:
    """The newest journal key is in the file: a reset can be appended, but not with authority."""
    from mentalspace_desktop.store.keyfile_journal import Journal

    fail(practice, "oclin", 5)

    def forge(data: dict[str, Any]) -> None:
        data["slots"]["oclin"]["failed"] = 0
        data["slots"]["oclin"]["locked_until"] = None
        Journal(data).record({"kind": "attempts", "user": "oclin", "failed": 0, "locked_until": None})

    edit(practice, forge)
    seen = tampering_seen(practice)
    assert any("reset without anyone signing in" in s for s in seen), seen


@pytest.mark.parametrize("how", ["pending only", "pending and journal events", "whole journal"])
def test_erased_failed_sign_ins_are_noticed(practice: PracticeFixture, how: str) -> None:
    fail(practice, "oclin", 3)

    def erase(data: dict[str, Any]) -> None:
        data["pending_audit"] = []
        data["slots"]["oclin"]["failed"] = 0
        if how == "pending and journal events":
            data["journal"]["events"] = [e for e in data["journal"]["events"] if e["body"].get("kind") != "audit"]
        if how == "whole journal":
            data.pop("journal")

    edit(practice, erase)
    seen = tampering_seen(practice)
    assert seen, "erasing failed sign-ins went unnoticed"
    assert audit_actions(practice, action="login_failed") == []  # erased: but the erasure is on record
