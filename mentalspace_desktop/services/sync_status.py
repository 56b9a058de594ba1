"""What a person can know about sync on this workstation, and what an administrator does to devices.

Everyone sees whether this store is connected to a hub, how many of their changes wait to be sent,
the local sync log and the changes of theirs the hub refused (with its reasons: a rejection is never
dropped silently). Administrators also read every device's sync log on the hub and approve or revoke
workstations; that is checked here, not only by hiding the screens, and again by the hub.

The hub calls go through the one :class:`SharedHubClient` of this store (see its docstring for why
there must be only one). Nothing here imports Qt; the GUI runs these calls in its workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.sync_models import SyncRun
from mentalspace_desktop.sync import parked, state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.enroll import open_client
from mentalspace_desktop.sync.errors import NotConnected
from mentalspace_desktop.sync.outbox_reader import pending_count, rejections

TABLE_LABELS = {
    "clients": "Client record",
    "insurances": "Insurance",
    "consents": "Consent",
    "users": "Staff account",
    "practice": "Practice settings",
    "backup_codes": "Backup codes",
    "conflicts": "Conflict decision",
    "notes": "Note",
    "note_bodies": "Note text",
    "appointments": "Appointment",
    "appointment_status_history": "Appointment status",
    "group_attendance": "Group attendance",
}


class SharedHubClient(HubClient):
    """The one hub client of a store, shared by sync runs, live updates and administrator calls.

    Refresh tokens rotate and the hub treats a token presented twice as stolen, ending the whole
    sign-in: two clients of one store would do exactly that, so a store has one client (HubClient
    serialises its own refreshes between threads). This adds the administrator's endpoints.
    """

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated call for the administrator's endpoints; a JSON list comes back as a list."""
        data = self._authed(method, path, **kwargs)
        return data["value"] if set(data) == {"value"} else data


def open_shared_client(store: Store) -> SharedHubClient:
    """The client of the hub this store is connected to (raises NotConnected in solo mode)."""
    client = open_client(store, factory=SharedHubClient)
    assert isinstance(client, SharedHubClient)
    return client


@dataclass(frozen=True)
class RunView:
    """One sync attempt, from the local log or the hub's log of every device."""

    id: str
    device_id: str
    user_id: str | None
    started_at: datetime
    kind: str
    pushed: int
    rows_new: int
    rows_updated: int
    rows_unchanged: int
    rows_dropped: int
    rejected: int
    conflicts: int
    duration_ms: int
    ok: bool
    error: str | None
    device_name: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class RejectionView:
    change_id: str
    what: str  # "Client record", "Consent", …
    row_id: str
    op: str
    reason: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DeviceView:
    id: str
    name: str
    user_id: str
    username: str | None
    status: str
    last_seen_at: datetime | None
    app_version: str | None
    created_at: datetime | None
    revoked_reason: str | None
    staff: tuple[str, ...] = ()  # who works there: signed in there through the hub, or created there


@dataclass(frozen=True)
class SyncStatus:
    connected: bool  # False: a solo store; nothing about sync is shown
    hub_url: str | None
    device_id: str
    device_status: str | None  # pending, approved, revoked (as last heard from the hub)
    unsent: int
    last_run: RunView | None
    last_success_at: datetime | None
    waiting: int = 0  # received rows waiting for a row they refer to (sync/parked.py)


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _run_view(row: Any, **extra: Any) -> RunView:
    get = (lambda k: row.get(k)) if isinstance(row, dict) else (lambda k: getattr(row, k))
    started = _when(get("started_at"))
    assert started is not None
    return RunView(str(get("id")), str(get("device_id")), get("user_id"), started, str(get("kind") or "sync"),
                   int(get("pushed") or 0), int(get("rows_new") or 0), int(get("rows_updated") or 0),
                   int(get("rows_unchanged") or 0), int(get("rows_dropped") or 0), int(get("rejected") or 0),
                   int(get("conflicts") or 0), int(get("duration_ms") or 0), bool(get("ok")), get("error"),
                   **extra)


def _device_view(d: dict[str, Any]) -> DeviceView:
    return DeviceView(str(d["id"]), str(d.get("name") or ""), str(d.get("user_id") or ""), d.get("username"),
                      str(d.get("status") or ""), _when(d.get("last_seen_at")), d.get("app_version"),
                      _when(d.get("created_at")), d.get("revoked_reason"),
                      tuple(str(name) for name in d.get("staff") or ()))


def is_connected(store: Store) -> bool:
    """Practice mode: the store was connected to a hub (solo stores never show sync)."""
    return bool(state.hub_url(store))


class SyncStatusService:
    """Sync as one signed-in user sees it; ``client`` is the store's shared hub client (if any)."""

    def __init__(self, session: UserSession, client: SharedHubClient | None = None) -> None:
        self.session = session
        self.client = client

    @property
    def _store(self) -> Store:
        return self.session.store

    # -- everyone ------------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        url = state.hub_url(self._store)
        runs = self.recent_runs(limit=1)
        with self._store.read() as s:
            last_ok = s.scalar(select(SyncRun.started_at).where(SyncRun.ok.is_(True))
                               .order_by(SyncRun.started_at.desc()).limit(1))
        return SyncStatus(bool(url), url, self._store.device_id, self._store.get_state(state.DEVICE_STATUS),
                          pending_count(self._store), runs[0] if runs else None, last_ok,
                          parked.count(self._store))

    def unsent_count(self) -> int:
        return pending_count(self._store)

    def recent_runs(self, *, limit: int = 100) -> list[RunView]:
        """This workstation's sync log, newest first (counts only: no health information in it)."""
        with self._store.read() as s:
            rows = list(s.scalars(select(SyncRun).where(SyncRun.device_id == self._store.device_id)
                                  .order_by(SyncRun.started_at.desc()).limit(limit)))
        return [_run_view(r) for r in rows]

    def my_rejections(self) -> list[RejectionView]:
        """Changes this user wrote that the hub refused, newest first, with the hub's reason."""
        return [RejectionView(r.change_id, TABLE_LABELS.get(r.table, r.table.replace("_", " ").capitalize()),
                              r.row_id, r.op, r.reason or "Refused by the hub.",
                              tuple(sorted(r.changes)))
                for r in rejections(self._store, author_id=self.session.actor.user_id)]

    # -- administrators ------------------------------------------------------------------------

    def _hub(self) -> SharedHubClient:
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        if self.client is None:
            raise NotConnected("This workstation is not connected to a practice hub.")
        return self.client

    def devices(self) -> list[DeviceView]:
        return [_device_view(d) for d in self._hub().call("GET", "/v1/devices")]

    def approve_device(self, device_id: str) -> DeviceView:
        return _device_view(self._hub().call("POST", f"/v1/devices/{device_id}/approve"))

    def revoke_device(self, device_id: str, *, reason: str) -> DeviceView:
        """Revoke a workstation; it destroys its key slots the next time it reaches the hub."""
        if not reason.strip():
            raise ValidationError({"reason": "Say why this workstation is removed: its user will see it."})
        hub = self._hub()
        if device_id == self._store.device_id:
            raise ValidationError({"device": "You cannot revoke the workstation you are using."})
        answer = hub.call("POST", f"/v1/devices/{device_id}/revoke", json={"reason": reason.strip()})
        return _device_view(answer)

    def remove_person(self, device_id: str, username: str) -> DeviceView:
        """Stop a person working on a workstation: they can no longer sign in or sync there, and what
        only they could read leaves it at its next sync (the hub checks again that you are an
        administrator)."""
        if not username.strip():
            raise ValidationError({"person": "Choose who no longer works on this workstation."})
        answer = self._hub().call("POST", f"/v1/devices/{device_id}/remove-person",
                                  json={"user": username.strip()})
        return _device_view(answer)

    def hub_log(self, *, limit: int = 300) -> list[RunView]:
        """Every device's sync runs as the hub recorded them, newest first, with device and user names."""
        hub = self._hub()
        devices = {d.id: d for d in self.devices()}
        runs = hub.call("GET", "/v1/sync/log", params={"limit": limit})
        return [_run_view(r, device_name=devices[r["device_id"]].name if r["device_id"] in devices else None,
                          username=devices[r["device_id"]].username if r["device_id"] in devices else None)
                for r in runs]
