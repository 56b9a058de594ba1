"""The store on disk: unreadable without a key, no plaintext, opened only by a user's password."""

from __future__ import annotations

import sqlite3

import pytest

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.services.accounts import Authenticator
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture

UNUSUAL_LAST = "Quixotewhistle"
UNUSUAL_FIRST = "Zebulonia"


def test_plain_sqlite_cannot_open_the_store(practice: PracticeFixture) -> None:
    practice.admin.store.close()
    conn = sqlite3.connect(practice.files.database)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            conn.execute("SELECT name FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_no_plaintext_of_a_clients_name_on_disk(practice: PracticeFixture) -> None:
    practice.add_client(last=UNUSUAL_LAST, first=UNUSUAL_FIRST, email="zeb.quix@example.com")
    files = sorted(p for p in practice.data_dir.rglob("*") if p.is_file())
    # while the store is open (the WAL holds the newest pages) ...
    for path in files:
        data = path.read_bytes()
        for needle in (UNUSUAL_LAST, UNUSUAL_FIRST, "zeb.quix", "Peachtree Counseling"):
            assert needle.encode() not in data, (path.name, needle)
            assert needle.encode("utf-16-le") not in data, (path.name, needle)
    # ... and after it is closed and checkpointed.
    practice.admin.store.close()
    data = practice.files.database.read_bytes()
    assert UNUSUAL_LAST.encode() not in data and UNUSUAL_LAST.lower().encode() not in data
    assert not data.startswith(b"SQLite format 3")


def test_store_opens_with_a_users_password(practice: PracticeFixture) -> None:
    pending = Authenticator(practice.files).begin("clin", PASSWORD)
    try:
        assert pending.user_id == practice.users["clinician"]
        with pending.store.read() as s:
            assert s.connection().exec_driver_sql("SELECT count(*) FROM clients").scalar_one() == 0
    finally:
        pending.cancel()
    pending = Authenticator(practice.files).begin("ADMIN", ADMIN_PASSWORD)  # user names ignore case
    pending.cancel()


def test_store_does_not_open_with_a_wrong_password(practice: PracticeFixture) -> None:
    with pytest.raises(AuthenticationError, match="incorrect"):
        Authenticator(practice.files).begin("clin", PASSWORD + "x")
    with pytest.raises(AuthenticationError, match="incorrect"):
        Authenticator(practice.files).begin("clin", ADMIN_PASSWORD)  # another user's password
