"""The demo practice's story as plain data: staff, clients and a year of events, from one seed.

Everything random goes through one ``random.Random(seed)`` and nothing here touches the store, so
the same seed always tells the same story (a test can compare two plans without building two
stores), and :mod:`services.demo` only has to write it down.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentalspace_desktop.domain.chart_numbers import BITS, chart_number
from mentalspace_desktop.domain.clients import ConsentKind, is_minor
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services import demo_data as data
from mentalspace_desktop.services.clients import ClientInput, InsuranceInput

PRACTICE_NAME = "Peachtree Counseling Collective"
TIME_ZONE = "America/New_York"
PRACTICE_PHONE = "+14045550100"
HISTORY_DAYS = 365


@dataclass(frozen=True)
class StaffSpec:
    key: str  # also the user name
    full_name: str
    role: Role
    password: str
    license_type: str | None = None
    license_number: str | None = None
    supervisor: str | None = None
    hipaa_months_ago: int = 3
    caseload_weight: int = 0  # share of new clients; 0 carries no caseload
    sees_minors: bool = False


# Easy to type at a demo, yet each passes the password policy (no names, not common).
STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("renee", "Renee Whitfield", Role.ADMIN, "Magnolia-Porch-41", hipaa_months_ago=2),
    StaffSpec("marcus", "Marcus Bell", Role.SUPERVISOR, "Pecan-Harbor-23", "LPC", "LPC004817",
              hipaa_months_ago=5, caseload_weight=2),
    StaffSpec("elena", "Elena Vasquez", Role.SUPERVISOR, "Dogwood-Lantern-58", "LCSW", "CSW006203",
              hipaa_months_ago=7, caseload_weight=2, sees_minors=True),
    StaffSpec("jordan", "Jordan Okafor", Role.CLINICIAN, "Sweetgum-Ridge-36", "LPC-Associate", "APC009114",
              supervisor="marcus", hipaa_months_ago=4, caseload_weight=5),
    StaffSpec("tyler", "Tyler Nguyen", Role.CLINICIAN, "Kudzu-Bridge-19", "LPC-Associate", "APC009388",
              supervisor="marcus", hipaa_months_ago=1, caseload_weight=4),
    StaffSpec("priya", "Priya Raman", Role.CLINICIAN, "Azalea-Meadow-72", "LMSW", "MSW012457",
              supervisor="elena", hipaa_months_ago=6, caseload_weight=4, sees_minors=True),
    StaffSpec("hannah", "Hannah Brooks", Role.CLINICIAN, "Riverbend-Owl-64", "LMFT", "MFT002961",
              hipaa_months_ago=9, caseload_weight=4, sees_minors=True),
    StaffSpec("samuel", "Samuel Greene", Role.CLINICIAN, "Cypress-Kettle-27", "LCSW", "CSW005532",
              hipaa_months_ago=14, caseload_weight=4),
    StaffSpec("aisha", "Aisha Coleman", Role.CLINICIAN, "Okra-Lighthouse-85", "Psychologist", "PSY003875",
              hipaa_months_ago=8, caseload_weight=3, sees_minors=True),
    StaffSpec("raj", "Rajesh Patel", Role.CLINICIAN, "Vidalia-Compass-33", "Psychiatrist", "MD067342",
              hipaa_months_ago=10, caseload_weight=2),
    StaffSpec("denise", "Denise Carter", Role.BILLING, "Chattahoochee-Fern-46", hipaa_months_ago=3),
    StaffSpec("maria", "Maria Lopez", Role.FRONT_DESK, "Tybee-Pelican-52", hipaa_months_ago=11),
    StaffSpec("kevin", "Kevin Tran", Role.FRONT_DESK, "Juniper-Sparrow-18", hipaa_months_ago=16),
)

FRONT_DESK = tuple(s.key for s in STAFF if s.role is Role.FRONT_DESK)


@dataclass(frozen=True)
class ConsentPlan:
    kind: ConsentKind
    signed_on: date
    expires_on: date | None = None
    recipient: str | None = None
    signed_by: str | None = None
    revoked_on: date | None = None


@dataclass
class ClientPlan:
    form: ClientInput
    registered_at: datetime
    registered_by: str
    status: str = "active"
    status_changed_at: datetime | None = None
    consents: list[ConsentPlan] = field(default_factory=list)
    chart: str = ""


@dataclass(frozen=True)
class EventPlan:
    """One audit entry of the year's history; ``client`` indexes ``DemoPlan.clients``."""

    at: datetime
    who: str
    action: str
    record_type: str
    client: int | None = None
    summary: str = ""


@dataclass
class DemoPlan:
    today: date
    start: datetime
    staff: tuple[StaffSpec, ...]
    totp_secrets: dict[str, str]
    clients: list[ClientPlan]
    events: list[EventPlan]  # sorted by time


def practice_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo(TIME_ZONE)
    except ZoneInfoNotFoundError:  # Windows without the tzdata package: fall back to UTC-5
        return None


class _Clock:
    def __init__(self, today: date) -> None:
        self.zone = practice_zone()
        self.today = today

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        local = datetime.combine(day, time(hour, minute))
        if self.zone is None:
            return (local + timedelta(hours=5)).replace(tzinfo=UTC)
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def day(self, offset: int) -> date:
        """The day ``offset`` days after the practice started (a year before today)."""
        return self.today - timedelta(days=HISTORY_DAYS - offset)


def plan_demo(seed: int, today: date, client_count: int = 230) -> DemoPlan:
    rng = random.Random(seed)
    clock = _Clock(today)
    base32 = string.ascii_uppercase + "234567"
    secrets = {s.key: "".join(rng.choice(base32) for _ in range(32)) for s in STAFF}
    clients = [_plan_client(rng, clock) for _ in range(client_count)]
    clients.sort(key=lambda c: c.registered_at)
    events = _staff_events(rng, clock) + _client_events(rng, clock, clients)
    events.sort(key=lambda e: e.at)
    for client in clients:
        client.chart = chart_number(rng.getrandbits(BITS))
    return DemoPlan(today, clock.at(clock.day(0), 8), STAFF, secrets, clients, events)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _phone(rng: random.Random, area_codes: tuple[str, ...]) -> str:
    return f"+1{rng.choice(area_codes)}55501{rng.randrange(100):02d}"


def _workday(rng: random.Random, clock: _Clock, first: int, last: int) -> date:
    """A weekday between day offsets ``first`` and ``last`` (inclusive), as near as the range allows."""
    for _ in range(10):
        day = clock.day(rng.randint(first, last))
        if day.weekday() < 5:
            return day
    return clock.day(rng.randint(first, last))


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(first name, sex at birth, pronoun key)."""
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(data.NEUTRAL_FIRST), rng.choice(("F", "M")), "X"
    if roll < 0.55:
        return rng.choice(data.FEMALE_FIRST), "F", "F"
    return rng.choice(data.MALE_FIRST), "M", "M"


def _plan_client(rng: random.Random, clock: _Clock) -> ClientPlan:
    first, sex, pron = _person(rng)
    last = rng.choice(data.LAST_NAMES)
    minor = rng.random() < 0.15
    age = rng.randint(6, 17) if minor else int(min(88, max(18, rng.gauss(38, 14))))
    dob = clock.today - timedelta(days=age * 365 + rng.randint(0, 364))
    while not minor and is_minor(dob, clock.today):
        dob -= timedelta(days=30)
    place = rng.choices(data.PLACES, weights=[p.weight for p in data.PLACES])[0]
    registered_on = _workday(rng, clock, 1, HISTORY_DAYS - 1)
    registered_at = clock.at(registered_on, rng.randint(9, 16), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    clinician = _weighted(rng, [(s.key, s.caseload_weight * (3 if minor and s.sees_minors else 1))
                                for s in STAFF if s.caseload_weight and (s.sees_minors or not minor)])
    surname_for_contact = last if rng.random() < 0.7 else rng.choice(data.LAST_NAMES)
    guardian = f"{rng.choice(data.FEMALE_FIRST + data.MALE_FIRST)} {surname_for_contact}" if minor else ""
    contact_first = rng.choice(data.FEMALE_FIRST + data.MALE_FIRST)
    street = f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}"
    apt = ""
    if rng.random() < 0.3:
        apt = f"{rng.choice(data.APARTMENT_WORDS)} {rng.randint(1, 40)}{rng.choice('ABCD')}"
    email = "" if minor or rng.random() < 0.1 else (
        f"{first.lower().replace(' ', '')}.{last.lower().replace(' ', '').replace(chr(39), '')}"
        f"{rng.randint(1, 99)}@{rng.choice(data.EMAIL_DOMAINS)}")
    preferred = ""
    if rng.random() < 0.08:
        preferred = rng.choice(data.NEUTRAL_FIRST)
    form = ClientInput(
        first_name=first, last_name=last, dob=dob, preferred_name=preferred,
        pronouns=data.PRONOUNS[pron], sex_at_birth={"F": "Female", "M": "Male"}[sex],
        gender_identity="Non-binary" if pron == "X" else ("Woman" if sex == "F" else "Man"),
        phone_mobile="" if minor and rng.random() < 0.5 else _phone(rng, place.area_codes),
        phone_home=_phone(rng, place.area_codes) if rng.random() < 0.2 else "",
        email=email, address1=street, address2=apt, city=place.city, state="GA", zip=rng.choice(place.zips),
        preferred_language=_weighted(rng, data.LANGUAGES), primary_clinician_id=clinician,
        uses_telehealth=rng.random() < 0.35,
        emergency_name="" if minor else f"{contact_first} {surname_for_contact}",
        emergency_phone="" if minor else _phone(rng, place.area_codes),
        emergency_relationship="" if minor else rng.choice(data.EMERGENCY_RELATIONSHIPS),
        guardian_name=guardian, guardian_phone=_phone(rng, place.area_codes) if minor else "",
    )
    form.primary_insurance, form.secondary_insurance = _plan_insurance(rng, age, minor, first, last, guardian)
    plan = ClientPlan(form, registered_at, rng.choices(FRONT_DESK + ("renee",), weights=(10, 10, 1))[0])
    plan.consents = _plan_consents(rng, clock, plan, minor)
    roll = rng.random()
    days_left = (clock.today - registered_on).days
    if roll < 0.10 and days_left > 45:
        plan.status = "discharged"
        changed_on = registered_on + timedelta(days=rng.randint(30, days_left - 2))
        plan.status_changed_at = clock.at(changed_on, 17, 30)
    elif roll < 0.16 and days_left > 75:
        plan.status = "inactive"
        changed_on = registered_on + timedelta(days=rng.randint(60, days_left - 2))
        plan.status_changed_at = clock.at(changed_on, 17, 45)
    return plan


def _member_id(rng: random.Random, payer: data.Payer) -> str:
    if payer is data.MEDICARE:  # the Medicare Beneficiary Identifier pattern: 1EG4-TE5-MK73
        letters = "ACDEFGHJKMNPQRTUVWXY"
        both = letters + string.digits
        pattern = (string.digits[1:], letters, both, string.digits, letters, both, string.digits, letters,
                   letters, string.digits, string.digits)
        return "".join(rng.choice(pool) for pool in pattern)
    return f"{payer.member_prefix}{rng.randint(10**8, 10**9 - 1)}"


def _insurance(rng: random.Random, payer: data.Payer, subscriber: str, relationship: str) -> InsuranceInput:
    return InsuranceInput(
        payer_name=payer.name, member_id=_member_id(rng, payer), payer_id=payer.payer_id or "",
        group_number=f"{rng.randint(100000, 999999)}" if payer.group else "",
        subscriber_name=subscriber, subscriber_relationship=relationship,
    )


def _plan_insurance(rng: random.Random, age: int, minor: bool, first: str, last: str,
                    guardian: str) -> tuple[InsuranceInput, InsuranceInput]:
    if rng.random() < 0.1:  # self-pay
        return InsuranceInput(), InsuranceInput()
    name = f"{first} {last}"
    if age >= 65:
        primary = _insurance(rng, data.MEDICARE, name, "self")
        secondary = (_insurance(rng, rng.choice(data.COMMERCIAL[:4]), name, "self")
                     if rng.random() < 0.5 else InsuranceInput())
        return primary, secondary
    medicaid = rng.random() < (0.45 if minor else 0.15)
    if medicaid:
        return _insurance(rng, rng.choice(data.MEDICAID), name, "self"), InsuranceInput()
    payer = rng.choices(data.COMMERCIAL, weights=(5, 6, 4, 5, 3, 2, 2))[0]
    if minor:
        return _insurance(rng, payer, guardian, "child"), InsuranceInput()
    primary = _insurance(rng, payer, name, "self")
    if rng.random() < 0.1:  # also covered on a spouse's plan
        other = rng.choice([p for p in data.COMMERCIAL if p is not payer])
        spouse = f"{rng.choice(data.FEMALE_FIRST + data.MALE_FIRST)} {last}"
        return primary, _insurance(rng, other, spouse, "spouse")
    return primary, InsuranceInput()


def _plan_consents(rng: random.Random, clock: _Clock, plan: ClientPlan, minor: bool) -> list[ConsentPlan]:
    signed = plan.registered_at.date()
    signer = plan.form.guardian_name if minor else f"{plan.form.first_name} {plan.form.last_name}"
    consents = []
    if rng.random() >= 0.10:
        consents.append(ConsentPlan(ConsentKind.INFORMED_CONSENT, signed, signed_by=signer))
    if minor and rng.random() >= 0.05:
        consents.append(ConsentPlan(ConsentKind.GUARDIAN_CONSENT, signed, signed_by=signer))
    if plan.form.uses_telehealth and rng.random() >= 0.2:
        consents.append(ConsentPlan(ConsentKind.TELEHEALTH_CONSENT, signed, signed_by=signer))
    if rng.random() < 0.22:
        later = min(signed + timedelta(days=rng.choice((0, 0, 14, 40, 90))), clock.today - timedelta(days=1))
        revoked = later + timedelta(days=rng.randint(20, 60)) if rng.random() < 0.08 else None
        consents.append(ConsentPlan(
            ConsentKind.RELEASE_OF_INFORMATION, later, expires_on=later + timedelta(days=365),
            recipient=rng.choice(data.ROI_RECIPIENTS), signed_by=signer,
            revoked_on=revoked if revoked and revoked < clock.today else None))
    return consents


def _staff_events(rng: random.Random, clock: _Clock) -> list[EventPlan]:
    """First sign-ins on opening day, then a year of workday sign-ins and the odd mistyped code."""
    events: list[EventPlan] = []
    first = clock.day(0)
    for i, s in enumerate(STAFF):
        if s.role is Role.ADMIN:
            continue
        t = clock.at(first, 10, 0) + timedelta(minutes=4 * i)
        events.append(EventPlan(t, s.key, "password_changed", "user"))
        events.append(EventPlan(t + timedelta(minutes=1), s.key, "mfa_enrolled", "user",
                                summary="authenticator app enrolled"))
        events.append(EventPlan(t + timedelta(minutes=1, seconds=5), s.key, "login", "user",
                                summary="signed in (enrollment)"))
    for offset in range(1, HISTORY_DAYS):
        day = clock.day(offset)
        if day.weekday() >= 5:
            continue
        for s in STAFF:
            if rng.random() > (0.95 if s.role is Role.FRONT_DESK else 0.8):
                continue
            t = clock.at(day, rng.choice((7, 8, 8, 9)), rng.randint(0, 59))
            if rng.random() < 0.02:
                events.append(EventPlan(t, s.key, "login_failed", "user", summary="wrong one-time code"))
                t += timedelta(seconds=40)
            events.append(EventPlan(t, s.key, "login", "user", summary="signed in (authenticator code)"))
        if day.day <= 7 and day.weekday() == 0:  # first Monday: the billing office's client list
            events.append(EventPlan(clock.at(day, 16, 30), "denise", "export", "client",
                                    summary="client list to CSV"))
    return events


def _client_events(rng: random.Random, clock: _Clock, clients: list[ClientPlan]) -> list[EventPlan]:
    """Registration, consents, chart opens at sessions, the odd change of details, discharge."""
    events: list[EventPlan] = []
    end = clock.at(clock.today, 0)
    for index, c in enumerate(clients):
        clinician = c.form.primary_clinician_id or "renee"
        events.append(EventPlan(c.registered_at, c.registered_by, "create", "client", index, "Registered"))
        for consent in c.consents:
            at = (c.registered_at + timedelta(minutes=5) if consent.signed_on == c.registered_at.date()
                  else clock.at(consent.signed_on, 12, 10))
            events.append(EventPlan(at, c.registered_by, "consent_added", "client", index,
                                    f"{consent.kind.label} signed {consent.signed_on.isoformat()}"))
            if consent.revoked_on:
                events.append(EventPlan(clock.at(consent.revoked_on, 11, 5), c.registered_by,
                                        "consent_revoked", "client", index, f"{consent.kind.label} revoked"))
        stop = c.status_changed_at or end
        visit = c.registered_at + timedelta(days=rng.randint(1, 8))
        gap = rng.choice((7, 7, 14, 14, 21, 28))
        while visit < stop - timedelta(hours=12):
            day = visit.date()
            if day.weekday() < 5:
                events.append(EventPlan(clock.at(day, rng.randint(8, 18), rng.choice((0, 50))), clinician,
                                        "open_chart", "client", index))
            visit += timedelta(days=gap + rng.randint(-2, 2))
        if rng.random() < 0.3:
            span = max(1, int((stop - c.registered_at).days) - 1)
            when = c.registered_at + timedelta(days=rng.randint(1, span), hours=rng.randint(0, 3))
            if when < stop:
                what = rng.choice(("phone mobile", "email", "address1, city, zip",
                                   "emergency name, emergency phone", "preferred name", "pronouns"))
                events.append(EventPlan(when, rng.choice(FRONT_DESK), "update", "client", index,
                                        f"Changed {what}"))
        if c.status_changed_at:
            events.append(EventPlan(c.status_changed_at, clinician, "status_changed", "client", index,
                                    f"active → {c.status}"))
    return [e for e in events if e.at < end]
