"""The backup file: one zip holding a manifest, the encrypted database and the key slot file.

The database inside is a consistent snapshot made by SQLCipher's ``sqlcipher_export`` into a new
file keyed with the same master key, so the backup is exactly as unreadable as the store: it opens
only through a user's key slot, and the same users sign in with the same passwords after a restore.

The manifest is the zip's first member, so the file's first bytes say what it is (a truncated or
foreign file is told apart from a damaged backup) and it lists a SHA-256 for every other member.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mentalspace_desktop import __version__
from mentalspace_desktop.errors import BackupError, StoreExists
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import (
    StoreFiles,
    make_private_dir,
    make_private_file,
    open_private,
    write_atomically,
)
from mentalspace_desktop.store.placement import place_store
from mentalspace_desktop.store.scratch import scratch_folder

MAGIC = "mentalspace-backup"
FORMAT = 1
MANIFEST = "mentalspace-backup.json"
DATABASE = "store.db"
KEY_SLOTS = "keyslots.json"
_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    format: int
    app_version: str
    schema_revision: str
    created_at: datetime
    store_id: str
    parts: dict[str, dict[str, Any]]  # member name -> {"sha256": ..., "size": ...}
    audit_heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # device id -> (seq, hash)

    def to_json(self) -> bytes:
        return json.dumps({
            "magic": MAGIC, "format": self.format, "app_version": self.app_version,
            "schema_revision": self.schema_revision, "created_at": self.created_at.isoformat(),
            "store_id": self.store_id, "parts": self.parts,
            "audit_heads": {device: {"seq": seq, "hash": digest}
                            for device, (seq, digest) in self.audit_heads.items()},
        }, indent=1, sort_keys=True).encode()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


AuditHeads = dict[str, tuple[int, str]]  # device id -> (seq, hash) of its newest audit entry

_HEADS_SQL = (
    "SELECT a.device_id, a.seq, a.hash FROM audit_log a "
    "WHERE a.seq = (SELECT max(b.seq) FROM audit_log b WHERE b.device_id = a.device_id)"
)


def export_database(store: Store, target: Path) -> AuditHeads:
    """A consistent, still-encrypted copy of the store's database at ``target`` (which must not exist).

    The export runs in one read transaction, so it sees a single moment of the store even while the
    app keeps writing (WAL lets writers go on meanwhile). Returns the audit chain heads of that
    moment, which the backup's manifest carries as an anchor kept outside the workstation.
    """
    conn = store.engine.raw_connection()
    try:
        cursor = conn.cursor()
        quoted = str(target).replace("'", "''")
        make_private_file(target)
        cursor.execute(f"ATTACH DATABASE '{quoted}' AS backup KEY \"x'{store.master_key.hex()}'\"")
        try:
            cursor.execute("BEGIN")
            heads = {str(d): (int(q), str(h)) for d, q, h in cursor.execute(_HEADS_SQL).fetchall()}
            cursor.execute("SELECT sqlcipher_export('backup')")
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.execute("DETACH DATABASE backup")
        cursor.close()
    finally:
        conn.close()
    return heads


Finish = Callable[[Path, Path, str], None]


def _rename(part: Path, out: Path, _digest: str) -> None:
    os.replace(part, out)


def write_backup_file(store: Store, key_slots: bytes, store_id: str, out: Path,
                      finish: Finish = _rename) -> tuple[Manifest, str]:
    """Write the backup zip to ``out`` (replacing it only once complete); the manifest and file SHA-256.

    The copies are made in a scratch folder under the store (see ``store.scratch``: a killed backup
    leaves nothing behind past the next start). The finished zip waits beside ``out`` and ``finish``
    puts it in place: the service records the audit entry first, so no backup exists unaudited.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with scratch_folder(store.files, "backup") as scratch:
        db = scratch.path / DATABASE
        heads = export_database(store, db)
        slots = scratch.path / KEY_SLOTS
        with open_private(slots) as handle:
            handle.write(key_slots)
        manifest = Manifest(
            format=FORMAT, app_version=__version__, schema_revision=store.schema_version,
            created_at=datetime.now(UTC).replace(microsecond=0), store_id=store_id,
            parts={p.name: {"sha256": _sha256_file(p), "size": p.stat().st_size} for p in (db, slots)},
            audit_heads=heads,
        )
        built = scratch.path / "backup.zip"
        make_private_file(built)  # wrapped keys invite offline password guessing: keep it private
        with zipfile.ZipFile(built, "w") as archive:
            archive.writestr(MANIFEST, manifest.to_json(), compress_type=zipfile.ZIP_DEFLATED)
            archive.write(db, DATABASE, compress_type=zipfile.ZIP_STORED)  # encrypted pages do not compress
            archive.write(slots, KEY_SLOTS, compress_type=zipfile.ZIP_DEFLATED)
        with built.open("rb+") as handle:
            os.fsync(handle.fileno())
        digest = _sha256_file(built)
        part = scratch.outside(out.with_name(f".{out.name}.{scratch.path.name}.part"))
        _move_beside(built, part)
        finish(part, out, digest)
    return manifest, digest


def _move_beside(built: Path, part: Path) -> None:
    """Move the finished zip beside its destination: a rename when on one disk, else a synced copy."""
    try:
        os.replace(built, part)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    with built.open("rb") as src, open_private(part) as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def _check_looks_like_backup(path: Path) -> None:
    """Refuse a file whose first bytes are not a zip whose first member is our manifest."""
    with path.open("rb") as handle:
        head = handle.read(30 + len(MANIFEST))
    if len(head) >= 30 and head[:4] == _ZIP_LOCAL_HEADER:
        (name_length,) = struct.unpack("<H", head[26:28])
        if name_length == len(MANIFEST) and head[30:] == MANIFEST.encode():
            return
    raise BackupError(f"{path} is not a MentalSpace backup.")


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"The backup {path} is damaged ({why}); it cannot be restored. Use another backup.")


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup at ``path``, after checking that every part is present and intact."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    _check_looks_like_backup(path)
    try:
        with zipfile.ZipFile(path) as archive:
            raw = json.loads(archive.read(MANIFEST))
            manifest = _parse_manifest(path, raw)
            for name, part in manifest.parts.items():
                digest = hashlib.sha256()
                with archive.open(name) as member:
                    while chunk := member.read(_CHUNK):
                        digest.update(chunk)
                if digest.hexdigest() != part.get("sha256"):
                    raise _damaged(path, f"{name} does not match its checksum")
    except BackupError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from None
    return manifest


def _parse_manifest(path: Path, raw: Any) -> Manifest:
    if not isinstance(raw, dict) or raw.get("magic") != MAGIC:
        raise BackupError(f"{path} is not a MentalSpace backup.")
    if not isinstance(raw.get("format"), int) or raw["format"] > FORMAT:
        raise BackupError(f"The backup {path} was made by a newer version of MentalSpace Desktop; "
                          "install that version to restore it.")
    parts = raw.get("parts")
    if not isinstance(parts, dict) or set(parts) != {DATABASE, KEY_SLOTS}:
        raise _damaged(path, "its list of contents is incomplete")
    revision = str(raw.get("schema_revision", ""))
    if revision not in migrate.known_revisions():
        raise BackupError(f"The backup {path} was made by a newer version of MentalSpace Desktop "
                          f"({raw.get('app_version', '?')}); install that version to restore it.")
    heads_raw = raw.get("audit_heads") or {}
    try:
        heads = {str(device): (int(head["seq"]), str(head["hash"])) for device, head in heads_raw.items()}
    except (AttributeError, KeyError, TypeError, ValueError):
        raise _damaged(path, "its audit anchor is unreadable") from None
    return Manifest(format=raw["format"], app_version=str(raw.get("app_version", "")),
                    schema_revision=revision, created_at=datetime.fromisoformat(str(raw["created_at"])),
                    store_id=str(raw.get("store_id")), parts=parts, audit_heads=heads)


RESTORED_MARKER = "restored-from-backup"


def restored_marker(store: Any) -> Path:
    """The file that says a store was restored from a backup and has not synced since."""
    return Path(store.files.data_dir) / RESTORED_MARKER


def restore_backup_file(path: Path, data_dir: Path) -> Manifest:
    """Unpack the backup at ``path`` into ``data_dir`` (which must not hold a store)."""
    files = StoreFiles(Path(data_dir))
    if files.exists():
        raise StoreExists(f"A store already exists in {files.data_dir}; restore into an empty folder.")
    manifest = read_manifest(path)
    files.data_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{files.data_dir.name}.restore-", dir=files.data_dir.parent))
    try:
        unpacked = make_private_dir(scratch / "store")
        with zipfile.ZipFile(path) as archive:
            for name in (DATABASE, KEY_SLOTS):
                target = unpacked / name
                with archive.open(name) as member, open_private(target) as handle:
                    shutil.copyfileobj(member, handle, _CHUNK)
                    handle.flush()
                    os.fsync(handle.fileno())
                if _sha256_file(target) != manifest.parts[name]["sha256"]:
                    raise _damaged(Path(path), f"{name} changed while it was read")
        _check_store_id(Path(path), unpacked / KEY_SLOTS, manifest)
        _remove_stale_journals(files)
        # Read by sync before this store's next push (sync/engine.py): the hub may hold changes made
        # here after the backup, under the numbers this store will now use again.
        write_atomically(unpacked / RESTORED_MARKER, manifest.created_at.isoformat().encode())
        place_store(unpacked, files.data_dir)
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise _damaged(Path(path), f"{type(exc).__name__}: {exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest


def _remove_stale_journals(files: StoreFiles) -> None:
    """A -wal, -shm or -journal with no store.db beside it belongs to no store (a store deleted by
    hand, say); left there, SQLite would replay it into the restored file. Remove them first."""
    if files.database.exists():
        return
    for suffix in ("-wal", "-shm", "-journal"):
        files.database.with_name(files.database.name + suffix).unlink(missing_ok=True)


def _check_store_id(path: Path, key_slots: Path, manifest: Manifest) -> None:
    try:
        store_id = json.loads(key_slots.read_text(encoding="utf-8")).get("store_id")
    except ValueError:
        raise _damaged(path, "the key file is unreadable") from None
    if store_id != manifest.store_id:
        raise _damaged(path, "the key file belongs to another store")
