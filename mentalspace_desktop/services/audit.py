"""The audit log: append (inside the caller's transaction), filter, export, verify, anchor."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.audit_chain import (
    GENESIS,
    HEAD_MISMATCH,
    HEAD_MISSING,
    Anchor,
    ChainBreak,
    LogReport,
    check_log,
    entry_hash,
)
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.events import AuditDidAppend
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.audit_anchor import HUB_HEAD_KEY, parse_head
from mentalspace_desktop.store.backup import read_manifest
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import make_private_file, open_private
from mentalspace_desktop.store.models import AuditEntry, Client, SyncState, User
from mentalspace_desktop.store.types import utcnow

HEAD_KEY = "audit_head"
_HEAD_CACHE = "mentalspace_audit_head"  # session.info: (device id, (seq, hash), head row) of this transaction

WRITE_ACTIONS = frozenset({"create", "update", "discharge", "consent_added", "consent_revoked", "insurance_changed"})


def append(
    session: Session,
    store: Store,
    *,
    user_id: str | None,
    username: str,
    action: str,
    record_type: str,
    record_id: str | None = None,
    client_id: str | None = None,
    summary: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to this device's chain. Call inside ``store.write()`` so it commits with the data.

    The chain continues from the log's own newest entry. When the stored head is missing or does
    not match it (deleted or edited by hand), nobody is locked out: an entry recording what was
    found goes into the chain first, and the head is rebuilt from the log.
    """
    cached = session.info.get(_HEAD_CACHE)
    if cached is not None and cached[0] == store.device_id:
        # A later entry of the same transaction: the write lock is held, so the head is the one this
        # transaction just wrote (and asking again would flush every pending row each time).
        log_head, head_row = cached[1], cached[2]
    else:
        last = session.execute(
            select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.device_id == store.device_id)
            .order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        log_head = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        head_row = session.get(SyncState, HEAD_KEY)
        recorded = parse_head(head_row.value) if head_row is not None else None
        if recorded != log_head and not (recorded is None and head_row is None and last is None):
            log_head = _record_head_repair(session, store, recorded, log_head, head_row is None, at)
    entry = _chained(session, store, log_head, at=at, user_id=user_id, username=username, action=action,
                     record_type=record_type, record_id=record_id, client_id=client_id, summary=summary)
    session.info[_HEAD_CACHE] = (store.device_id, (entry.seq, entry.hash), _set_head(session, head_row, entry))
    return entry


def _record_head_repair(session: Session, store: Store, recorded: tuple[int, str] | None,
                        log_head: tuple[int, str], missing: bool, at: datetime | None) -> tuple[int, str]:
    if recorded is None:
        action = HEAD_MISSING
        summary = (f"the chain head was {'missing' if missing else 'unreadable'} and was rebuilt from the log "
                   f"(entry {log_head[0]})")
    else:
        action = HEAD_MISMATCH
        summary = (f"the chain head named entry {recorded[0]} ({recorded[1][:12]}…) but the log ended at "
                   f"entry {log_head[0]} ({log_head[1][:12]}…); the head was rebuilt from the log")
    entry = _chained(session, store, log_head, at=at, user_id=None, username="system", action=action,
                     record_type="audit_log", record_id=None, client_id=None, summary=summary)
    return entry.seq, entry.hash


def _chained(session: Session, store: Store, after: tuple[int, str], *, at: datetime | None,
             **values: object) -> AuditEntry:
    seq, prev_hash = after
    moment = at or utcnow()
    if moment.tzinfo is not None:
        # Hashed as it reads back: the store keeps UTC, so an entry stamped in the practice's (or
        # the computer's) zone would otherwise fail verification as "changed after it was written".
        moment = moment.astimezone(UTC)
    fields: dict[str, object] = {
        "id": new_id(),
        "seq": seq + 1,
        "at": moment.replace(microsecond=0),
        "device_id": store.device_id,
        "workstation": store.workstation,
        **values,
    }
    digest = entry_hash(_canonical(fields), prev_hash)
    entry = AuditEntry(**fields, prev_hash=prev_hash, hash=digest)
    session.add(entry)
    return entry


def _set_head(session: Session, head_row: SyncState | None, entry: AuditEntry) -> SyncState:
    value = f"{entry.seq}:{entry.hash}"
    if head_row is None:
        head_row = SyncState(key=HEAD_KEY, value=value)
        session.add(head_row)
    else:
        head_row.value = value
    return head_row


def record(user_session: UserSession, session: Session, **fields: object) -> AuditEntry:
    """Append an entry for the signed-in user."""
    actor = user_session.actor
    return append(session, user_session.store, user_id=actor.user_id, username=actor.username, **fields)  # type: ignore[arg-type]


def _canonical(fields: dict[str, object]) -> dict[str, object]:
    at = fields["at"]
    return {**fields, "at": at.isoformat() if isinstance(at, datetime) else at}


def _as_chain_dict(entry: AuditEntry) -> dict[str, object]:
    d = {name: getattr(entry, name) for name in ("id", "seq", "device_id", "workstation", "user_id", "username",
                                                   "action", "record_type", "record_id", "client_id", "summary",
                                                   "prev_hash", "hash")}
    d["at"] = entry.at.replace(microsecond=0).isoformat()
    return d


_CHAIN_COLUMNS = (AuditEntry.id, AuditEntry.seq, AuditEntry.at, AuditEntry.device_id, AuditEntry.workstation,
                  AuditEntry.user_id, AuditEntry.username, AuditEntry.action, AuditEntry.record_type,
                  AuditEntry.record_id, AuditEntry.client_id, AuditEntry.summary, AuditEntry.prev_hash,
                  AuditEntry.hash)


def _chain_rows(s: Session) -> Iterator[dict[str, object]]:
    """Every entry of every device, ordered by device then seq, as the chain hashes them."""
    rows = s.execute(select(*_CHAIN_COLUMNS).order_by(AuditEntry.device_id, AuditEntry.seq)
                     .execution_options(yield_per=2000))
    for row in rows:
        d = dict(row._mapping)
        d["at"] = d["at"].replace(microsecond=0).isoformat()
        yield d


def own_anchors(s: Session, store: Store) -> list[Anchor]:
    """Heads this store records for its own chain: its own head, and the last one the hub acknowledged."""
    anchors = []
    head = parse_head(s.scalar(select(SyncState.value).where(SyncState.key == HEAD_KEY)))
    if head is not None:
        anchors.append(Anchor("this store's chain head", {store.device_id: head}))
    acknowledged = parse_head(s.scalar(select(SyncState.value).where(SyncState.key == HUB_HEAD_KEY)))
    if acknowledged is not None:
        anchors.append(Anchor("the hub (the last entry it acknowledged)", {store.device_id: acknowledged}))
    return anchors


def check_store_log(store: Store, anchors: Sequence[Anchor] = ()) -> LogReport:
    """Every device's chain in the store, against the store's own heads, the hub's and ``anchors``."""
    with store.read() as s:
        workstations = dict(s.execute(select(AuditEntry.device_id, func.max(AuditEntry.workstation))
                                      .group_by(AuditEntry.device_id)).all())

        def describe(device: str) -> str:
            return f"workstation {workstations.get(device) or '?'} (device {device[:8]})"

        return check_log(_chain_rows(s), own_device=store.device_id,
                         anchors=[*own_anchors(s, store), *anchors], describe=describe)


def verify_store(store: Store) -> ChainBreak | None:
    """The first problem found in the store's audit log, or None when it is intact."""
    report = check_store_log(store)
    return ChainBreak(report.findings[0].seq, report.findings[0].reason) if report.findings else None


# -- anchors: chain heads kept outside the workstation ---------------------------------------------

ANCHOR_MAGIC = "mentalspace-audit-anchor"
ANCHOR_FORMAT = 1


def current_heads(store: Store) -> dict[str, tuple[int, str]]:
    """The newest entry (seq, hash) of every device's chain in the store."""
    with store.read() as s:
        newest = (select(AuditEntry.device_id, func.max(AuditEntry.seq).label("seq"))
                  .group_by(AuditEntry.device_id).subquery())
        rows = s.execute(select(AuditEntry.device_id, AuditEntry.seq, AuditEntry.hash)
                         .join(newest, (AuditEntry.device_id == newest.c.device_id)
                               & (AuditEntry.seq == newest.c.seq)))
        return {str(d): (int(q), str(h)) for d, q, h in rows}


def save_anchor(session: UserSession, out: Path) -> Path:
    """Write the audit log's anchor to ``out``, for the administrator to keep off this workstation.

    The anchor holds the newest entry (number and hash) of every chain; ``audit verify --anchor``
    later proves that nothing up to those entries was changed, removed or added. The entry that
    records the anchor comes first, so the anchor covers it too.
    """
    require_any(session, Resource.AUDIT_LOG, Action.READ)
    out = Path(out)
    if out.is_dir():
        raise ValidationError({"out": "Give the anchor a file name."},
                              f"{out} is a folder; give the anchor a file name, such as "
                              f"{out / 'audit-anchor.json'}.")
    store = session.store
    with store.write(session.actor.user_id) as s:
        record(session, s, action="audit_anchor", record_type="audit_log",
               summary=f"Audit anchor saved to {out.name}")
    heads = current_heads(store)
    body = {
        "magic": ANCHOR_MAGIC, "format": ANCHOR_FORMAT, "store_id": session.slots.store_id,
        "made_at": utcnow().replace(microsecond=0).isoformat(), "workstation": store.workstation,
        "made_by": session.actor.username,
        "heads": {device: {"seq": seq, "hash": digest} for device, (seq, digest) in sorted(heads.items())},
    }
    part = out.with_name(out.name + ".part")
    with open_private(part, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=1, sort_keys=True)
    os.replace(part, out)
    session.events.emit(AuditDidAppend())
    return out


def read_anchor(path: Path, store_id: str) -> Anchor:
    """The heads in an anchor file, or in a backup (each backup carries the heads of its moment)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError({"anchor": "not found"}, f"There is no anchor file at {path}.")
    with path.open("rb") as handle:
        start = handle.read(4)
    if start == b"PK\x03\x04":
        manifest = read_manifest(path)
        found_id, heads = manifest.store_id, manifest.audit_heads
        source = f"the backup {path.name} of {manifest.created_at:%Y-%m-%d %H:%M} UTC"
    else:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("magic") != ANCHOR_MAGIC:
                raise ValueError("not an anchor")
            found_id = str(raw.get("store_id"))
            heads = {str(d): (int(h["seq"]), str(h["hash"])) for d, h in raw["heads"].items()}
            source = f"the anchor {path.name} of {raw.get('made_at', '?')}"
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise ValidationError({"anchor": "unreadable"},
                                  f"{path} is not a MentalSpace audit anchor or backup.") from None
    if not heads:
        raise ValidationError({"anchor": "no heads"}, f"{path} holds no audit chain heads (a backup made by an "
                              "older version carries none); use a newer backup or an anchor file.")
    if found_id != store_id:
        raise ValidationError({"anchor": "other store"},
                              f"{path} belongs to another practice's store, not this one.")
    return Anchor(source, heads)


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    username: str | None = None
    action: str | None = None
    client_id: str | None = None
    text: str | None = None
    limit: int = 2000


EXPORT_COLUMNS = ("seq", "at", "username", "action", "record_type", "record_id", "client_id", "workstation",
                  "device_id", "summary", "hash")


class AuditService:
    """The audit screen's use cases: administrators see everything, supervisors their team's entries."""

    def __init__(self, session: UserSession) -> None:
        self.session = session

    def _query(self, flt: AuditFilter) -> Select[AuditEntry]:
        require_any(self.session, Resource.AUDIT_LOG, Action.READ)
        q = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.seq.desc())
        if self.session.actor.role.value == "supervisor":
            # Everything their team did, and everything anyone did to their team's clients.
            team = set(self.session.team_clinician_ids()) | {self.session.actor.user_id}
            team_clients = select(Client.id).where(Client.primary_clinician_id.in_(team))
            q = q.where(AuditEntry.user_id.in_(team) | AuditEntry.client_id.in_(team_clients))
        if flt.since:
            q = q.where(AuditEntry.at >= flt.since)
        if flt.until:
            q = q.where(AuditEntry.at < flt.until)
        if flt.username:
            q = q.where(AuditEntry.username == flt.username)
        if flt.action:
            q = q.where(AuditEntry.action == flt.action)
        if flt.client_id:
            q = q.where(AuditEntry.client_id == flt.client_id)
        if flt.text:
            q = q.where(AuditEntry.summary.icontains(flt.text) | AuditEntry.record_id.icontains(flt.text))
        return q.limit(flt.limit)

    def entries(self, flt: AuditFilter) -> list[AuditEntry]:
        with self.session.store.read() as s:
            return list(s.scalars(self._query(flt)))

    def actions(self) -> list[str]:
        with self.session.store.read() as s:
            return sorted(s.scalars(select(AuditEntry.action).distinct()))

    def usernames(self) -> list[str]:
        with self.session.store.read() as s:
            return sorted(s.scalars(select(User.username)))

    def export_csv(self, flt: AuditFilter, out: Path) -> int:
        """Write the filtered entries to ``out``; the export itself is audited."""
        rows = self.entries(flt)
        write_csv(out, EXPORT_COLUMNS, ([getattr(e, c) for c in EXPORT_COLUMNS] for e in rows),
                  audited=(self.session, {"action": "export", "record_type": "audit_log",
                                          "summary": f"{len(rows)} entries to CSV"}))
        self.session.events.emit(AuditDidAppend())
        return len(rows)

    def save_anchor(self, out: Path) -> Path:
        """The audit screen's "Save anchor…": see ``save_anchor``."""
        return save_anchor(self.session, out)


def write_private(out: Path, write: Callable[[Path], object],
                  audited: tuple[UserSession, dict[str, Any]] | None = None) -> None:
    """Write a file owner-only beside ``out`` (``write`` fills it) and rename it into place; with
    ``audited``, only once its audit entry is committed (see ``finalise_audited``)."""
    tmp = out.with_name(out.name + ".part")
    try:
        make_private_file(tmp)
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if audited is None:
        os.replace(tmp, out)
    else:
        finalise_audited(audited[0], tmp, out, **audited[1])


def write_csv(out: Path, header: Sequence[str], rows: Iterable[Sequence[object]],
              audited: tuple[UserSession, dict[str, Any]] | None = None) -> None:
    """A CSV written as :func:`write_private` writes: owner-only, named only once audited."""

    def fill(path: Path) -> None:
        with open_private(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, datetime) else v)
                                 for v in row])

    write_private(out, fill, audited)


def finalise_audited(session: UserSession, part: Path, out: Path, **fields: Any) -> None:
    """Give a finished export or backup its name only after its audit entry is committed.

    The entry comes first: if the store is busy or damaged, the file is removed and nothing leaves
    unaudited. Should the rename then fail, a second entry says the file was not written after all.
    """
    try:
        with session.store.write(session.actor.user_id) as s:
            record(session, s, **fields)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    try:
        os.replace(part, out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        with session.store.write(session.actor.user_id) as s:
            record(session, s, action=f"{fields['action']}_failed", record_type=str(fields["record_type"]),
                   summary=f"{out.name} was not written: {exc.strerror or exc}")
        raise


