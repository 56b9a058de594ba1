"""Backing up and restoring a practice's store.

Writing a backup copies every client's record out of the app, so it is an administrator's action
and it is audited. Restoring needs no sign-in to unpack (the files stay encrypted), but nothing is
usable until someone signs in with a password that opens one of the backup's key slots; the command
line does that at once to prove the restored store opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import BackupError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.backup import Manifest, read_manifest, restore_backup_file, write_backup_file


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size_bytes: int
    sha256: str
    created_at: datetime
    schema_revision: str
    store_id: str


def write_backup(session: UserSession, out: Path) -> BackupInfo:
    """An encrypted backup of the whole store at ``out`` (administrators only; audited)."""
    require_any(session, Resource.ADMINISTRATION, Action.WRITE)
    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a folder; give the backup a file name, such as "
                          f"{out / 'practice.msbackup'}.")
    slots = session.slots

    def finish(part: Path, target: Path, digest: str) -> None:
        audit.finalise_audited(session, part, target, action="backup", record_type="practice",
                               summary=f"Backup written to {target.name} (sha256 {digest[:16]}…)")

    try:
        manifest, digest = write_backup_file(session.store, slots.to_bytes(), slots.store_id, out, finish)
    except OSError as exc:
        raise BackupError(f"The backup could not be written to {out}: {exc.strerror or exc}.") from None
    return BackupInfo(out, out.stat().st_size, digest, manifest.created_at, manifest.schema_revision,
                      manifest.store_id)


def check_backup(path: Path) -> Manifest:
    """What the backup at ``path`` holds, after checking it is complete and undamaged."""
    return read_manifest(Path(path))


def restore_backup(path: Path, data_dir: Path) -> Manifest:
    """Unpack the backup into ``data_dir``, which must not hold a store; sign in next to use it."""
    try:
        return restore_backup_file(Path(path), Path(data_dir))
    except OSError as exc:
        raise BackupError(f"The backup could not be restored into {data_dir}: "
                          f"{exc.strerror or exc}.") from None
