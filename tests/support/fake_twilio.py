"""A local HTTP server that speaks the part of the Twilio REST API reminders use, and Twilio's webhooks.

Real HTTP on loopback, so the ``twilio`` library is exercised as it is in production (its request
building, basic auth, form encoding, JSON answers and error exceptions): only the host differs.

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` and ``.../Calls.json``: form-encoded, basic
  auth with the account SID and auth token; answers ``201`` with the resource as Twilio returns it
  (``sid``, ``status``, ``price`` …). A request repeated with the same ``I-Twilio-Idempotency-Token``
  returns the first answer and creates nothing.
- Told to, it refuses a number with a Twilio error code (21211 invalid number, 21614 not a mobile,
  21610 opted out …), answers 5xx or 429 a number of times, or is slow to answer (client timeouts).
- It records what it received (``messages``, ``calls``) and how many requests it served.
- ``GET .../Messages.json`` lists messages as Twilio does (newest first; ``To``, ``From``,
  ``DateSent``, ``DateSent>``, ``DateSent<`` filters; ``PageSize`` pages with ``next_page_uri``
  carrying ``Page`` and ``PageToken``), including texts clients sent to the practice
  (``receive``); ``GET .../Messages/{Sid}.json`` and ``.../Calls/{Sid}.json`` fetch one, with the
  status ``set_status`` gave it. This is how a solo workstation, which Twilio cannot call, reads
  replies and delivery statuses.
- Told to (``report_before_answer``), it posts a message's status callback *before* answering the
  create request, as Twilio may: the sender has not recorded the message's SID yet.
- It sends what Twilio sends to a practice: delivery status callbacks, inbound text messages and a
  reminder call's key press, form-encoded and **signed** with ``X-Twilio-Signature`` computed by
  ``twilio.request_validator.RequestValidator`` with the auth token (or left unsigned / signed with
  the wrong token, to test refusals). ``signed(url, params)`` gives the headers for a test that posts
  through its own client (FastAPI's TestClient).
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21205: "Url parameter is required.",
}


@dataclass(frozen=True)
class Request:
    """One create request as the server received it."""

    kind: str  # "Messages" or "Calls"
    form: dict[str, str]
    multi: dict[str, list[str]]  # every value of a repeated field (StatusCallbackEvent)
    headers: dict[str, str]
    sid: str

    @property
    def idempotency_token(self) -> str | None:
        return self.headers.get("i-twilio-idempotency-token")


@dataclass
class _Failure:
    status: int
    code: int | None
    times: int | None  # None: always


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    price: str | None = None
    """The ``price`` a created resource reports (Twilio: e.g. ``"-0.00790"``; null until it is known)."""
    delay: float = 0.0
    """Seconds to wait before answering a create request (a client timeout test)."""
    report_before_answer: str | None = None
    """A message status (``"sent"``, ``"delivered"`` …) to post, signed, to a created message's
    ``StatusCallback`` before the create request is answered."""
    early_reports: list[int] = field(default_factory=list)
    """The HTTP status of each callback posted before answering."""
    next_page_url: str | None = None
    """When set, a list answer names this full address as its next page (``meta.next_page_url``, which
    twilio-python follows as it is): an answer pointing the client at another host."""
    messages: list[Request] = field(default_factory=list)
    calls: list[Request] = field(default_factory=list)
    served: int = 0
    _numbers: dict[str, _Failure] = field(default_factory=dict)
    _next: list[_Failure] = field(default_factory=list)
    _by_token: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # sid -> resource (both directions)
    _order: list[str] = field(default_factory=list)  # message sids in the order they were sent
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _gets: int = 0
    _open: set[Any] = field(default_factory=set)

    # -- the server ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def drop_idle_connections(self) -> int:
        """Close every kept-alive connection from the server's side, as a server does with idle ones
        (a client must then notice, and resend on a new connection)."""
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(sockets)

    # -- what to answer --------------------------------------------------------------------------

    def fail_number(self, number: str, code: int, *, status: int = 400, times: int | None = None) -> None:
        """Refuse requests to ``number`` with Twilio error ``code`` (every time, or ``times`` times)."""
        self._numbers[number] = _Failure(status, code, times)

    def fail_next(self, status: int = 503, *, times: int = 1, code: int | None = None) -> None:
        """Answer the next ``times`` create requests with ``status`` (a 5xx or 429), whatever they ask."""
        self._next.append(_Failure(status, code, times))

    def _failure_for(self, to: str) -> _Failure | None:
        with self._lock:
            for queue_item in self._next:
                if queue_item.times:
                    queue_item.times -= 1
                    return queue_item
            failure = self._numbers.get(to)
            if failure is not None and failure.times is not None:
                if failure.times <= 0:
                    return None
                failure.times -= 1
            return failure

    def _create(self, kind: str, form: dict[str, str], multi: dict[str, list[str]],
                headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        token = headers.get("i-twilio-idempotency-token")
        if token:
            with self._lock:
                known = self._by_token.get((kind, token))
            if known is not None:
                return 201, known
        if "To" not in form:
            return _error(400, 21604, form)
        if "From" not in form and "MessagingServiceSid" not in form:
            return _error(400, 21606, form)
        if kind == "Messages" and not form.get("Body") and "MediaUrl" not in form:
            return _error(400, 21602, form)
        if kind == "Calls" and not form.get("Url") and not form.get("Twiml"):
            return _error(400, 21205, form)
        failure = self._failure_for(form["To"])
        if failure is not None:
            return _error(failure.status, failure.code, form)
        prefix = "SM" if kind == "Messages" else "CA"
        sid = prefix + uuid.uuid4().hex
        body = self._resource(kind, sid, form)
        request = Request(kind, form, multi, headers, sid)
        with self._lock:
            (self.messages if kind == "Messages" else self.calls).append(request)
            if token:
                self._by_token[(kind, token)] = body
            self._resources[sid] = dict(body, date_sent=body["date_created"] if kind == "Messages" else None)
            if kind == "Messages":
                self._order.append(sid)
        return 201, body

    def _resource(self, kind: str, sid: str, form: dict[str, str]) -> dict[str, Any]:
        now = formatdate(usegmt=True)
        common = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "sid": sid, "to": form["To"],
            "from": form.get("From"), "status": "queued", "price": self.price, "price_unit": "USD",
            "date_created": now, "date_updated": now,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}/{sid}.json",
        }
        if kind == "Messages":
            return {**common, "body": form.get("Body", ""), "direction": "outbound-api", "date_sent": None,
                    "error_code": None, "error_message": None, "messaging_service_sid": None,
                    "num_media": "0", "num_segments": str(max(1, -(-len(form.get("Body", "")) // 153))),
                    "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/"
                                                  f"{sid}/Media.json"}}
        return {**common, "direction": "outbound-api", "answered_by": None, "caller_name": None,
                "duration": None, "start_time": None, "end_time": None, "parent_call_sid": None,
                "phone_number_sid": None, "queue_time": "0", "trunk_sid": None, "forwarded_from": None,
                "group_sid": None, "annotation": None, "to_formatted": form["To"],
                "from_formatted": form.get("From"), "subresource_uris": {}}

    # -- messages as the REST API lists and fetches them -----------------------------------------

    def receive(self, *, from_: str, to: str, body: str, at: datetime | None = None) -> str:
        """A text a client sends to the practice's number (``at``: when Twilio received it, UTC);
        listed by ``GET .../Messages.json`` from then on. Returns its SID."""
        sid = "SM" + uuid.uuid4().hex
        when = format_datetime(at or datetime.now(UTC), usegmt=True)
        resource: dict[str, Any] = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "sid": sid, "to": to, "from": from_,
            "body": body, "status": "received", "direction": "inbound", "date_created": when,
            "date_updated": when, "date_sent": when, "price": None, "price_unit": "USD", "error_code": None,
            "error_message": None, "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {}}
        with self._lock:
            self._resources[sid] = resource
            self._order.append(sid)
        return sid

    def set_status(self, sid: str, status: str, *, error_code: int | None = None) -> None:
        """What Twilio now says of a message or call it took (``delivered``, ``undelivered`` …)."""
        with self._lock:
            resource = self._resources[sid]
            resource["status"], resource["error_code"] = status, error_code
            resource["date_updated"] = formatdate(usegmt=True)

    def fetched(self) -> int:
        """How many GET requests were answered (lists and fetches)."""
        return self._gets

    def _fetch(self, kind: str, sid: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            resource = self._resources.get(sid)
        if resource is None or not sid.startswith("SM" if kind == "Messages" else "CA"):
            return 404, {"code": 20404, "message": ERROR_MESSAGES[20404],
                         "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}
        return 200, dict(resource)

    def _list(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Twilio's list format: newest first, ``PageSize`` (default 50, at most 1000) per page, the next
        page's address (with ``Page`` and ``PageToken``) in ``next_page_uri``."""
        with self._lock:
            found = [dict(self._resources[sid]) for sid in reversed(self._order)]
        for name, field_name in (("To", "to"), ("From", "from")):
            if query.get(name):
                found = [m for m in found if m.get(field_name) == query[name]]
        for name, keep in (("DateSent>", lambda d, b: d >= b), ("DateSent<", lambda d, b: d <= b),
                           ("DateSent", lambda d, b: d.date() == b.date())):
            if query.get(name):
                bound = _parse_when(query[name])
                found = [m for m in found if m.get("date_sent")
                         and keep(parsedate_to_datetime(m["date_sent"]), bound)]
        size = min(max(int(query.get("PageSize") or 50), 1), 1000)
        page = int(query.get("Page") or 0)
        chunk = found[page * size:(page + 1) * size]
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        kept = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}

        def uri(number: int, token: str | None = None) -> str:
            return base + "?" + urlencode({**kept, "PageSize": size, "Page": number,
                                           **({"PageToken": token} if token else {})})

        more = (page + 1) * size < len(found)
        return 200, {"messages": chunk, "page": page, "page_size": size, "start": page * size,
                     "end": page * size + max(len(chunk) - 1, 0), "uri": uri(page), "first_page_uri": uri(0),
                     "previous_page_uri": uri(page - 1, "PB" + chunk[0]["sid"]) if page and chunk else None,
                     "next_page_uri": uri(page + 1, "PA" + chunk[-1]["sid"]) if more else None,
                     **({"meta": {"key": "messages", "next_page_url": self.next_page_url}}
                        if self.next_page_url else {})}

    def _report_early(self, form: dict[str, str], sid: str) -> None:
        """Post the created message's status callback now, before its create request is answered."""
        callback = form.get("StatusCallback")
        if not self.report_before_answer or not callback:
            return
        answer = self.send_status(callback, sid, self.report_before_answer)
        self.early_reports.append(answer.status_code)

    # -- what Twilio sends to the practice -------------------------------------------------------

    def signature(self, url: str, params: dict[str, str], *, token: str | None = None) -> str:
        """``X-Twilio-Signature`` for a POST of ``params`` to ``url`` (Twilio's own algorithm)."""
        return str(RequestValidator(token or self.auth_token).compute_signature(url, params))

    def signed(self, url: str, params: dict[str, str], *, token: str | None = None) -> dict[str, str]:
        """The headers Twilio sends with such a POST: its signature and a unique idempotency token."""
        return {"X-Twilio-Signature": self.signature(url, params, token=token),
                "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                "Content-Type": "application/x-www-form-urlencoded"}

    def post_webhook(self, url: str, params: dict[str, str], *, sign: bool = True,
                     token: str | None = None, timeout: float = 10.0) -> requests.Response:
        """POST ``params`` to ``url`` as Twilio does: signed, or (``sign=False``) without a signature,
        or signed with another ``token`` (a forgery). Empty fields are left out, as Twilio does."""
        params = {k: v for k, v in params.items() if v != ""}
        headers = self.signed(url, params, token=token)
        if not sign:
            del headers["X-Twilio-Signature"]
        return requests.post(url, data=params, headers=headers, timeout=timeout)

    def status_params(self, sid: str, status: str, *, error_code: str | None = None) -> dict[str, str]:
        """A message status callback's form (what Twilio posts to the message's StatusCallback)."""
        sent = next((m for m in self.messages if m.sid == sid), None)
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": self.account_sid, "ApiVersion": API_VERSION,
                  "From": sent.form.get("From", "") if sent else "", "To": sent.form.get("To", "") if sent else ""}
        if error_code:
            params["ErrorCode"] = error_code
        return params

    def send_status(self, url: str, sid: str, status: str, *, error_code: str | None = None,
                    sign: bool = True) -> requests.Response:
        return self.post_webhook(url, self.status_params(sid, status, error_code=error_code), sign=sign)

    def inbound_params(self, *, from_: str, to: str, body: str) -> dict[str, str]:
        """An inbound text message's form (what Twilio posts to the number's messaging webhook)."""
        sid = "SM" + uuid.uuid4().hex
        return {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid,
                "From": from_, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ApiVersion": API_VERSION}

    def send_inbound(self, url: str, *, from_: str, to: str, body: str, sign: bool = True) -> requests.Response:
        return self.post_webhook(url, self.inbound_params(from_=from_, to=to, body=body), sign=sign)

    def key_press_params(self, call_sid: str, digits: str) -> dict[str, str]:
        """A reminder call's ``<Gather>`` result (what Twilio posts to the Gather's action URL)."""
        call = next((c for c in self.calls if c.sid == call_sid), None)
        return {"CallSid": call_sid, "AccountSid": self.account_sid, "Digits": digits,
                "From": call.form.get("From", "") if call else "", "To": call.form.get("To", "") if call else "",
                "CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": API_VERSION,
                "FinishedOnKey": ""}

    def send_key_press(self, url: str, call_sid: str, digits: str, *, sign: bool = True) -> requests.Response:
        return self.post_webhook(url, self.key_press_params(call_sid, digits), sign=sign)

    def call_status_params(self, call_sid: str, status: str) -> dict[str, str]:
        """A call's status callback form (``completed``, ``no-answer``, ``busy``, ``failed`` …)."""
        call = next((c for c in self.calls if c.sid == call_sid), None)
        return {"CallSid": call_sid, "AccountSid": self.account_sid, "CallStatus": status,
                "From": call.form.get("From", "") if call else "", "To": call.form.get("To", "") if call else "",
                "Direction": "outbound-api", "ApiVersion": API_VERSION}

    def send_call_status(self, url: str, call_sid: str, status: str, *, sign: bool = True) -> requests.Response:
        return self.post_webhook(url, self.call_status_params(call_sid, status), sign=sign)


def _parse_when(text: str) -> datetime:
    """A ``DateSent`` filter: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ`` (what twilio-python sends), UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _error(status: int, code: int | None, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    text = ERROR_MESSAGES.get(code or 0, "Service unavailable" if status >= 500 else "Bad request")
    return status, {"code": code, "message": text.format(to=form.get("To", "")),
                    "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None, "status": status}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (a timeout test) is expected; anything else is shown."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connections, as with Twilio
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart (delayed ACKs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet in tests)
        return

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._open.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._open.discard(self.connection)
        super().finish()

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.fake.account_sid) and secrets.compare_digest(
            password, self.fake.auth_token)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        with self.fake._lock:
            self.fake.served += 1
        parts = self.path.split("?")[0].strip("/").split("/")
        if not self._authorised():
            self._answer(401, {"code": 20003, "message": "Authenticate",
                               "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
            return
        if (len(parts) != 4 or parts[0] != API_VERSION or parts[1] != "Accounts" or parts[2] != self.fake.account_sid
                or parts[3] not in ("Messages.json", "Calls.json")):
            self._answer(404, {"code": 20404, "message": ERROR_MESSAGES[20404],
                               "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404})
            return
        pairs = parse_qsl(raw, keep_blank_values=True)
        multi: dict[str, list[str]] = {}
        for key, value in pairs:
            multi.setdefault(key, []).append(value)
        form = {key: values[-1] for key, values in multi.items()}
        if self.fake.delay:
            time.sleep(self.fake.delay)
        status, body = self.fake._create(parts[3].removesuffix(".json"), form, multi,
                                         {k.lower(): v for k, v in self.headers.items()})
        if status == 201 and parts[3] == "Messages.json":
            self.fake._report_early(form, body["sid"])
        self._answer(status, body)

    def do_GET(self) -> None:  # noqa: N802
        path, _, query_text = self.path.partition("?")
        parts = path.strip("/").split("/")
        with self.fake._lock:
            self.fake.served += 1
            self.fake._gets += 1
        if not self._authorised():
            self._answer(401, {"code": 20003, "message": "Authenticate",
                               "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
            return
        mine = len(parts) >= 4 and parts[:3] == [API_VERSION, "Accounts", self.fake.account_sid]
        if mine and len(parts) == 4 and parts[3] == "Messages.json":
            self._answer(*self.fake._list(dict(parse_qsl(query_text, keep_blank_values=True))))
        elif mine and len(parts) == 5 and parts[3] in ("Messages", "Calls") and parts[4].endswith(".json"):
            self._answer(*self.fake._fetch(parts[3], parts[4].removesuffix(".json")))
        else:
            self._answer(404, {"code": 20404, "message": ERROR_MESSAGES[20404], "more_info": None, "status": 404})


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running Twilio-speaking server on loopback; ``.base_url`` is where to point the client."""
    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()
