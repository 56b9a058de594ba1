"""Migration 0015 (a note's appointment becomes a foreign key) on an encrypted desktop store that holds
notes with bodies, addenda and versions (what a batch rebuild of ``notes`` cannot survive on SQLite,
see the migration) and on PostgreSQL: rows keep their link, a link to nothing is cleared, the
constraint then refuses a made-up appointment, and the step goes down and up again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import create_store
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.store.test_charting_migration import differences
from tests.store.test_migrations_postgres import pg_schema  # noqa: F401  (fixture)
from tests.store.test_notes_migration import downgrade, seed_practice

NAME = "fk_notes_appointment_id_appointments"


def _seed(engine: Engine) -> None:
    """An appointment; a note linked to it with a body and a version, its addendum, and a note naming
    an appointment that is not there (nothing checked that before 0015)."""
    seed_practice(engine)
    now = datetime(2026, 3, 2, 15, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(AppointmentType.__table__).values(id="t1", name="Psychotherapy", category="individual",
                                                              updated_at=now))
        conn.execute(insert(Appointment.__table__).values(
            id="a1", client_id="c1", provider_id="u1", type_id="t1", start_local=datetime(2026, 3, 2, 10),
            time_zone="America/Chicago", start_at=now, end_at=now, updated_at=now, status="completed"))
        for note_id, appointment, addendum_to in (("n1", "a1", None), ("n2", None, "n1"), ("n3", "gone", None)):
            conn.execute(text(
                "INSERT INTO notes (id, client_id, author_id, note_type, service_date, status, updated_at, "
                "deleted, appointment_id, addendum_to, requires_cosign) VALUES (:id, 'c1', 'u1', 'soap', :day, "
                "'draft', CURRENT_TIMESTAMP, false, :appointment, :addendum_to, false)"),
                {"id": note_id, "day": date(2026, 3, 2), "appointment": appointment, "addendum_to": addendum_to})
            conn.execute(text(
                "INSERT INTO note_bodies (id, note_id, client_id, body, updated_at, deleted) "
                "VALUES (:id, :id, 'c1', 'sealed words', CURRENT_TIMESTAMP, false)"), {"id": note_id})
        conn.execute(text(
            "INSERT INTO note_versions (id, note_id, client_id, number, content, saved_at, saved_by, reason, "
            "updated_at, deleted) VALUES ('v1', 'n1', 'c1', 1, 'sealed', CURRENT_TIMESTAMP, 'u1', 'autosave', "
            "CURRENT_TIMESTAMP, false)"))


def _links(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, appointment_id FROM notes")).all())  # type: ignore[arg-type]


def _has_key(engine: Engine, schema: str | None = None) -> bool:
    return any(fk["referred_table"] == "appointments"
               for fk in inspect(engine).get_foreign_keys("notes", schema=schema))


def check_step(engine: Engine, schema: str | None = None) -> None:
    _seed(engine)
    migrate.upgrade(engine, "0015")
    assert _has_key(engine, schema)
    assert _links(engine) == {"n1": "a1", "n2": None, "n3": None}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM note_bodies")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM note_versions")).scalar_one() == 1
        indexes = {i["name"] for i in inspect(engine).get_indexes("notes", schema=schema)}
    assert {"ix_notes_appointment_id", "ix_notes_unsigned", "ix_notes_client_service_date"} <= indexes
    later = {"ix_notes_appointment_first"}  # 0021's index, not there at 0015
    # the models say the same as the database
    assert [d for d in differences(engine) if not (d[0] == "add_index" and d[1].name in later)] == []
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE notes SET appointment_id = 'made-up' WHERE id = 'n1'"))
    downgrade(engine, "0013")
    assert not _has_key(engine, schema)
    assert _links(engine) == {"n1": "a1", "n2": None, "n3": None}
    migrate.upgrade(engine, "0015")
    assert _has_key(engine, schema)


def test_0015_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0013")
    try:
        check_step(store.engine)
    finally:
        store.close()


def test_0015_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    migrate.upgrade(engine, "0013")
    check_step(engine, schema)
