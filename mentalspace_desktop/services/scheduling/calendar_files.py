"""Calendar files: one appointment as ``.ics``, a provider's masked feed, and ``.ics`` files imported
as the provider's busy time (timed events) or time off (all-day events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Relation, Resource, allows
from mentalspace_desktop.domain.scheduling.times import day_bounds_utc
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.integrations.icalendar_io import IcsError, IcsEvent, calendar_bytes, masked, read_busy
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import ScheduleSetupDidChange
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.scheduling_models import Appointment, BusyBlock

UID_DOMAIN = "mentalspace.desktop"
IMPORT_PAST_DAYS = 30
IMPORT_AHEAD_DAYS = 366


@dataclass(frozen=True)
class FileImport:
    """What importing one file did: a line for the person (and the command line)."""

    path: Path
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    removed: int = 0  # busy time imported before, since moved or cancelled in that calendar

    @property
    def line(self) -> str:
        if self.error:
            return f"{self.path.name}: refused — {self.error}"
        extra = f"; {self.removed} removed (moved or cancelled there)" if self.removed else ""
        extra += f"; {len(self.warnings)} event(s) unreadable" if self.warnings else ""
        return (f"{self.path.name}: {self.imported} busy block(s) imported, {self.updated} already there, "
                f"{self.skipped} skipped (free, cancelled or outside the next year){extra}")


class CalendarFileService(AppointmentService):
    """Export and import ``.ics`` files."""

    def find_provider(self, name: str) -> tuple[str, str]:
        """A provider by user name or full name ("Dr." and case ignored; a unique part of the name
        will do). NotFound names the choices when it is not one person."""
        wanted = name.strip().lower().removeprefix("dr.").removeprefix("dr ").strip()
        with self.session.store.read() as s:
            people = list(s.execute(select(User.id, User.username, User.full_name).where(
                User.deleted.is_(False), User.active.is_(True))).all())
        exact = [p for p in people if wanted in (p.username.lower(), p.full_name.lower())]
        partial = [p for p in people if wanted and wanted in p.full_name.lower()]
        found = exact or partial
        if len(found) == 1:
            return found[0].id, found[0].full_name
        if not found:
            raise NotFound(f"No one is called {name!r}.")
        raise NotFound(f"{name!r} could be {', '.join(sorted(p.full_name for p in found))}; give the user name.")

    def export_appointment(self, appointment_id: str, out: Path) -> None:
        """One appointment as ``.ics`` (type, place or meeting link; the client's name is left out so
        the file can be sent to the client or kept in a personal calendar)."""
        item = self.get(appointment_id)
        with self.session.store.read() as s:
            practice = self.practice(s).name
            event = IcsEvent(f"{item.id}@{UID_DOMAIN}", item.start_at, item.end_at,
                             f"{item.type_name} — {practice}", item.where, f"With {item.provider_name}",
                             item.meeting_link or "", item.status in ("cancelled", "rescheduled"))
            data = calendar_bytes([event], name=practice, stamp=self.now(), publish=False)
        audit.write_private(out, lambda part: part.write_bytes(data), audited=(self.session, {
            "action": "export", "record_type": "appointment", "record_id": item.id, "client_id": item.client_id,
            "summary": f".ics to {out.name}"}))

    def export_feed(self, provider_id: str, date_from: date, date_to: date, out: Path) -> int:
        """The provider's calendar as a feed file others can subscribe to: every visit is "Session",
        with no client, type or place. Returns the number of events."""
        if date_to < date_from:
            raise ValidationError({"until": "The end date is before the start date."})
        if (date_to - date_from).days > 3 * 366:
            raise ValidationError({"until": "Export at most three years at a time."})
        # A feed is for subscribing to a whole calendar: one's own, or anyone's for those who read
        # the whole schedule (front desk, supervisors, administrators).
        own = provider_id == self.session.actor.user_id
        if not allows(self.session.actor.role, Resource.SCHEDULE, Action.READ,
                      Relation.OWN if own else Relation.OTHER):
            raise PermissionDenied("You can export only your own calendar.")
        with self.session.store.read() as s:
            name = s.scalar(select(User.full_name).where(User.id == provider_id))
            if name is None:
                raise NotFound("That provider does not exist.")
            tz = self.tz(s)
            lo, _ = day_bounds_utc(date_from, tz)
            _, hi = day_bounds_utc(date_to, tz)
            blocks = s.scalars(select(BusyBlock).where(
                BusyBlock.provider_id == provider_id, BusyBlock.deleted.is_(False), BusyBlock.active.is_(True),
                BusyBlock.kind == "appointment", BusyBlock.start_at < hi, BusyBlock.end_at > lo
            ).order_by(BusyBlock.start_at)).all()
            groups = set(s.scalars(select(Appointment.id).where(
                Appointment.id.in_([b.id for b in blocks]), Appointment.group_id.is_not(None))))
            events = [masked(IcsEvent(f"{b.id}@{UID_DOMAIN}", b.start_at, b.end_at, ""),
                             "Group session" if b.id in groups else "Session") for b in blocks]
            data = calendar_bytes(events, name=f"{name} — sessions", stamp=self.now())
        audit.write_private(out, lambda part: part.write_bytes(data), audited=(self.session, {
            "action": "export", "record_type": "calendar_feed", "record_id": provider_id,
            "summary": f"{len(events)} sessions {date_from}–{date_to} to {out.name}"}))
        return len(events)

    def import_file(self, path: Path, provider_id: str) -> FileImport:
        """Import one ``.ics`` file as the provider's busy time for the coming year. Never raises for
        a bad file: the result says why it was refused (nothing of it is saved then)."""
        own = provider_id == self.session.actor.user_id
        if not allows(self.session.actor.role, Resource.SCHEDULE, Action.WRITE,
                      Relation.OWN if own else Relation.OTHER):
            raise PermissionDenied("You can import only into your own calendar.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileImport(path, error=f"cannot read the file ({exc.strerror or exc})")
        with self.session.store.write(self.session.actor.user_id) as s:
            if s.get(User, provider_id) is None:
                raise NotFound("That provider does not exist.")
            now = self.now()
            window_start, window_end = now - timedelta(days=IMPORT_PAST_DAYS), now + timedelta(days=IMPORT_AHEAD_DAYS)
            try:
                result = read_busy(data, default_tz=self.tz(s), window_start=window_start, window_end=window_end)
            except IcsError as exc:
                return FileImport(path, error=str(exc))
            existing = {b.source_uid: b for b in s.scalars(select(BusyBlock).where(
                BusyBlock.provider_id == provider_id, BusyBlock.kind.in_(("imported", "time_off")),
                BusyBlock.source_uid.is_not(None)))}
            # An event of this file whose occurrence is no longer in it (moved, cancelled, made free)
            # no longer takes that time. Events of other files imported for the provider are left alone.
            current = {busy.uid[:300] for busy in result.busy}
            removed = 0
            for uid, old in existing.items():
                if (old.active and not old.deleted and uid and uid not in current
                        and uid.rsplit("|", 1)[0] in result.events
                        and old.end_at > window_start and old.start_at < window_end):
                    old.active = False
                    removed += 1
            imported = updated = 0
            for busy in result.busy:
                uid = busy.uid[:300]
                kind = "time_off" if busy.all_day else "imported"
                row = existing.get(uid)
                if row is None:
                    s.add(BusyBlock(provider_id=provider_id, start_at=busy.start, end_at=busy.end, kind=kind,
                                    active=True, source_uid=uid))
                    existing[uid] = BusyBlock()  # a UID twice in one file counts once
                    imported += 1
                else:
                    if row.id and (row.start_at, row.end_at, row.active, row.deleted) != (busy.start, busy.end, True,
                                                                                          False):
                        row.start_at, row.end_at, row.active, row.deleted = busy.start, busy.end, True, False
                    updated += 1
            audit.record(self.session, s, action="import", record_type="calendar_file", record_id=provider_id,
                         summary=f"{path.name}: {imported} new, {updated} known, {removed} removed")
        self.session.events.emit(ScheduleSetupDidChange("time_off"))
        return FileImport(path, imported, updated, result.skipped, None, tuple(result.warnings), removed)


