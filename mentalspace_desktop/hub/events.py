"""Live change notices: one poller per hub process reads the committed counter and fans it out.

Polling the counter (every ~200 ms, only while someone listens) works the same on SQLite and across
several hub processes on one PostgreSQL database, without LISTEN/NOTIFY plumbing: whichever process
committed a write, every process sees the counter move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger("mentalspace.hub.events")


class Broadcaster:
    """Fans the newest committed sequence number out to every subscribed event stream."""

    def __init__(self, read_seq: Callable[[], int], *, interval: float = 0.2) -> None:
        self._read_seq = read_seq
        self.interval = interval
        self.latest: int | None = None
        self._subscribers: set[asyncio.Queue[int]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="hub-events-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def subscribe(self) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[int]) -> None:
        self._subscribers.discard(queue)

    async def read_now(self) -> int:
        return await asyncio.to_thread(self._read_seq)

    async def _run(self) -> None:
        while True:
            if self._subscribers:
                try:
                    seq = await asyncio.to_thread(self._read_seq)
                except Exception:  # the database blinked; try again next tick
                    log.warning("reading the change counter failed", exc_info=True)
                else:
                    if seq != self.latest:
                        self.latest = seq
                        for queue in list(self._subscribers):
                            _offer(queue, seq)
            await asyncio.sleep(self.interval)


def _offer(queue: asyncio.Queue[int], seq: int) -> None:
    """Only the newest number matters: replace an unread one instead of queueing behind it."""
    with contextlib.suppress(asyncio.QueueEmpty):
        if queue.full():
            queue.get_nowait()
    queue.put_nowait(seq)
