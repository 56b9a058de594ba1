"""A hub on SQLite is encrypted at rest (SQLCipher), its backups too; a hub made before still opens
and is encrypted on request, with nothing unencrypted left behind."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mentalspace_desktop.hub import cli, db
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.store.models import Practice, User
from tests.hub.conftest import TestClient, seed

PRACTICE = "Peachtree Counseling"  # what seed() names the practice


def init(hub_dir: Path, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("Granite-Willow-Comet-58\n")
    args = ["init", "--data-dir", str(hub_dir), "--practice", PRACTICE, "--admin-user", "avery",
            "--admin-name", "Avery Admin", "--password-file", str(pw)]
    assert cli.main(args) == 0


def unreadable_without_key(path: Path) -> None:
    assert PRACTICE.encode() not in path.read_bytes()
    with (
        contextlib.closing(sqlite3.connect(path)) as plain,
        pytest.raises(sqlite3.DatabaseError, match="not a database"),
    ):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()


def users_in(settings: HubSettings) -> int:
    engine = db.engine_for(settings)
    try:
        with db.read_session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        engine.dispose()


def test_a_new_hub_is_encrypted_and_serves(tmp_path: Path) -> None:
    hub_dir = tmp_path / "hub"
    init(hub_dir, tmp_path)
    settings = HubSettings(hub_dir, run_jobs=False)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    unreadable_without_key(hub_dir / "hub.db")
    with TestClient(create_app(settings)) as web:
        assert web.get("/health").json()["status"] == "ok"
    assert users_in(settings) == 1


def test_a_backup_is_encrypted_with_the_hubs_key_and_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    init(hub_dir, tmp_path)
    settings = HubSettings(hub_dir, run_jobs=False)
    capsys.readouterr()
    backup = tmp_path / "backups" / "hub-monday.db"
    assert cli.main(["backup", "--data-dir", str(hub_dir), "--out", str(backup)]) == 0
    assert "encrypted with the key in" in capsys.readouterr().out
    unreadable_without_key(backup)
    assert cli.main(["backup", "--data-dir", str(hub_dir), "--out", str(backup)]) == 1  # never overwritten

    # Restore, as the README says: stop the hub, put the backup back, start a new epoch.
    epoch_before = _epoch(settings)
    (hub_dir / "hub.db").write_bytes(backup.read_bytes())
    assert cli.main(["new-epoch", "--data-dir", str(hub_dir)]) == 0
    assert users_in(settings) == 1 and _epoch(settings) != epoch_before

    settings.key_file.write_text("00" * 32 + "\n")  # the wrong key: a clear refusal, not a crash
    assert cli.main(["devices", "list", "--data-dir", str(hub_dir)]) == 1
    assert "cannot be read with the key in" in capsys.readouterr().err


def _epoch(settings: HubSettings) -> str | None:
    engine = db.engine_for(settings)
    try:
        with db.read_session(engine) as s:
            return db.get_setting(s, db.EPOCH)
    finally:
        engine.dispose()


def test_a_hub_made_before_encryption_still_opens_and_is_encrypted_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    settings = HubSettings(hub_dir, run_jobs=False)
    engine = db.make_engine(settings.url)  # as hubs were made before
    db.prepare(engine)
    seed(engine)
    engine.dispose()
    assert db.is_unencrypted_sqlite(settings) and settings.database_key() is None
    assert cli.main(["devices", "list", "--data-dir", str(hub_dir)]) == 0  # still opens
    with TestClient(create_app(settings)) as web:
        assert web.get("/health").json()["status"] == "ok"
    capsys.readouterr()

    assert cli.main(["backup", "--data-dir", str(hub_dir), "--out", str(tmp_path / "plain.db")]) == 0
    assert "mentalspace-hub encrypt" in capsys.readouterr().err  # says how to encrypt it

    assert cli.main(["encrypt", "--data-dir", str(hub_dir)]) == 0
    assert "now encrypted" in capsys.readouterr().out
    unreadable_without_key(hub_dir / "hub.db")
    # No unencrypted copy left (secrets.key: the messaging secrets' key, made at the hub's first start).
    assert sorted(p.name for p in hub_dir.iterdir()) == ["hub.db", "hub.key", "secrets.key"]
    assert users_in(settings) == 6
    engine = db.engine_for(settings)
    try:
        with db.read_session(engine) as s:
            assert s.scalar(select(Practice.name)) == PRACTICE
    finally:
        engine.dispose()
    assert cli.main(["encrypt", "--data-dir", str(hub_dir)]) == 1
    assert "already encrypted" in capsys.readouterr().err


def test_a_hub_that_is_running_is_not_encrypted_under_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    settings = HubSettings(hub_dir, run_jobs=False)
    engine = db.make_engine(settings.url)
    db.prepare(engine)
    try:
        with engine.begin() as conn:  # a writer holds the database, as a running hub may
            conn.exec_driver_sql("UPDATE hub_settings SET value = value")
            assert cli.main(["encrypt", "--data-dir", str(hub_dir)]) == 1
    finally:
        engine.dispose()
    assert "stop the hub" in capsys.readouterr().err
    assert not settings.key_file.exists() and not (hub_dir / "hub.db.encrypting").exists()
