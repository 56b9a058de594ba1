"""The demo practice: who works there, who the clients are, and a year of valid history."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import phonenumbers
import pyotp
import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind, ConsentOnFile, is_minor, missing_consents
from mentalspace_desktop.domain.compliance import Stage
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import StoreExists
from mentalspace_desktop.services import compliance
from mentalspace_desktop.services.accounts import AccountService, Authenticator
from mentalspace_desktop.services.audit import verify_store
from mentalspace_desktop.services.demo import DemoLogin, create_demo_practice, write_logins_file
from mentalspace_desktop.services.demo_plan import plan_demo
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import AuditEntry, Client, OutboxEntry, Practice, User

AREA_CODES = {"404", "470", "678", "770", "706", "912"}


@dataclass
class DemoStore:
    data_dir: Path
    today: date
    logins: list[DemoLogin]
    session: UserSession
    clients: list[Client]


def code_for(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // 30 + steps_ahead)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStore]:
    data_dir = tmp_path_factory.mktemp("demo") / "practice"
    today = date.today()
    logins = create_demo_practice(data_dir, seed=7, today=today)
    admin = next(x for x in logins if x.role is Role.ADMIN)
    auth = Authenticator(StoreFiles(data_dir))
    session = auth.complete(auth.begin(admin.username, admin.password), code_for(admin.totp_secret))
    with session.store.read() as s:
        clients = list(s.scalars(select(Client)))
    yield DemoStore(data_dir, today, logins, session, clients)
    session.close()


def test_the_practice_is_a_demo_in_georgia(demo: DemoStore) -> None:
    with demo.session.store.read() as s:
        practice = s.scalars(select(Practice)).one()
    assert practice.is_demo and practice.time_zone == "America/New_York" and practice.state == "GA"
    assert "Peachtree" in practice.name


def test_staff_cover_every_role_with_realistic_licenses(demo: DemoStore) -> None:
    users = AccountService(demo.session).list_users()
    assert len(users) >= 8
    roles = Counter(u.role for u in users)
    assert set(roles) == set(Role)
    assert roles[Role.ADMIN] == 1 and 1 <= roles[Role.SUPERVISOR] <= 2 and roles[Role.FRONT_DESK] == 2
    by_id = {u.id: u for u in users}
    supervisors = [u for u in users if u.role is Role.SUPERVISOR]
    assert all(u.license_type in {"LPC", "LCSW", "Psychologist"} for u in supervisors)
    clinicians = [u for u in users if u.role is Role.CLINICIAN]
    for license_type in ("LPC-Associate", "LMSW"):
        supervised = [u for u in clinicians if u.license_type == license_type]
        assert supervised and all(by_id[u.supervisor_id].role is Role.SUPERVISOR  # type: ignore[index]
                                  for u in supervised)
    assert any(u.license_type == "Psychiatrist" for u in clinicians)
    assert any(u.supervisor_id is None and u.license_type in {"LPC", "LCSW", "LMFT", "Psychologist"}
               for u in clinicians)
    assert all(u.mfa_enrolled and u.active for u in users)
    year_ago = demo.today - timedelta(days=365)
    overdue = [u for u in users if u.hipaa_training_on and u.hipaa_training_on < year_ago]
    assert len(overdue) >= 2
    with demo.session.store.read() as s:
        assert not any(s.scalars(select(User.must_change_password)))


def test_every_demo_login_signs_in(demo: DemoStore) -> None:
    auth = Authenticator(StoreFiles(demo.data_dir))
    for login in demo.logins:
        pending = auth.begin(login.username, login.password)
        assert pending.is_demo and not pending.needs_enrollment and not pending.must_change_password
        ahead = 1 if login.role is Role.ADMIN else 0  # the fixture signed the administrator in already
        session = auth.complete(pending, code_for(login.totp_secret, ahead))
        assert session.actor.role is login.role
        session.close()


def test_clients_are_many_and_varied(demo: DemoStore) -> None:
    clients, today = demo.clients, demo.today
    assert len(clients) >= 200
    minors = [c for c in clients if is_minor(c.dob, today)]
    assert 0.10 <= len(minors) / len(clients) <= 0.25
    assert all(c.guardian_name and c.guardian_phone for c in minors)
    statuses = Counter(c.status for c in clients)
    assert 0.05 <= statuses["discharged"] / len(clients) <= 0.2 and statuses["inactive"] > 0
    assert all(c.discharged_on for c in clients if c.status == "discharged")
    assert all(c.primary_clinician_id for c in clients)
    assert len({(c.first_name, c.last_name) for c in clients}) > 0.9 * len(clients)


def test_consents_are_mostly_but_not_always_on_file(demo: DemoStore) -> None:
    clients, today = demo.clients, demo.today

    def missing(c: Client) -> list[ConsentKind]:
        on_file = [ConsentOnFile(ConsentKind(x.kind), x.signed_on, x.expires_on, x.revoked_on)
                   for x in c.consents]
        return missing_consents(dob=c.dob, today=today, uses_telehealth=c.uses_telehealth, on_file=on_file)

    no_informed = [c for c in clients if ConsentKind.INFORMED_CONSENT in missing(c)]
    assert 0.04 <= len(no_informed) / len(clients) <= 0.2
    telehealth = [c for c in clients if c.uses_telehealth]
    without = [c for c in telehealth if ConsentKind.TELEHEALTH_CONSENT in missing(c)]
    assert telehealth and without and len(without) < len(telehealth)
    releases = [x for c in clients for x in c.consents if x.kind == ConsentKind.RELEASE_OF_INFORMATION.value]
    assert len(releases) > 10 and all(x.recipient and x.expires_on for x in releases)


def test_insurance_uses_real_payers(demo: DemoStore) -> None:
    payers = Counter(i.payer_name for c in demo.clients for i in c.insurances if i.rank == 1)
    names = " ".join(payers)
    for expected in ("Aetna", "Blue Cross Blue Shield of Georgia", "Cigna", "UnitedHealthcare", "Ambetter",
                     "CareSource", "Peach State", "Amerigroup", "Medicare"):
        assert expected in names
    assert sum(payers.values()) > 0.8 * len(demo.clients)
    assert any(i.rank == 2 for c in demo.clients for i in c.insurances)


def test_addresses_and_phones_are_georgian_and_valid(demo: DemoStore) -> None:
    for c in demo.clients:
        assert c.state == "GA" and c.zip and c.zip[0] == "3" and c.city
        for number in (c.phone_mobile, c.phone_home, c.emergency_phone, c.guardian_phone):
            if number:
                parsed = phonenumbers.parse(number)
                assert phonenumbers.is_valid_number(parsed), number
                assert number[2:5] in AREA_CODES


def test_history_spans_the_year_and_the_audit_chain_verifies(demo: DemoStore) -> None:
    assert verify_store(demo.session.store) is None
    with demo.session.store.read() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        client_inserts = s.scalars(select(OutboxEntry.row_id).where(
            OutboxEntry.table_name == "clients", OutboxEntry.op == "insert")).all()
    assert len(entries) > 3000
    times = [e.at for e in entries]
    assert times == sorted(times)  # appended oldest first
    assert times[0].date() <= demo.today - timedelta(days=360)
    actions = Counter(e.action for e in entries)
    for action in ("create", "consent_added", "open_chart", "update", "status_changed", "login",
                   "user_created"):
        assert actions[action] > 0, action
    registered = [e.at.date() for e in entries if e.action == "create" and e.record_type == "client"]
    assert len(registered) == len(demo.clients)
    assert len({(d.year, d.month) for d in registered}) >= 11
    assert sorted(client_inserts) == sorted(c.id for c in demo.clients)  # every row went through the outbox


def test_the_plan_is_deterministic_and_the_store_follows_it(demo: DemoStore) -> None:
    plan = plan_demo(7, demo.today)
    assert plan == plan_demo(7, demo.today)
    assert plan.clients != plan_demo(8, demo.today).clients
    planned = sorted((c.form.last_name, c.form.first_name, c.form.dob) for c in plan.clients)
    assert sorted((c.last_name, c.first_name, c.dob) for c in demo.clients) == planned
    assert {x.username: x.totp_secret for x in demo.logins} == plan.totp_secrets


def test_the_logins_file_format(demo: DemoStore, tmp_path: Path) -> None:
    path = write_logins_file(tmp_path, demo.logins)
    assert path.name == "demo-logins.txt"
    expected = ["user\trole\tpassword\ttotp_secret"] + [
        f"{x.username}\t{x.role.value}\t{x.password}\t{x.totp_secret}" for x in demo.logins]
    assert path.read_text(encoding="utf-8") == "\n".join(expected) + "\n"


def test_a_folder_holding_a_store_is_refused_and_left_alone(demo: DemoStore) -> None:
    before = (demo.data_dir / "keyslots.json").read_bytes()
    with pytest.raises(StoreExists):
        create_demo_practice(demo.data_dir)
    assert (demo.data_dir / "keyslots.json").read_bytes() == before
    assert [p.name for p in demo.data_dir.parent.iterdir()] == [demo.data_dir.name]  # no scratch left


def test_a_demo_chart_timeline_shows_its_notes_signatures_and_addenda(demo: DemoStore) -> None:
    """The demo's charts are written straight into the store, with no audit entries of their own: the
    timeline tells them from the records, as it does notes that arrive from other workstations."""
    from mentalspace_desktop.services.clients import ClientService
    from mentalspace_desktop.services.demo_charting import _SUBJECTIVE
    from mentalspace_desktop.services.session import Actor
    from mentalspace_desktop.store.models import Note

    with demo.session.store.read() as s:
        cosigned = select(Note.client_id).where(Note.cosigned_at.is_not(None))
        client_id = s.scalar(select(Note.client_id).where(Note.addendum_to.is_not(None),
                                                          Note.client_id.in_(cosigned)).limit(1))
        desk = s.scalars(select(User).where(User.role == Role.FRONT_DESK.value)).first()
    assert client_id and desk
    timeline = ClientService(demo.session).open_chart(client_id).timeline
    actions = {t.action for t in timeline}
    assert {"Note started", "Note signed", "Note co-signed", "Addendum signed", "Diagnosis added"} <= actions
    started = [t.at.date() for t in timeline if t.action == "Note started"]
    assert min(started) < demo.today - timedelta(days=14)  # when the story wrote them, not when it was built
    session = demo.session
    front = UserSession(session.store, session.slots, Actor(desk.id, desk.username, desk.full_name, Role.FRONT_DESK),
                        session.events)
    seen = ClientService(front).open_chart(client_id).timeline
    assert {"Note signed", "Addendum signed"} <= {t.action for t in seen}
    assert "Diagnosis added" not in {t.action for t in seen}
    assert not any(words[:30] in t.summary for t in seen for words in _SUBJECTIVE)


def test_supervision_leaves_one_associate_short_of_hours(demo: DemoStore) -> None:
    result = compliance.run(demo.session, today=demo.today, now=datetime.now(UTC))
    short = {f.subject.split(",")[0] for f in result.findings
             if f.rule == "supervision_hours" and f.stage is Stage.OUT_OF_COMPLIANCE}
    assert short == {"Tyler Nguyen"}  # Jordan (LPC-Associate) and Priya (LMSW) met last month's hours


def test_alerts_are_a_believable_few_of_every_kind(demo: DemoStore) -> None:
    """Tens of open alerts, not one per client: treatment plans are mostly current, with a few in their
    reminder days, at the alert day and past it; the team shows clinicians on track, to review and urgent."""
    from collections import Counter

    from mentalspace_desktop.domain.metrics import PeriodKind, Status, period_for
    from mentalspace_desktop.services import alerts, dashboards

    open_alerts = alerts.list_alerts(demo.session)
    plans = Counter(a.severity.value for a in open_alerts if a.alert_type == "treatment_plan_overdue")
    assert 3 <= sum(plans.values()) <= 60, plans
    assert len(plans) == 3, plans  # info (reminder), warning (alert day) and critical (overdue)
    assert len(open_alerts) < 200, Counter(a.alert_type for a in open_alerts)
    board = dashboards.load_dashboard(demo.session, period_for(PeriodKind.LAST_WEEK, demo.today), today=demo.today,
                                      with_trend=False)
    statuses = {r.status for r in board.rows}
    assert {Status.ON_TRACK, Status.REVIEW, Status.URGENT} <= statuses
