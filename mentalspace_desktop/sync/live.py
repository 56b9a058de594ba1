"""Live updates: a thread listening to the hub's event stream and announcing its newest sequence.

The stream carries only numbers; the device pulls when one is above its cursor (sync.scheduler's
``notify_seq``), so a change on one workstation shows on another within about a second. A broken or
silent stream is reopened with the same backoff as sync, and every reopening is announced
(``on_reconnect``) so the scheduler syncs at once: anything missed meanwhile is fetched then.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from mentalspace_desktop.sync.client import EVENTS_READ_TIMEOUT, HubClient
from mentalspace_desktop.sync.errors import AuthExpired, DeviceRevoked, SyncError, UpdateRequired
from mentalspace_desktop.sync.scheduler import backoff_delay

log = logging.getLogger(__name__)


class LiveListener:
    """Consumes ``GET /v1/sync/events`` on its own thread until stopped."""

    def __init__(self, client: HubClient, on_seq: Callable[[int], None], *,
                 on_reconnect: Callable[[], None] | None = None,
                 on_stop: Callable[[SyncError], None] | None = None,
                 read_timeout: float = EVENTS_READ_TIMEOUT, base: float = 1.0, cap: float = 60.0,
                 rng: random.Random | None = None) -> None:
        self.client = client
        self.on_seq = on_seq
        self.on_reconnect = on_reconnect
        self.on_stop = on_stop
        self.read_timeout = read_timeout
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="mentalspace-live", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end; it does at the next event or read timeout (it is a daemon anyway)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        failures = 0
        first = True
        while not self._stop.is_set():
            try:
                for seq in self.client.events(read_timeout=self.read_timeout):
                    if not self.connected.is_set():
                        self.connected.set()
                        failures = 0
                        if not first and self.on_reconnect is not None:
                            self.on_reconnect()
                    first = False
                    if self._stop.is_set():
                        return
                    self.on_seq(seq)
            except (UpdateRequired, AuthExpired, DeviceRevoked) as exc:
                log.warning("live updates stopped: %s", exc.message)
                if self.on_stop is not None:
                    self.on_stop(exc)
                return
            except SyncError as exc:
                log.debug("live updates interrupted: %s", exc.message)
            except Exception:
                log.exception("live updates failed")
            self.connected.clear()
            failures += 1
            first = False
            self._stop.wait(backoff_delay(failures, base=self.base, cap=self.cap, rng=self.rng))
