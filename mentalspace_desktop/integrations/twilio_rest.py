"""What the text and voice channels share: the Twilio client, its settings, and how failures are told apart.

The ``twilio`` library builds and parses the requests. Two things are added through its documented
seam, a custom ``http_client`` (twilio-python's "Custom HTTP Clients" guide):

- **Where requests go, and how.** ``TwilioSettings.api_base`` replaces ``https://api.twilio.com`` in
  each URL: a regional host, or a Twilio-speaking server on loopback in tests. Connections are kept
  alive in a pool as large as the number of threads that send at once, so 10,000 reminders due in
  one minute do not open 10,000 TLS connections (see :class:`PooledHttpClient`).
- **The idempotency key.** Each create request carries ``I-Twilio-Idempotency-Token`` (the header
  Twilio puts on its own webhook requests and accepts on API requests), derived from the reminder's
  key: a request retried after a timeout — when nobody knows whether Twilio took it — is recognised
  as the same message rather than sent twice. The token is a hash, so nothing about the appointment
  leaves in it.

A refusal is classified for the reminder service: an invalid number (21211), a number that cannot
receive texts (21614), a client who has opted out (21610), and any other 4xx are **permanent** (a
person must look); 429, 5xx, timeouts and connection failures are **transient** (retry with backoff).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import queue
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from mentalspace_desktop.domain.reminders.outgoing import SendFailed

TWILIO_API = "https://api.twilio.com"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"

# Where Twilio reaches the hub (remcore13's webhook routes answer these paths under the hub's public
# address). Kept here, beside the code that tells Twilio about them, so the two cannot drift apart.
SMS_STATUS_PATH = "/v1/reminders/twilio/sms/status"
SMS_INBOUND_PATH = "/v1/reminders/twilio/sms/inbound"
VOICE_GATHER_PATH = "/v1/reminders/twilio/voice/gather"
VOICE_STATUS_PATH = "/v1/reminders/twilio/voice/status"

INVALID_NUMBER = 21211
NOT_MOBILE = 21614
OPTED_OUT = 21610
_REASONS = {
    INVALID_NUMBER: "{to} is not a valid phone number; correct it in the client's record.",
    NOT_MOBILE: "{to} cannot receive text messages (a landline?); choose another channel or number.",
    OPTED_OUT: "The client opted out of texts from this number (they replied STOP); they must reply "
               "START before texts reach them again.",
    20003: "Twilio did not accept the account SID and auth token; check the messaging settings.",
    21606: "The sending number is not a Twilio number of this account that can send texts; check the "
           "messaging settings.",
    21408: "This Twilio account may not send to {to}'s country; enable it in Twilio's geo permissions.",
}


@dataclass(frozen=True)
class TwilioSettings:
    """A practice's Twilio account: where texts and calls come from and where Twilio reports back."""

    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str = ""
    """The practice's Twilio number in E.164 form (``+14045550123``)."""
    webhook_base: str = ""
    """The hub's public address (``https://hub.riverside.example``): delivery reports, replies and key
    presses come to it. Empty without a hub reachable from the internet (solo mode)."""
    api_base: str = TWILIO_API
    timeout: float = 15.0

    def webhook(self, path: str) -> str:
        """The full URL of one of the hub's webhook paths, or "" when there is no public address."""
        return self.webhook_base.rstrip("/") + path if self.webhook_base else ""


_idempotency: ContextVar[str | None] = ContextVar("twilio_idempotency_token", default=None)


def idempotency_token(key: str) -> str:
    """The token sent for a reminder's idempotency ``key``: stable, and says nothing about the key."""
    return hashlib.sha256(b"mentalspace-reminder\0" + key.encode()).hexdigest()[:48]


@contextmanager
def idempotent(key: str) -> Iterator[None]:
    """Requests made inside carry ``key``'s idempotency token (per thread, so sends can run at once)."""
    reset = _idempotency.set(idempotency_token(key))
    try:
        yield
    finally:
        _idempotency.reset(reset)


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of an address (port None when absent or unreadable)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return parts.scheme, "", None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or (443 if parts.scheme == "https" else 80)


class PooledHttpClient(HttpClient):
    """twilio-python's HTTP client seam, served by kept-alive ``http.client`` connections.

    Each request is one write (headers and form together) on a connection taken from a small pool,
    so a burst of reminders costs little more than the requests themselves; ``requests`` (which
    twilio-python uses by default) spends several times the CPU of the request on preparing it. The
    host is replaced by ``api_base``, and every POST made inside :func:`idempotent` carries the
    idempotency token — which also makes it safe to resend a request once on a fresh connection when
    a kept-alive one turns out to have been closed by the server.

    Behind a proxy (``HTTPS_PROXY`` in the environment) requests go through twilio-python's own
    client instead, which knows how to talk to one.
    """

    def __init__(self, api_base: str = TWILIO_API, *, pool_size: int = 8, timeout: float = 15.0) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.api_base = api_base.rstrip("/")
        self.pool_size = max(1, pool_size)
        self._idle: dict[tuple[str, str, int], queue.LifoQueue[http.client.HTTPConnection]] = {}
        self._idle_lock = threading.Lock()
        self._tls = ssl.create_default_context()
        proxies = requests.utils.get_environ_proxies(self.api_base + "/")
        self._proxied = TwilioHttpClient(timeout=timeout, proxy=proxies) if proxies else None

    def _pool(self, key: tuple[str, str, int]) -> queue.LifoQueue[http.client.HTTPConnection]:
        with self._idle_lock:
            return self._idle.setdefault(key, queue.LifoQueue(self.pool_size))

    def _connect(self, key: tuple[str, str, int], timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.connect()
        # Headers and form leave in two writes: without this the second waits for the first's ACK.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        if self.api_base != TWILIO_API and url.startswith(TWILIO_API + "/"):
            url = self.api_base + url[len(TWILIO_API):]
        # A list answer names its next page itself (``meta.next_page_url`` is followed as it is): the
        # account's credentials go to the configured host only, never where an answer points.
        if _origin(url) != _origin(self.api_base):
            raise requests.exceptions.InvalidURL(f"refused: an address outside {self.api_base}")
        headers = dict(headers or {})
        token = _idempotency.get()
        if token and method.upper() == "POST":
            headers[IDEMPOTENCY_HEADER] = token
        timeout = self.timeout if timeout is None else timeout
        if self._proxied is not None:
            return self._proxied.request(method, url, params=params, data=data, headers=headers, auth=auth,
                                         timeout=timeout, allow_redirects=allow_redirects)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise requests.exceptions.InvalidURL(f"not an http(s) address: {url}")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        # a list's next page comes as a full address with its own query (Page, PageToken): kept
        query = "&".join(q for q in (parts.query, urlencode(params, doseq=True) if params else "") if q)
        target = parts.path + (f"?{query}" if query else "")
        body = urlencode(data or {}, doseq=True).encode() if data is not None else None
        if auth is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Host"] = parts.netloc
        pool = self._pool(key)
        for attempt in (1, 2):
            conn: http.client.HTTPConnection | None = None
            reused = False
            try:
                try:
                    conn, reused = pool.get_nowait(), True
                    conn.timeout = timeout
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                except queue.Empty:
                    conn, reused = self._connect(key, timeout), False
                conn.request(method.upper(), target, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
            except TimeoutError as exc:
                if conn is not None:
                    conn.close()
                raise requests.Timeout(f"no answer from {parts.hostname} within {timeout} s") from exc
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                if conn is not None:
                    conn.close()
                if reused and attempt == 1:
                    continue  # the server closed the idle connection: again, on a fresh one
                raise requests.ConnectionError(f"{parts.hostname} closed the connection") from exc
            except (OSError, http.client.HTTPException) as exc:
                if conn is not None:
                    conn.close()
                raise requests.ConnectionError(f"{parts.hostname}: {exc}") from exc
            if response.will_close:
                conn.close()
            else:
                try:
                    pool.put_nowait(conn)
                except queue.Full:
                    conn.close()
            return Response(response.status, text, dict(response.getheaders()))
        raise AssertionError("unreachable")  # the loop returns or raises

    def close(self) -> None:
        with self._idle_lock:
            pools, self._idle = list(self._idle.values()), {}
        for pool in pools:
            while True:
                try:
                    pool.get_nowait().close()
                except queue.Empty:
                    break


def make_client(settings: TwilioSettings, *, pool_size: int = 8) -> Client:
    """A Twilio client for ``settings``; share one between threads (its pool is sized for them)."""
    if not settings.account_sid or not settings.auth_token:
        raise SendFailed("Text and voice messages are not set up: enter the Twilio account in the messaging "
                         "settings.", permanent=True, code="not_configured")
    http = PooledHttpClient(settings.api_base or TWILIO_API, pool_size=pool_size, timeout=settings.timeout)
    client = Client(settings.account_sid, settings.auth_token, http_client=http)
    # The library reads TWILIO_EDGE / TWILIO_REGION from the environment: they would quietly send the
    # practice's traffic to another host than the settings say.
    client.edge = None
    client.region = None
    return client


class TwilioChannelBase:
    """One client per channel, shared by the threads that send through it."""

    def __init__(self, settings: TwilioSettings, *, pool_size: int = 8, client: Client | None = None) -> None:
        self.settings = settings
        self.pool_size = pool_size
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = make_client(self.settings, pool_size=self.pool_size)
            return self._client

    def close(self) -> None:
        with self._lock:
            http = getattr(self._client, "http_client", None) if self._client is not None else None
            if isinstance(http, PooledHttpClient):
                http.close()
            self._client = None


def failure(exc: Exception, *, to: str) -> SendFailed:
    """What a failed create request means for the reminder: permanent or worth retrying, and why."""
    if isinstance(exc, TwilioException):
        status = int(getattr(exc, "status", 0) or 0)
        raw_code = getattr(exc, "code", None)
        code = int(raw_code) if isinstance(raw_code, int | str) and str(raw_code).isdigit() else None
        detail = str(getattr(exc, "msg", "") or getattr(exc, "detail", "") or "").strip()
        if code in _REASONS:
            return SendFailed(_REASONS[code].format(to=to), permanent=True, code=str(code))
        if status == 429 or status >= 500 or status == 0:
            return SendFailed(f"Twilio is busy or unavailable (HTTP {status}); the message will be retried.",
                              permanent=False, code=str(code or status))
        return SendFailed(f"Twilio refused the message (HTTP {status}"
                          f"{f', error {code}' if code else ''}): {detail[:200] or 'no reason given'}.",
                          permanent=True, code=str(code or status))
    if isinstance(exc, requests.Timeout):
        return SendFailed("Twilio did not answer in time; the message will be retried (Twilio recognises "
                          "the retry, so it is not sent twice).", permanent=False, code="timeout")
    if isinstance(exc, requests.RequestException):
        return SendFailed(f"Twilio could not be reached ({type(exc).__name__}); the message will be retried.",
                          permanent=False, code="unreachable")
    raise exc


def cost_cents(price: Any) -> int | None:
    """Twilio's ``price`` (a negative decimal string in the account's currency, or null until it is
    known) in whole cents, rounded half up."""
    if price in (None, ""):
        return None
    try:
        value = abs(Decimal(str(price)))
    except InvalidOperation:
        return None
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
