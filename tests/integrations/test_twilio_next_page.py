"""A list answer naming a next page on another host is not followed with the account's credentials:
the poll fails (tried again later) and the other host never sees a request, let alone the auth token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mentalspace_desktop.integrations import twilio_poll
from mentalspace_desktop.integrations.twilio_rest import PooledHttpClient, TwilioSettings, make_client
from tests.support.fake_twilio import FakeTwilio

PRACTICE = "+14045550100"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the tests read the requests recorded, not the server's log."""

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(dict(self.headers.items()))
        body = b'{"messages": [], "next_page_uri": null}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("where", ["{other}/2010-04-01/Accounts/AC1/Messages.json?Page=1",
                                   "https://api.twilio.com.{host}/2010-04-01/Messages.json"])
def test_a_next_page_on_another_host_is_refused(fake_twilio: FakeTwilio, other_host: tuple[str, list[dict[str, str]]],
                                                where: str) -> None:
    other, seen = other_host
    fake_twilio.receive(from_="+14045559999", to=PRACTICE, body="hello", at=datetime.now(UTC))
    fake_twilio.next_page_url = where.format(other=other, host=other.removeprefix("http://"))
    client = make_client(TwilioSettings(fake_twilio.account_sid, fake_twilio.auth_token, PRACTICE,
                                        api_base=fake_twilio.base_url))
    try:
        with pytest.raises(twilio_poll.PollFailed):
            list(twilio_poll.inbound_texts(client, PRACTICE, datetime.now(UTC) - timedelta(hours=1)))
    finally:
        assert isinstance(client.http_client, PooledHttpClient)
        client.http_client.close()
    assert seen == []
