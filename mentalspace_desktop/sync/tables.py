"""Which tables sync, how their conflicts merge, and which client a row belongs to (for scopes)."""

from __future__ import annotations

from dataclasses import dataclass

from mentalspace_desktop.domain.merge import DataKind
from mentalspace_desktop.domain.roles import Resource
from mentalspace_desktop.store import (
    alert_models,  # noqa: F401  (register alerts and goals)
    reminder_models,  # noqa: F401  (register the reminders' tables)
    scheduling_models,  # noqa: F401  (register the schedule's tables)
)


@dataclass(frozen=True)
class TableSpec:
    name: str
    kind: DataKind
    resource: Resource | None  # None: every signed-in role may read it (practice, staff list)
    client_key: str | None = None  # column naming the client the row belongs to ("id" for clients)
    pulled: bool = True  # audit entries are pushed, never pulled to desktops
    signed_field: str | None = None  # a set value here makes the row immutable (signed notes)
    # What writing a row takes, when it is not ``resource``: everyone may read a note's metadata,
    # but only those who may write its contents (author, supervisor) may write or sign the note.
    write_resource: Resource | None = None
    # Column naming the provider a row belongs to, for rows without a client (availability, time
    # off, busy blocks, group sessions): their provider's own rows are OWN to them.
    provider_key: str | None = None

    @property
    def resource_to_write(self) -> Resource | None:
        return self.write_resource or self.resource


# In an order where every table comes after the tables its foreign keys point at (a note after its
# appointment, a body after its note): the hub imports a solo store and logs a client's rows again
# on reassignment in this order, so a parent is always stored, and pulled, before its children.
TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("practice", DataKind.RECORDS, None),
        TableSpec("users", DataKind.RECORDS, None),
        TableSpec("backup_codes", DataKind.RECORDS, None),
        TableSpec("clients", DataKind.RECORDS, Resource.DEMOGRAPHICS, client_key="id"),
        TableSpec("insurances", DataKind.RECORDS, Resource.DEMOGRAPHICS, client_key="client_id"),
        TableSpec("consents", DataKind.RECORDS, Resource.DEMOGRAPHICS, client_key="client_id"),
        # The schedule (services/scheduling), before the notes that name its appointments. Practice
        # data anyone reads: locations, rooms, types (written by administrators). Rows of a client
        # travel with the client; rows without one belong to their provider. Busy blocks carry no
        # client at all and reach every workstation: a clinician sees colleagues' time as busy/free
        # only (store/scheduling_models.py).
        TableSpec("locations", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("rooms", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("appointment_types", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("busy_blocks", DataKind.SCHEDULING, Resource.SCHEDULE_BUSY_FREE,
                  write_resource=Resource.SCHEDULE, provider_key="provider_id"),
        # "Booked twice while offline": recorded and resolved by the hub only, seen like busy time.
        TableSpec("schedule_clashes", DataKind.SCHEDULING, Resource.SCHEDULE_BUSY_FREE,
                  write_resource=Resource.SCHEDULE, provider_key="provider_id"),
        TableSpec("provider_availability", DataKind.SCHEDULING, Resource.SCHEDULE_BUSY_FREE,
                  write_resource=Resource.SCHEDULE, provider_key="provider_id"),
        TableSpec("time_off", DataKind.SCHEDULING, Resource.SCHEDULE_BUSY_FREE,
                  write_resource=Resource.SCHEDULE, provider_key="provider_id"),
        TableSpec("therapy_groups", DataKind.SCHEDULING, Resource.SCHEDULE, provider_key="facilitator_id"),
        TableSpec("appointment_series", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id",
                  provider_key="provider_id"),
        TableSpec("appointments", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id",
                  provider_key="provider_id"),
        TableSpec("appointment_status_history", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id"),
        TableSpec("waitlist_entries", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id"),
        TableSpec("waitlist_offers", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id"),
        TableSpec("group_members", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id"),
        TableSpec("group_attendance", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id"),
        # Notes: metadata and contents apart (DESIGN.md, Sync: Scopes), so a role that may read the
        # metadata but not the contents is sent the one and never the other. Both are immutable once
        # signed; notes come before note_bodies (a body names its note) for whoever copies in order.
        TableSpec("notes", DataKind.CLINICAL, Resource.NOTE_METADATA, client_key="client_id",
                  signed_field="signed_at", write_resource=Resource.NOTE_CONTENT),
        TableSpec("note_bodies", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id",
                  signed_field="signed_at"),
        # Charting. Everything written about a client is NOTE_CONTENT (withheld from roles that may
        # not read it) except the problem list's codes, which billing reads (DIAGNOSIS_CODES; the
        # clinician's words on a diagnosis are sealed). Signed plans are immutable like notes; versions,
        # comments and attachments are never edited at all. Templates are practice data only an
        # administrator writes.
        TableSpec("note_templates", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("note_versions", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id"),
        TableSpec("note_comments", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id"),
        TableSpec("diagnoses", DataKind.CLINICAL, Resource.DIAGNOSIS_CODES, client_key="client_id"),
        TableSpec("note_diagnoses", DataKind.CLINICAL, Resource.DIAGNOSIS_CODES, client_key="client_id"),
        TableSpec("treatment_plans", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id",
                  signed_field="signed_at"),
        TableSpec("plan_reviews", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id",
                  signed_field="signed_at"),
        TableSpec("safety_plans", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id",
                  signed_field="signed_at"),
        TableSpec("risk_flags", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id"),
        TableSpec("attachments", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id"),
        TableSpec("conflicts", DataKind.RECORDS, None, client_key="client_id"),
        # The supervision log: an associate's own sessions reach them (read only), their supervisor's
        # team's reach the supervisor; signed sessions never change.
        TableSpec("supervision_sessions", DataKind.RECORDS, Resource.SUPERVISION, signed_field="signed_at",
                  provider_key="supervisee_id"),
        TableSpec("contact_preferences", DataKind.RECORDS, Resource.DEMOGRAPHICS, client_key="client_id"),
        # Alerts and goals belong to the clinician they are about: the clinician sees their own, a
        # supervisor their team's, an administrator all (and alone the practice-wide ones: no user).
        TableSpec("alerts", DataKind.RECORDS, Resource.ALERTS, provider_key="user_id"),
        TableSpec("performance_goals", DataKind.RECORDS, Resource.GOALS, provider_key="clinician_id"),
        # Reminders (services/reminders). Rules and templates are practice data an administrator
        # writes. Messages and replies travel with their client like the appointment they are about:
        # the front desk sees all, a clinician their own clients' (a reply from an unknown number has
        # no client and reaches only roles that see the whole schedule).
        TableSpec("reminder_rules", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("reminder_templates", DataKind.RECORDS, None, write_resource=Resource.ADMINISTRATION),
        TableSpec("reminder_messages", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id",
                  provider_key="provider_id"),
        TableSpec("inbound_messages", DataKind.SCHEDULING, Resource.SCHEDULE, client_key="client_id",
                  provider_key="provider_id"),
        TableSpec("audit_log", DataKind.APPEND_ONLY, Resource.AUDIT_LOG, pulled=False),
    )
}

# Columns a device never sets on the hub: the hub assigns them.
HUB_ASSIGNED = frozenset({"server_seq"})
