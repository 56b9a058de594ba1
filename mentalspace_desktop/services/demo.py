"""The demo practice: a Georgia group practice with a year of history, to explore without real data.

The story comes from :mod:`services.demo_plan` (one seed, no I/O); this module writes it. Staff go
through :class:`AccountService` (password policy, key slots, audit). Clients are written straight
into store sessions, in time order, each with the audit entry the client service would have
written but dated when the story says it happened; a store session still records every row in the
outbox, and the audit chain comes out valid because entries are appended oldest first.

The store is built in a scratch folder beside ``data_dir`` and moved into place at the end, so a
failure never leaves half a demo where the app would find it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import StoreExists
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser
from mentalspace_desktop.services.clients import search_keys, validate_client_input
from mentalspace_desktop.services.demo_alerts import add_demo_goals_and_alerts
from mentalspace_desktop.services.demo_charting import add_demo_charting
from mentalspace_desktop.services.demo_plan import (
    PRACTICE_NAME,
    PRACTICE_PHONE,
    TIME_ZONE,
    ClientPlan,
    DemoPlan,
    EventPlan,
    StaffSpec,
    plan_demo,
)
from mentalspace_desktop.services.demo_reminders import add_demo_reminders
from mentalspace_desktop.services.demo_schedule import write_demo_schedule
from mentalspace_desktop.services.demo_supervision import add_demo_supervision
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.files import StoreFiles, write_atomically
from mentalspace_desktop.store.models import Client, Consent, Insurance, Practice, User
from mentalspace_desktop.store.placement import place_store

LOGINS_FILE = "demo-logins.txt"
LOGINS_HEADER = ("user", "role", "password", "totp_secret")
EVENTS_PER_TRANSACTION = 1500


@dataclass(frozen=True)
class DemoLogin:
    """One demo account, as the visitor needs it to sign in."""

    username: str
    full_name: str
    role: Role
    license_type: str | None
    password: str
    totp_secret: str


def create_demo_practice(data_dir: Path, *, seed: int = 7, today: date | None = None) -> list[DemoLogin]:
    """Build the demo practice in ``data_dir`` (which must not hold a store) and return its logins."""
    files = StoreFiles(Path(data_dir))
    if files.exists():
        raise StoreExists(f"A store already exists in {files.data_dir}; the demo needs an empty folder.")
    plan = plan_demo(seed, today or date.today())
    files.data_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{files.data_dir.name}.demo-", dir=files.data_dir.parent))
    try:
        _build(StoreFiles(scratch / "store"), plan)
        place_store(scratch / "store", files.data_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [DemoLogin(s.key, s.full_name, s.role, s.license_type, s.password, plan.totp_secrets[s.key])
            for s in plan.staff]


def write_logins_file(data_dir: Path, logins: list[DemoLogin]) -> Path:
    """``demo-logins.txt``: a header line, then user, role, password and TOTP secret, tab-separated."""
    lines = ["\t".join(LOGINS_HEADER)]
    lines += ["\t".join((x.username, x.role.value, x.password, x.totp_secret)) for x in logins]
    path = Path(data_dir) / LOGINS_FILE
    write_atomically(path, ("\n".join(lines) + "\n").encode())
    path.chmod(0o600)
    return path


def _build(files: StoreFiles, plan: DemoPlan) -> None:
    admin_spec = next(s for s in plan.staff if s.role is Role.ADMIN)
    enrollment = Authenticator(files).create_practice(
        practice_name=PRACTICE_NAME, time_zone=TIME_ZONE, admin=_new_user(admin_spec, {}, plan.today),
        totp_secret=plan.totp_secrets[admin_spec.key], is_demo=True, created_at=plan.start,
    )
    session = enrollment.session
    try:
        ids = _create_staff(session, plan)
        _write_history(session, plan, ids)
        write_demo_schedule(session, plan, ids)
        add_demo_charting(session, plan.today)
        add_demo_supervision(session, plan.today)
        add_demo_goals_and_alerts(session, ids, plan.today, ZoneInfo(TIME_ZONE))
        add_demo_reminders(session, plan.today)
    finally:
        session.close()


def _new_user(spec: StaffSpec, ids: dict[str, str], today: date) -> NewUser:
    return NewUser(
        username=spec.key, full_name=spec.full_name, role=spec.role, password=spec.password,
        email=f"{spec.key}@peachtree-counseling.example", license_type=spec.license_type,
        license_number=spec.license_number, supervisor_id=ids.get(spec.supervisor or ""),
        hipaa_training_on=today - timedelta(days=round(spec.hipaa_months_ago * 30.4)),
    )


def _create_staff(session: UserSession, plan: DemoPlan) -> dict[str, str]:
    """Every account through the account service, then enrolled as if each had signed in once."""
    ids = {session.actor.username: session.actor.user_id}
    accounts = AccountService(session)
    for i, spec in enumerate(s for s in plan.staff if s.role is not Role.ADMIN):
        ids[spec.key] = accounts.create_user(_new_user(spec, ids, plan.today),
                                             created_at=plan.start + timedelta(minutes=i + 1))
    with session.store.write(session.actor.user_id) as s:
        for spec in plan.staff:
            user = s.get(User, ids[spec.key])
            assert user is not None
            user.totp_secret = plan.totp_secrets[spec.key]
            user.must_change_password = False
        s.scalars(select(Practice)).one().phone = PRACTICE_PHONE
    return ids


def _write_history(session: UserSession, plan: DemoPlan, ids: dict[str, str]) -> None:
    store = session.store
    client_ids: dict[int, str] = {}
    for start in range(0, len(plan.events), EVENTS_PER_TRANSACTION):
        with store.write(session.actor.user_id) as s:
            for event in plan.events[start:start + EVENTS_PER_TRANSACTION]:
                record_id: str | None = ids[event.who] if event.record_type == "user" else None
                summary = event.summary
                if event.action == "create" and event.client is not None:
                    chart = plan.clients[event.client].chart
                    client_ids[event.client] = _add_client(s, plan, plan.clients[event.client], chart, ids)
                    summary = f"Registered as {chart}"
                client_id = client_ids.get(event.client) if event.client is not None else None
                audit.append(s, store, user_id=ids[event.who], username=event.who, action=event.action,
                             record_type=event.record_type, record_id=client_id or record_id,
                             client_id=client_id, summary=_summary(event, summary, plan), at=event.at)


def _summary(event: EventPlan, summary: str, plan: DemoPlan) -> str:
    if event.action == "export":
        return f"{sum(1 for c in plan.clients if c.registered_at < event.at)} clients to CSV"
    return summary


def _add_client(s: Session, plan: DemoPlan, c: ClientPlan, chart: str, ids: dict[str, str]) -> str:
    """One client as the registration form would have saved it, checked by the same rules."""
    values = validate_client_input(c.form, plan.today)
    values["primary_clinician_id"] = ids[c.form.primary_clinician_id or ""]
    form = c.form
    phone = values["phone_mobile"] or values["phone_home"]
    keys = search_keys(form.first_name, form.last_name, form.preferred_name, phone)  # type: ignore[arg-type]
    client = Client(chart_number=chart, status=c.status, **values, **keys)
    if c.status == "discharged" and c.status_changed_at is not None:
        client.discharged_on = c.status_changed_at.date()  # late afternoon in Georgia: same date in UTC
    s.add(client)
    s.flush()
    for rank, ins in ((1, form.primary_insurance), (2, form.secondary_insurance)):
        if ins.is_blank:
            continue
        s.add(Insurance(client_id=client.id, rank=rank, payer_name=ins.payer_name, member_id=ins.member_id,
                        payer_id=ins.payer_id or None, group_number=ins.group_number or None,
                        subscriber_name=ins.subscriber_name or None,
                        subscriber_relationship=ins.subscriber_relationship,
                        effective_on=date(c.registered_at.year, 1, 1)))
    for consent in c.consents:
        s.add(Consent(client_id=client.id, kind=consent.kind.value, signed_on=consent.signed_on,
                      expires_on=consent.expires_on, revoked_on=consent.revoked_on,
                      recipient=consent.recipient, signed_by=consent.signed_by))
    return client.id
