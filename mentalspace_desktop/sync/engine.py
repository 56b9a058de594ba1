"""One sync run: handshake, push everything waiting, pull every page, log the run on both sides.

The order is the policy (DESIGN.md, Sync): local work goes out before anything comes in, so edits
to a row that is about to leave this device's scope reach its new owner first, and an epoch change
(hub restored from a backup) never discards what was written here. Each pulled page is a checkpoint;
an ``interrupt`` event is honoured between pages, so a long first sync can stop and resume later.

Nothing here runs on a timer or a thread: sync.scheduler decides when, the GUI decides how to show it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.store.backup import restored_marker
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.store.sync_models import SyncRun
from mentalspace_desktop.sync import protocol, signing, state
from mentalspace_desktop.sync.apply import apply_page, finish_snapshot
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.credentials import HubCredential
from mentalspace_desktop.sync.device_key import ensure_escrowed
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DevicePending,
    DeviceRevoked,
    EpochChanged,
    HubRejected,
    SequenceMismatch,
    SyncError,
    UpdateRequired,
)
from mentalspace_desktop.sync.outbox_reader import (
    PushTally,
    pending_batch,
    record_results,
    renumber_after,
    requeue_after,
    to_change,
)
from mentalspace_desktop.sync.restore import continue_audit_chain

log = logging.getLogger(__name__)

_NO_LOG_POST = (DeviceRevoked, UpdateRequired, AuthExpired, DevicePending)  # the hub would refuse it too


@dataclass
class SyncReport:
    """What one run did; the same figures go to the local and the hub's sync log."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    kind: str = "sync"  # initial: the first pull of this store (or a fresh snapshot)
    rows_new: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_dropped: int = 0
    pushed: int = 0
    rejected: int = 0
    conflicts: int = 0
    pages: int = 0
    duration_ms: int = 0
    error: str | None = None
    failure: SyncError | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    epoch_changed: bool = False
    clock_skew_seconds: float | None = None
    tables_pulled: set[str] = field(default_factory=set)
    rejections: list[tuple[str, str]] = field(default_factory=list)
    # What this run repaired and the user should know (a restored store renumbering its changes, a
    # restored hub sent changes again); also in ``warnings``, and kept in the sync logs.
    notices: list[str] = field(default_factory=list)

    def notice(self, text: str) -> None:
        self.notices.append(text)
        self.warnings.append(text)

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> str:
        return (f"pushed {self.pushed}, new {self.rows_new}, updated {self.rows_updated}, "
                f"unchanged {self.rows_unchanged}, dropped {self.rows_dropped}, rejected {self.rejected}, "
                f"conflicts {self.conflicts} in {self.duration_ms} ms")

    def log_line(self) -> str:
        """The one line the command line prints and the sync log shows (with what it had to repair)."""
        notes = "".join(f" — {note}" for note in self.notices)
        if self.error:
            return f"sync failed: {self.error} ({self.counts()}){notes}"
        return f"sync {'interrupted' if self.interrupted else 'ok'}: {self.counts()}{notes}"

    def log_error(self) -> str | None:
        """The sync log's text for the run: its error, and what it repaired (a run that is ok can still
        have renumbered or re-sent changes, and the user and the administrator must be able to see so)."""
        parts = ([self.error] if self.error else []) + self.notices
        return " ".join(parts) if parts else None

    def as_log(self, device_id: str, user_id: str | None) -> dict[str, Any]:
        return {"device_id": device_id, "user_id": user_id, "started_at": self.started_at.isoformat(),
                "duration_ms": self.duration_ms, "kind": self.kind, "rows_new": self.rows_new,
                "rows_updated": self.rows_updated, "rows_unchanged": self.rows_unchanged,
                "rows_dropped": self.rows_dropped, "pushed": self.pushed, "rejected": self.rejected,
                "conflicts": self.conflicts, "ok": self.ok, "error": self.log_error()}


@dataclass(frozen=True)
class Progress:
    """Reported after each pulled page (and each pushed batch): enough for a progress bar."""

    phase: str  # push, pull
    pages: int
    rows: int
    more: bool


ProgressCallback = Callable[[Progress], None]


class SyncEngine:
    """Syncs one open store with its hub for the user who is signed in."""

    def __init__(self, store: Store, client: HubClient, user_id: str | None, *,
                 progress: ProgressCallback | None = None, interrupt: threading.Event | None = None,
                 page_size: int = protocol.PULL_PAGE_SIZE,
                 push_batch: int = protocol.PUSH_BATCH_SIZE,
                 device_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.client = client
        self.user_id = user_id
        self.progress = progress
        self.interrupt = interrupt or threading.Event()
        self.page_size = page_size
        self.push_batch = push_batch
        self.device_clock = device_clock  # compared by the hub; ordering never uses it
        self.waiting: signing.Waiting | None = None  # changes held for a signing key (sync/signing.py)

    # -- the run ------------------------------------------------------------------------------

    def run_once(self) -> SyncReport:
        """Sync now. Failures end up in the report (and the sync logs); only revocation raises."""
        report = SyncReport()
        clock = time.monotonic()
        if not state.current_cursor(self.store):
            report.kind = "initial"
        try:
            epoch = self._handshake(report)
            self._check_device()
            self._share_device_key(epoch)
            self._after_restore(report)
            self._push_all(report)
            self._pull_all(report)
            if self.waiting is not None and self.waiting.author_id == self.user_id:
                raise self.waiting.for_author()  # the app asks for the hub sign-in that registers it
        except DeviceRevoked as exc:
            self._finish(report, clock, exc)
            self._destroy_local_keys(exc)
            raise
        except SyncError as exc:
            self._finish(report, clock, exc)
            return report
        self._finish(report, clock, None)
        return report

    def _finish(self, report: SyncReport, clock: float, failure: SyncError | None) -> None:
        report.duration_ms = int((time.monotonic() - clock) * 1000)
        if failure is not None:
            report.failure = failure
            report.error = failure.message
        run = SyncRun(device_id=self.store.device_id, user_id=self.user_id, started_at=report.started_at,
                      duration_ms=report.duration_ms, kind=report.kind, rows_new=report.rows_new,
                      rows_updated=report.rows_updated, rows_unchanged=report.rows_unchanged,
                      rows_dropped=report.rows_dropped, pushed=report.pushed, rejected=report.rejected,
                      conflicts=report.conflicts, ok=report.ok, error=report.log_error())
        with self.store.write() as s:
            s.add(run)
        if failure is None or not (failure.transient or isinstance(failure, _NO_LOG_POST)):
            try:  # best effort: the hub's copy of the log must never fail a sync
                self.client.post_sync_log({"id": run.id, **report.as_log(self.store.device_id, self.user_id)})
            except SyncError as exc:
                log.info("sync log not sent to the hub: %s", exc.message)
        log.info("%s", report.log_line())

    # -- steps --------------------------------------------------------------------------------

    def _handshake(self, report: SyncReport) -> str:
        answer = self.client.handshake(self.store.schema_version, device_time=self.device_clock())
        hub_schema = str(answer.get("schema") or "")
        local = self.store.schema_version
        if hub_schema and hub_schema != local:
            if hub_schema > local:
                raise UpdateRequired("The hub runs a newer version of MentalSpace. Update MentalSpace "
                                     "Desktop on this computer to keep syncing; your work here is kept.",
                                     status=426)
            raise HubRejected("This computer runs a newer MentalSpace than the hub. Ask your administrator "
                              "to update the hub; your work here is kept and will sync afterwards.")
        skew = answer.get("clock_skew_seconds")
        report.clock_skew_seconds = float(skew) if isinstance(skew, int | float) else None
        report.warnings.extend(str(w) for w in answer.get("warnings") or [])
        if (report.clock_skew_seconds is not None and abs(report.clock_skew_seconds)
                > protocol.CLOCK_SKEW_WARNING_SECONDS and not report.warnings):
            minutes = round(abs(report.clock_skew_seconds) / 60)
            report.warnings.append(f"This computer's clock is off by about {minutes} minutes. Ask your "
                                   "administrator to correct it (sync still works; the audit trail uses it).")
        epoch = str(answer.get("epoch") or "")
        known = self.store.get_state(state.EPOCH)
        if epoch and known and epoch != known and state.current_cursor(self.store):
            self._epoch_changed(report, epoch)
        return epoch

    def _share_device_key(self, epoch: str) -> None:
        """Let colleagues sign in here for the first time (sync/device_key.py); never fails a sync."""
        try:
            if ensure_escrowed(self.store, self.client, epoch=epoch):
                log.info("this workstation's key secret is now kept by the hub")
        except HubRejected as exc:
            if type(exc) is not HubRejected:  # revoked, signed out, outdated: the sync must stop
                raise
            log.warning("the hub did not take this workstation's key secret: %s", exc.message)

    def _check_device(self) -> None:
        if self.store.get_state(state.DEVICE_STATUS) == "approved":
            return
        me = self.client.devices_me()
        status = str(me.get("status") or "")
        state.set_values(self.store, device_status=status)
        if status == "revoked":
            reason = str(me.get("reason") or "")
            raise DeviceRevoked("An administrator has removed this workstation from the practice"
                                + (f" ({reason})" if reason else "")
                                + ". Its local data has been locked for good.", reason=reason)
        if status != "approved":
            raise DevicePending(f"This workstation is waiting for an administrator to approve it "
                                f"(device {self.store.device_id}).", code="device_pending")

    def _after_restore(self, report: SyncReport) -> None:
        """This store was restored from a backup (it says so): continue from the hub's sequence.

        The hub may hold changes this store made after the backup was taken; the work done here since
        the restore must not reuse their numbers, and the store's view is older than the hub's record
        of what it holds, so it takes a fresh snapshot too. (A store copied back by other means is
        caught by the hub instead: see :meth:`_repair_sequence`.)
        """
        marker = restored_marker(self.store)
        if not marker.exists():
            return
        hub_last = self.client.devices_me().get("last_device_seq")
        if isinstance(hub_last, int):
            self._continue_from(report, hub_last)
        marker.unlink(missing_ok=True)

    def _continue_from(self, report: SyncReport, hub_last: int) -> None:
        continue_audit_chain(self.store, self.client)
        moved = renumber_after(self.store, hub_last)
        self._take_fresh_snapshot()
        report.kind = "initial"
        report.notice(f"This workstation's data was restored from a backup: it continues after the hub's "
                      f"last change from here (number {hub_last}); {moved} change(s) made here since are "
                      "sent under new numbers, and it reloads what it holds. Nothing is lost.")
        log.warning("store restored from a backup: %d change(s) renumbered after %d", moved, hub_last)

    def _repair_sequence(self, report: SyncReport, exc: SequenceMismatch) -> None:
        """The hub refused a push whose numbers did not follow on from its own record (nothing applied)."""
        if exc.behind:
            self._continue_from(report, exc.last_device_seq)
            return
        again = requeue_after(self.store, exc.last_device_seq)
        report.notice(f"The hub had lost {again} change(s) it had received from this workstation (it was "
                      "restored from a backup); they are sent again.")
        log.warning("hub lacks changes after %d: %d change(s) queued again", exc.last_device_seq, again)

    def _take_fresh_snapshot(self, epoch: str | None = None) -> None:
        with self.store.write() as s:
            if epoch is not None:
                state.put(s, state.EPOCH, epoch)
            state.put(s, state.CURSOR, "")
            state.put(s, state.RESNAPSHOT, "1")
            state.remove_prefix(s, state.SNAPSHOT_SEEN_PREFIX)

    def _push_all(self, report: SyncReport) -> dict[str, Any]:
        """Push batches until the outbox holds nothing pending; the last response is returned."""
        tally = PushTally()
        last: dict[str, Any] = {}
        repairs = 0
        try:
            while True:
                batch, waiting = signing.pushable(self.store, pending_batch(self.store, self.push_batch))
                if waiting is not None and not batch and signing.register_vouched(self.store, self.client):
                    continue  # colleagues an administrator created here: their changes may go now
                self.waiting = waiting
                if waiting is not None and waiting.message not in report.warnings:
                    report.warnings.append(waiting.message)
                if not batch:
                    return last
                try:
                    last = self.client.push([to_change(e) for e in batch])
                except SequenceMismatch as exc:
                    repairs += 1
                    if repairs > 2:  # the hub keeps refusing what was repaired: stop, lose nothing
                        raise
                    self._repair_sequence(report, exc)
                    continue
                before = tally.pushed
                record_results(self.store, batch, last, tally)
                if self.progress:
                    self.progress(Progress("push", 0, tally.pushed, True))
                if tally.pushed == before:
                    raise HubRejected("The hub answered a push without results; sync will try again.")
        finally:
            report.pushed += tally.pushed
            report.rejected += tally.rejected
            report.conflicts += tally.conflicts
            report.rejections.extend(tally.rejections)

    def _pull_all(self, report: SyncReport) -> None:
        cursor = state.current_cursor(self.store)
        while True:
            if self.interrupt.is_set():
                report.interrupted = True
                return
            try:
                page = self.client.pull(cursor, limit=self.page_size)
            except EpochChanged as exc:
                self._epoch_changed(report, exc.epoch, scope_only=exc.scope_only)
                cursor = ""
                continue
            resnapshot = self.store.get_state(state.RESNAPSHOT) == "1"
            tally = apply_page(self.store, page, snapshot_page=self._snapshot_pages() if resnapshot else None)
            report.pages += 1
            report.rows_new += tally.new
            report.rows_updated += tally.updated
            report.rows_unchanged += tally.unchanged
            report.rows_dropped += tally.dropped
            report.tables_pulled |= set(tally.tables)
            more = bool(page.get("more"))
            if self.progress:
                self.progress(Progress("pull", report.pages, report.rows_new + report.rows_updated
                                       + report.rows_unchanged, more))
            next_cursor = str(page.get("cursor") or "")
            if not more:
                if resnapshot:
                    report.rows_dropped += finish_snapshot(self.store)
                return
            if next_cursor == cursor:
                raise HubRejected("The hub sent the same page twice; sync will try again later.")
            cursor = next_cursor

    def _snapshot_pages(self) -> int:
        with self.store.read() as s:
            prefix = state.SNAPSHOT_SEEN_PREFIX
            return len(list(s.scalars(select(SyncState.key).where(SyncState.key.startswith(prefix)))))

    def _epoch_changed(self, report: SyncReport, epoch: str, *, scope_only: bool = False) -> None:
        """The hub was restored (or its scopes changed): push first, re-send what it lost, then reload.

        A restored hub remembers this device only up to the backup; changes acknowledged after that
        are gone from it. The push answer says how far it remembers, so those changes are queued again
        (the hub answers ``duplicate`` for any it does have). Then the cursor restarts empty.
        ``scope_only``: the hub lost nothing, only what this workstation may hold changed.
        """
        if report.epoch_changed:
            raise HubRejected("The hub changed its epoch twice during one sync; sync will try again later.")
        report.epoch_changed = True
        report.kind = "initial"
        if scope_only:
            report.warnings.append("Who works on this workstation changed; it is reloading what it may hold.")
        else:
            report.warnings.append("The hub was restored or reconfigured; this workstation is reloading its "
                                   "data.")
            try:  # ask before pushing anything: a push would move the hub's mark past the lost changes
                remembered = self.client.push([]).get("last_device_seq")
            except HubRejected:  # a hub that refuses an empty batch: the push below is refused instead
                remembered = None
            if isinstance(remembered, int):
                again = requeue_after(self.store, remembered)
                if again:
                    report.notice(f"The hub had lost {again} change(s) it had received from this workstation; "
                                  "they are sent again.")
        self._push_all(report)
        self._take_fresh_snapshot(epoch)

    def _destroy_local_keys(self, exc: DeviceRevoked) -> None:
        lock_out_revoked(self.store, exc)


def lock_out_revoked(store: Store, exc: DeviceRevoked) -> None:
    """A revoked workstation must not open its store again: every key slot and the hub token go."""
    try:
        state.set_values(store, device_status="revoked")
    except Exception:  # the key slots matter more than the note; never skip them
        log.exception("could not record the revocation in the store")
    KeySlots.load(store.files.key_slots).remove_all()
    url = state.hub_url(store)
    if url:
        HubCredential(url, store.device_id).delete()
    log.warning("device revoked by the hub: %s", exc.reason or exc.message)
