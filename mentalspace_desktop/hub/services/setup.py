"""Starting a hub: a new practice with its first administrator, or a solo store grown into practice mode.

Both write through :func:`repository.record_write` / the change log, so every row has a number and
reaches devices through ordinary pulls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import AuthenticationError, MentalSpaceError
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services import signatures
from mentalspace_desktop.services import totp
from mentalspace_desktop.services.accounts import Authenticator, check_password
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.messaging_models import MessagingSetting
from mentalspace_desktop.store.models import BackupCode, OutboxEntry, Practice, SyncState, User
from mentalspace_desktop.store.signing import Signer
from mentalspace_desktop.store.sync_models import Device
from mentalspace_desktop.store.types import utcnow
from mentalspace_desktop.sync.tables import TABLES


class SetupError(MentalSpaceError):
    """The hub cannot be set up as asked (already set up, wrong credentials, not an administrator)."""


@dataclass
class NewPractice:
    totp_secret: str
    provisioning_uri: str
    backup_codes: list[str]


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)
    device_id: str = ""


def _refuse_if_set_up(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(User)):
        raise SetupError("This hub already has a practice; nothing was changed.")


def create_practice(
    session: Session, *, practice_name: str, time_zone: str, username: str, full_name: str, password: str
) -> NewPractice:
    if not practice_name.strip() or not username.strip() or not full_name.strip():
        raise SetupError("The practice name, administrator user name and full name are all needed.")
    check_password(password, username=username, full_name=full_name)
    secret = totp.new_secret()
    codes = totp.new_backup_codes()
    with session.begin():
        repo.lock_writes(session)
        _refuse_if_set_up(session)
        practice = Practice(name=practice_name.strip(), time_zone=time_zone)
        repo.record_write(session, practice, op="insert", user_id=None, device_id=None)
        admin = User(
            username=username.strip(),
            full_name=full_name.strip(),
            role=Role.ADMIN.value,
            password_hash=PasswordHasher().hash(password),
            totp_secret=secret,
        )
        repo.record_write(session, admin, op="insert", user_id=None, device_id=None)
        admin.updated_by = admin.id
        session.flush()
        for code in codes:
            repo.record_write(
                session,
                BackupCode(user_id=admin.id, code_hash=totp.backup_code_hash(admin.id, code)),
                op="insert",
                user_id=admin.id,
                device_id=None,
            )
    return NewPractice(
        secret, totp.provisioning_uri(secret, username=username.strip(), practice=practice_name), codes
    )


def import_store(
    session: Session, store_dir: Path, *, username: str, password: str, code: str
) -> ImportSummary:
    """Copy every synced table of a solo desktop store into this (empty) hub, numbering every row.

    The administrator signs in to the store exactly as on the desktop (password, then one-time
    code). The store's own device is registered as approved with its outbox acknowledged, so when it
    joins the hub it does not push again what was just copied.
    """
    files = StoreFiles(Path(store_dir))
    if not files.exists():
        raise SetupError(f"There is no MentalSpace store in {store_dir}.")
    authenticator = Authenticator(files)
    try:
        pending = authenticator.begin(username, password)
        user_session = authenticator.complete(pending, code)
    except AuthenticationError as exc:
        raise SetupError(exc.message) from None
    try:
        if user_session.actor.role is not Role.ADMIN:
            raise SetupError("Only an administrator of the store can move it to a hub.")
        store = user_session.store
        with store.read() as source:
            data: dict[str, list[dict[str, Any]]] = {}
            for name in TABLES:
                model = repo.model_for(name)
                if model is not None:
                    data[name] = [dict(r._mapping) for r in source.execute(select(model.__table__))]
            # The e-mail and Twilio settings go with the store: the hub sends from now on.
            messaging = [dict(r._mapping) for r in source.execute(select(MessagingSetting.__table__))]
            device_id = source.scalar(select(SyncState.value).where(SyncState.key == "device_id")) or ""
            last_seq = source.scalar(select(func.max(OutboxEntry.device_seq))) or 0
        data["users"] = _supervisors_first(data.get("users", []))
        summary = ImportSummary(device_id=device_id)
        with session.begin():
            repo.lock_writes(session)
            _refuse_if_set_up(session)
            for table, rows in data.items():
                _copy_rows(session, table, rows)
                summary.counts[table] = len(rows)
            if messaging:
                session.execute(insert(MessagingSetting), messaging)
            if device_id:
                session.add(
                    Device(
                        id=device_id,
                        name=f"{store.workstation} (imported store)"[:100],
                        enrolled_by=user_session.actor.user_id,
                        status="approved",
                        created_at=utcnow(),
                        approved_at=utcnow(),
                        approved_by=user_session.actor.user_id,
                        last_device_seq=int(last_seq),
                    )
                )
                session.flush()
                # The administrator just signed in with password and code: their key is theirs.
                signing_key = user_session.signing_key
                if signing_key is not None:
                    signatures.register_key(session, device_id, user_session.actor.user_id,
                                            Signer(user_session.actor.user_id, signing_key).public_b64)
            if user_session.clinical_key is not None:  # the store's notes are sealed under its key
                signatures.adopt_clinical_key(session, user_session.clinical_key)
        return summary
    finally:
        user_session.close()


def _supervisors_first(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order users so each supervisor is inserted before the people they supervise (a foreign key)."""
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    remaining = list(users)
    while remaining:
        ready = [
            u
            for u in remaining
            if u["supervisor_id"] is None
            or u["supervisor_id"] in done
            or u["supervisor_id"] not in {x["id"] for x in users}
        ]
        if not ready:  # a cycle: cannot happen through the services, but never loop forever
            ready = remaining
        ordered.extend(ready)
        done.update(u["id"] for u in ready)
        remaining = [u for u in remaining if u["id"] not in done]
    return ordered


def _copy_rows(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    model = repo.model_for(table)
    assert model is not None
    top = repo.take_seq(session, len(rows))
    first = top - len(rows) + 1
    for offset, row in enumerate(rows):
        row["server_seq"] = first + offset
    # Rows the migrations seed on every database (the default note templates, with the same ids
    # everywhere) are already here: the store's copies, as its practice has them, take their place.
    ids = [row["id"] for row in rows]
    for start in range(0, len(ids), 500):
        session.execute(delete(model.__table__).where(model.__table__.c.id.in_(ids[start:start + 500])))
    session.execute(insert(model.__table__), rows)
    for row in rows:
        repo.log_change(
            session,
            seq=row["server_seq"],
            table=table,
            row_id=row["id"],
            client_id=repo.client_of(table, row),
            op="insert",
        )
    session.flush()
