"""Tables of the sync protocol: conflicts and sync runs on both sides, and the hub's own bookkeeping.

The hub runs on the same schema as a desktop store (one Alembic history), so a solo store can be
imported into a hub as is. Hub-only tables stay empty on desktops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime, utcnow


class Conflict(Synced, Base):
    """Two writes to one field that the hub could not both keep. Reaches the author's devices."""

    __tablename__ = "conflicts"

    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str | None] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(60))
    base_value: Mapped[str | None] = mapped_column(Text)  # JSON
    hub_value: Mapped[str | None] = mapped_column(Text)  # JSON: what the hub held
    device_value: Mapped[str | None] = mapped_column(Text)  # JSON: what the device wrote
    kept: Mapped[str] = mapped_column(String(10))  # "hub" (clinical) or "device" (later arrival)
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str | None] = mapped_column(String(36), index=True)  # who wrote device_value
    other_author_id: Mapped[str | None] = mapped_column(String(36))  # who wrote hub_value
    from_device_id: Mapped[str | None] = mapped_column(String(36))
    change_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open, resolved
    resolution: Mapped[str | None] = mapped_column(String(10))  # hub, device, other
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncRun(Base):
    """One sync attempt, on a desktop (its own runs) or on the hub (every device's runs)."""

    __tablename__ = "sync_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(12))  # sync, push, pull, initial
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_dropped: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text)


# -- hub only ------------------------------------------------------------------------------------


class HubCounter(Base):
    """The hub's sequence counter. Taking numbers locks this row until commit, so change-log order is
    commit order and every number at or below the highest committed one is committed (the watermark)."""

    __tablename__ = "hub_counter"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class HubSetting(Base):
    """Key/value facts of the hub: epoch, token signing key, protocol range."""

    __tablename__ = "hub_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the desktop store's device id
    name: Mapped[str] = mapped_column(String(100))
    enrolled_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending/approved/revoked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(36))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    app_version: Mapped[str | None] = mapped_column(String(20))
    last_device_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # highest device_seq applied
    # The secret that unwraps the workstation's own copy of its store key (sync/device_key.py). Only
    # the hub holds it, and it hands it only to staff who sign in there with password and code.
    key_secret: Mapped[str | None] = mapped_column(String(64))


class DeviceUser(Base):
    """Staff who may work on a workstation: they signed in there through the hub, or were created there.

    The hub accepts a change from the workstation as authored by any of them (checked against that
    person's own permissions), and the workstation receives what any of them may read.
    """

    __tablename__ = "device_users"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    how: Mapped[str] = mapped_column(String(20))  # "hub sign-in" or "created here"
    # An administrator removed this person from the workstation: they may no longer sign in or author
    # changes there, and what only they could read leaves it at its next sync.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(36))


class DeviceChange(Base):
    """Every change a device pushed, by its sequence number: a duplicate is a change id seen before.

    A retried push (its answer lost) carries the same change ids and gets the same outcome back; a
    store restored from a backup reuses sequence numbers with new change ids and is told so (409)
    instead of having its new work answered ``duplicate``.
    """

    __tablename__ = "device_changes"
    __table_args__ = (Index("ix_device_changes_change", "device_id", "change_id", unique=True),)

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    change_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)


class RefreshToken(Base):
    """A rotating refresh token, bound to a device. Only a hash is kept; reuse revokes the family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    family: Mapped[str] = mapped_column(String(36), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ChangeLog(Base):
    """One accepted write, numbered in commit order. Pulls read it below the committed watermark."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_table_row", "table_name", "row_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceHolding(Base):
    """Which rows a device holds, so the hub can tell it to drop one that leaves its scope."""

    __tablename__ = "device_holdings"

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class JobLease(Base):
    """Exactly one hub process runs a job at a time: the one holding its unexpired lease."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(60), index=True)
    holder: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)


class AuditChainHead(Base):
    """The hub's witness of one workstation's audit chain: the newest entry it has received.

    Kept off the workstation, so someone who can open a workstation's store still cannot rewrite
    what the hub already holds: an entry that does not continue this head is refused and alerted.
    """

    __tablename__ = "audit_chain_heads"

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditChainAlert(Base):
    """A pushed audit entry the hub refused because it rewrites or breaks a workstation's chain."""

    __tablename__ = "audit_chain_alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(36), index=True)
    entry_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
