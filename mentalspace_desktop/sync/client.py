"""The hub's REST API as Python calls, over one ``requests.Session`` (sync/protocol.py is the contract).

Every call has a timeout: a hub that stops answering must never freeze a sync (or the GUI thread
waiting for it). Every failure becomes one of the errors of :mod:`sync.errors`, so callers decide by
class (retry, stop, ask for a sign-in) instead of by parsing HTTP.

Access tokens are short-lived; the client refreshes them on its own with the device's refresh token,
which rotates on every use. The new refresh token is handed to ``on_refresh_token`` at once (the caller
keeps it in the OS keyring): if it were lost, the next refresh would present a spent token and the
hub would revoke the whole sign-in as stolen.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import requests

from mentalspace_desktop import __version__
from mentalspace_desktop.sync import protocol
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DevicePending,
    DeviceRevoked,
    EpochChanged,
    HubRejected,
    HubUnreachable,
    SequenceMismatch,
    UpdateRequired,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
BULK_READ_TIMEOUT = 120.0  # a push of a full batch, or a full pull page, on a slow hub
EVENTS_READ_TIMEOUT = 60.0  # the hub sends a keep-alive well within this
TRANSIENT_STATUSES = frozenset({502, 503, 504})


def _body(response: requests.Response) -> dict[str, Any]:
    """The hub's error body flattened: FastAPI nests a dict ``detail`` one level down."""
    try:
        data = response.json()
    except ValueError:
        return {"detail": response.text[:300]}
    if not isinstance(data, dict):
        return {"detail": str(data)[:300]}
    detail = data.get("detail")
    if isinstance(detail, dict):
        data = {**data, **detail}
        detail = detail.get("detail") or detail.get("message") or ""
    if isinstance(detail, list):  # FastAPI validation errors
        detail = "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item)
                           for item in detail)
    data["detail"] = "" if detail is None else str(detail)
    return data


def error_for(response: requests.Response) -> Exception:
    """The sync error that an unsuccessful hub response means."""
    status = response.status_code
    body = _body(response)
    detail, code = body["detail"], str(body.get("code") or "")
    if status in TRANSIENT_STATUSES:
        return HubUnreachable(f"The hub is not available right now ({status}). Sync will try again shortly.")
    if status == 426:
        return UpdateRequired(detail or "This version of MentalSpace Desktop is too old for the hub. "
                              "Please update it.", status=status, detail=detail, code=code)
    if code == "device_revoked":
        reason = str(body.get("reason") or detail or "")
        return DeviceRevoked(
            "An administrator has removed this workstation from the practice"
            + (f" ({reason})" if reason else "") + ". Its local data has been locked for good.",
            reason=reason, status=status, detail=detail)
    if code == "device_pending":
        return DevicePending("This workstation is waiting for an administrator to approve it.",
                             status=status, detail=detail, code=code)
    if status == 409 and code == "epoch_changed":
        return EpochChanged("The hub was restored from a backup; this workstation will reload its data.",
                            epoch=str(body.get("epoch") or ""), status=status, detail=detail)
    if status == 409 and code == "scope_changed":
        return EpochChanged("Who works on this workstation changed; it will reload what it may hold.",
                            epoch=str(body.get("epoch") or ""), status=status, detail=detail, scope_only=True)
    if status == 409 and code in ("device_seq_behind", "device_seq_gap"):
        last = body.get("last_device_seq")
        return SequenceMismatch(detail or "The hub's record of this workstation's changes differs from its own.",
                                last_device_seq=last if isinstance(last, int) else 0,
                                behind=code == "device_seq_behind", status=status, detail=detail)
    if status == 401:
        return AuthExpired(detail or "The hub did not accept this workstation's sign-in. "
                           "Sign in to the hub again.", status=status, detail=detail, code=code)
    if status >= 500:
        return HubUnreachable(f"The hub had a problem ({status}). Sync will try again shortly.")
    return HubRejected(detail or f"The hub refused the request ({status}).", status=status, detail=detail,
                       code=code)


class HubClient:
    """One workstation's connection to one hub."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        *,
        refresh_token: str | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        session: requests.Session | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        app_version: str = __version__,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.refresh_token = refresh_token
        self.access_token: str | None = None
        self.on_refresh_token = on_refresh_token
        self.http = session or requests.Session()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.app_version = app_version
        self._refresh_lock = threading.RLock()  # see _refresh_unless_done

    def close(self) -> None:
        self.http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, token: str | None = None, read_timeout: float | None = None,
              **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            timeout = (self.connect_timeout, read_timeout or self.read_timeout)
            return self.http.request(method, self.base_url + path, headers=headers, timeout=timeout, **kwargs)
        except requests.Timeout as exc:
            raise HubUnreachable("The hub did not answer in time. Sync will try again shortly.") from exc
        except requests.ConnectionError as exc:
            raise HubUnreachable("The hub cannot be reached (no network, or the hub is off). "
                                 "Your work is saved here and will sync later.") from exc
        except requests.RequestException as exc:
            raise HubUnreachable(f"Talking to the hub failed ({type(exc).__name__}).") from exc

    def _json(self, response: requests.Response) -> dict[str, Any]:
        if not response.ok:
            raise error_for(response)
        try:
            data = response.json()
        except ValueError as exc:  # a proxy's HTML page, a truncated body
            raise HubUnreachable("The hub sent an answer that could not be read.") from exc
        return data if isinstance(data, dict) else {"value": data}

    def _refresh_unless_done(self, seen: str | None) -> None:
        """Refresh, unless another thread already replaced the access token ``seen`` meanwhile.

        The live listener and the sync scheduler share this client: two refreshes at once would
        present one refresh token twice, and the hub would revoke the sign-in as stolen.
        """
        with self._refresh_lock:
            if self.access_token is not None and self.access_token != seen:
                return
            self.refresh()

    def _authed(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call with the access token, refreshing it once when it is missing or has expired."""
        token = self.access_token
        if token is None:
            self._refresh_unless_done(None)
            token = self.access_token
        response = self._send(method, path, token=token, **kwargs)
        if response.status_code == 401:
            self._refresh_unless_done(token)
            response = self._send(method, path, token=self.access_token, **kwargs)
        return self._json(response)

    # -- endpoints ---------------------------------------------------------------------------

    def handshake(self, schema_version: str, *, device_time: datetime | None = None) -> dict[str, Any]:
        """Versions and clocks; raises UpdateRequired when the hub will not serve this version."""
        payload = {"protocol": protocol.PROTOCOL_VERSION, "schema": schema_version,
                   "app_version": self.app_version,
                   "device_time": (device_time or datetime.now(UTC)).isoformat()}
        return self._json(self._send("POST", "/v1/handshake", json=payload))

    def login(self, *, username: str, password: str, code: str, device_name: str,
              signing_key: str | None = None) -> dict[str, Any]:
        """Sign this device in to the hub (an unknown device becomes ``pending``); keeps both tokens.

        ``signing_key``: the person's public signing key for this workstation, which the hub
        registers because it has just checked their password and code (sync/signing.py).
        """
        payload = {"username": username, "password": password, "code": code, "device_id": self.device_id,
                   "device_name": device_name, "app_version": self.app_version}
        if signing_key:
            payload["signing_key"] = signing_key
        response = self._send("POST", "/v1/auth/login", json=payload)
        if response.status_code == 401:  # wrong password or code: not an expired sign-in
            detail = _body(response)["detail"]
            raise HubRejected(detail or "The hub did not accept the user name, password or code.",
                              status=401, detail=detail)
        data = self._json(response)
        self._take_tokens(data)
        return data

    def refresh(self) -> None:
        """Trade the refresh token for a new pair. Any refusal means the sign-in is over."""
        if not self.refresh_token:
            raise AuthExpired("This workstation is not signed in to the hub. Sign in to the hub again.")
        response = self._send("POST", "/v1/auth/refresh",
                              json={"refresh_token": self.refresh_token, "device_id": self.device_id})
        if response.status_code in (400, 401):
            self.access_token = None
            raise AuthExpired("This workstation's hub sign-in has ended. Sign in to the hub again "
                              "(your work is kept and will sync afterwards).",
                              status=response.status_code, detail=_body(response)["detail"])
        self._take_tokens(self._json(response))

    def _take_tokens(self, data: dict[str, Any]) -> None:
        self.access_token = data.get("access_token") or None
        new_refresh = data.get("refresh_token")
        if new_refresh and new_refresh != self.refresh_token:
            self.refresh_token = str(new_refresh)
            if self.on_refresh_token is not None:
                self.on_refresh_token(self.refresh_token)

    def devices_me(self) -> dict[str, Any]:
        return self._authed("GET", "/v1/devices/me")

    def own_audit(self, after: int) -> list[dict[str, Any]]:
        """This workstation's audit entries the hub holds, numbered after ``after`` (sync/restore.py)."""
        answer = self._authed("GET", "/v1/devices/me/audit", params={"after": after})
        rows = answer.get("value")
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    def put_device_key(self, key: str) -> None:
        """Give the hub the secret that unwraps this workstation's device slot (sync/device_key.py)."""
        self._authed("PUT", "/v1/devices/me/key", json={"key": key})

    def put_vouched_key(self, vouch: dict[str, str]) -> str:
        """Register a colleague's key on an administrator's signed word (sync/signing.py); its key id."""
        answer = self._authed("POST", "/v1/devices/me/signing-keys", json={
            "user_id": vouch["user_id"], "public_key": vouch["public"], "voucher_id": vouch["by"],
            "voucher_key_id": vouch["key"], "signature": vouch["sig"]})
        return str(answer.get("key_id") or "")

    def push(self, changes: list[protocol.Change]) -> dict[str, Any]:
        return self._authed("POST", "/v1/sync/push", json={"changes": changes},
                            read_timeout=BULK_READ_TIMEOUT)

    def pull(self, cursor: str, *, limit: int = protocol.PULL_PAGE_SIZE) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._authed("GET", "/v1/sync/pull", params=params, read_timeout=BULK_READ_TIMEOUT)

    def post_sync_log(self, run: dict[str, Any]) -> None:
        self._authed("POST", "/v1/sync/log", json=run)

    def events(self, *, read_timeout: float = EVENTS_READ_TIMEOUT) -> Iterator[int]:
        """The newest committed sequence numbers announced by the hub, as they come.

        Ends (raising HubUnreachable) when the stream breaks or stays silent for ``read_timeout``;
        the caller reconnects.
        """
        token = self.access_token
        if token is None:
            self._refresh_unless_done(None)
            token = self.access_token
        response = self._send("GET", "/v1/sync/events", token=token, stream=True,
                              read_timeout=read_timeout, headers={"Accept": "text/event-stream"})
        if response.status_code == 401:
            response.close()
            self._refresh_unless_done(token)
            response = self._send("GET", "/v1/sync/events", token=self.access_token, stream=True,
                                  read_timeout=read_timeout, headers={"Accept": "text/event-stream"})
        if not response.ok:
            error = error_for(response)
            response.close()
            raise error
        try:
            for raw in response.iter_lines(decode_unicode=True):
                line = raw.decode() if isinstance(raw, bytes) else str(raw)
                if not line.startswith("data:"):
                    continue  # comments (keep-alives), event names, blank separators
                try:
                    seq = json.loads(line[5:].strip()).get("seq")
                except (ValueError, AttributeError):
                    continue
                if isinstance(seq, int):
                    yield seq
        except requests.RequestException as exc:
            raise HubUnreachable("The hub's live updates stopped.") from exc
        finally:
            response.close()
