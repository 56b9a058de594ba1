"""Client records: registration messages per field, search as people type it, scoping, charts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services.clients import ClientInput, ClientService, InsuranceInput
from mentalspace_desktop.store.models import Client
from tests.factories import PracticeFixture

TODAY = date(2025, 3, 10)


def service(practice: PracticeFixture, role: str = "front_desk") -> ClientService:
    return ClientService(practice.session_for(role), today=lambda: TODAY)


def valid(**changes: object) -> ClientInput:
    values: dict[str, object] = {
        "first_name": "Sam",
        "last_name": "Rivera",
        "dob": date(1988, 6, 1),
        **changes,
    }
    return ClientInput(**values)  # type: ignore[arg-type]


def refused(practice: PracticeFixture, data: ClientInput) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        service(practice).register(data)
    return info.value.fields


# -- registration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"first_name": "  "}, "first_name", "Enter the first name."),
        ({"last_name": ""}, "last_name", "Enter the last name."),
        ({"dob": None}, "dob", "Enter the date of birth."),
        ({"dob": date(2025, 3, 11)}, "dob", "in the future"),
        ({"dob": date(1900, 1, 1)}, "dob", "more than 120 years"),
        ({"phone_mobile": "404-892-123"}, "phone_mobile", "not valid"),
        ({"phone_home": "call me"}, "phone_home", "does not look like a phone number"),
        ({"emergency_phone": "12"}, "emergency_phone", "not valid"),
        ({"email": "sam@"}, "email", "e-mail address is not complete"),
        ({"state": "Georgia"}, "state", "two-letter state code"),
        ({"zip": "3030"}, "zip", "ZIP code is five digits"),
        ({"dob": date(2012, 5, 5)}, "guardian_name", "under 18 needs a parent or guardian"),
        ({"primary_insurance": InsuranceInput(payer_name="Aetna")}, "insurance1", "payer and the member id"),
        (
            {"secondary_insurance": InsuranceInput(payer_name="Aetna", member_id="W1")},
            "insurance2",
            "primary insurance before a secondary",
        ),
    ],
)
def test_registration_message_per_field(
    practice: PracticeFixture, changes: dict, field: str, words: str
) -> None:
    fields = refused(practice, valid(**changes))
    assert set(fields) == {field}
    assert words in fields[field]


def test_all_problems_are_reported_at_once(practice: PracticeFixture) -> None:
    fields = refused(practice, ClientInput(email="x", zip="1", state="ZZ"))
    assert set(fields) == {"first_name", "last_name", "dob", "email", "zip", "state"}


def test_registration_normalises_and_numbers_charts(practice: PracticeFixture) -> None:
    first = service(practice).register(
        valid(
            phone_mobile="(404) 892-1234",
            email=" Sam@Example.COM ",
            state="ga",
            zip="30303",
            first_name="  Sam ",
        )
    )
    second = service(practice).register(valid(last_name="Okafor"))
    assert first.phone_mobile == "+14048921234" and first.email == "sam@example.com" and first.state == "GA"
    assert first.first_name == "Sam"
    assert re.fullmatch(r"MS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", first.chart_number)
    assert first.chart_number != second.chart_number


def test_minor_with_guardian_registers(practice: PracticeFixture) -> None:
    client = service(practice).register(
        valid(dob=date(2012, 5, 5), guardian_name="Maria Rivera", guardian_phone="404-892-1234")
    )
    chart = service(practice).open_chart(client.id)
    assert chart.is_minor and chart.age == 12
    assert chart.missing_consents == [ConsentKind.INFORMED_CONSENT, ConsentKind.GUARDIAN_CONSENT]


def test_primary_clinician_must_be_an_active_clinician(practice: PracticeFixture) -> None:
    with pytest.raises(ValidationError) as info:
        service(practice).register(valid(primary_clinician_id=practice.users["billing"]))
    assert "primary_clinician_id" in info.value.fields


def test_insurance_is_kept_and_changed(practice: PracticeFixture) -> None:
    s = service(practice)
    client = s.register(valid(primary_insurance=InsuranceInput(payer_name="Aetna", member_id="W123")))
    assert [(i.rank, i.payer_name) for i in s.get(client.id).insurances] == [(1, "Aetna")]
    s.update(
        client.id,
        valid(
            primary_insurance=InsuranceInput(payer_name="Aetna", member_id="W123"),
            secondary_insurance=InsuranceInput(payer_name="Cigna", member_id="C9"),
        ),
    )
    assert [(i.rank, i.payer_name) for i in s.get(client.id).insurances if not i.deleted] == [
        (1, "Aetna"),
        (2, "Cigna"),
    ]
    s.update(client.id, valid(primary_insurance=InsuranceInput(payer_name="Aetna", member_id="W123")))
    assert [(i.rank, i.payer_name) for i in s.get(client.id).insurances if not i.deleted] == [(1, "Aetna")]


def test_unknown_client_is_not_found(practice: PracticeFixture) -> None:
    with pytest.raises(NotFound):
        service(practice).get("0190aaaa-0000-7000-8000-000000000000")


def test_consent_validation(practice: PracticeFixture) -> None:
    client = practice.add_client()
    s = service(practice)
    with pytest.raises(ValidationError) as info:
        s.add_consent(
            client.id,
            ConsentKind.RELEASE_OF_INFORMATION,
            signed_on=date(2025, 3, 11),
            expires_on=date(2025, 3, 1),
        )
    assert set(info.value.fields) == {"signed_on", "expires_on", "recipient"}
    s.add_consent(
        client.id, ConsentKind.INFORMED_CONSENT, signed_on=date(2024, 3, 1), expires_on=date(2025, 3, 9)
    )
    assert s.open_chart(client.id).missing_consents == [ConsentKind.INFORMED_CONSENT]  # expired yesterday
    s.add_consent(client.id, ConsentKind.INFORMED_CONSENT, signed_on=date(2025, 3, 10))
    assert s.open_chart(client.id).missing_consents == []


# -- search --------------------------------------------------------------------------------------------


@pytest.fixture
def roster(practice: PracticeFixture) -> dict[str, str]:
    people = [
        ("Smith", "John", date(1988, 3, 14), "404-892-1234", "clinician"),
        ("Smith", "Jane", date(1990, 7, 4), "678-555-0199", "other_clinician"),
        ("Smithers", "Waylon", date(1975, 1, 2), None, "clinician"),
        ("O'Brien", "Jo", date(2001, 12, 25), "770-892-4321", None),
        ("Jones", "Smith", date(1966, 6, 6), None, None),  # a first name that looks like a last name
        ("Nguyen", "Anh", date(1988, 3, 14), "404-892-9999", None),
    ]
    ids = {}
    for last, first, dob, phone, clinician in people:
        extra = {"phone_mobile": phone} if phone else {}
        client = practice.add_client(last=last, first=first, dob=dob, clinician=clinician, **extra)
        ids[f"{first} {last}"] = client.id
    return ids


def names(practice: PracticeFixture, text: str, role: str = "front_desk") -> list[str]:
    return [r.display_name for r in service(practice, role).search(text)]


def test_search_by_last_name_prefix(practice: PracticeFixture, roster: dict[str, str]) -> None:
    assert set(names(practice, "smi")) == {"Jones, Smith", "Smith, Jane", "Smith, John", "Smithers, Waylon"}
    assert names(practice, "smithe") == ["Smithers, Waylon"]
    assert names(practice, "SMITHERS") == ["Smithers, Waylon"]
    assert names(practice, "o'br") == ["O'Brien, Jo"]
    assert names(practice, "obrien") == ["O'Brien, Jo"]
    assert names(practice, "zz") == []


def test_results_are_ordered_by_last_then_first_name(
    practice: PracticeFixture, roster: dict[str, str]
) -> None:
    assert names(practice, "smith") == ["Jones, Smith", "Smith, Jane", "Smith, John", "Smithers, Waylon"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smith john", ["Smith, John"]),
        ("smith, john", ["Smith, John"]),
        ("john smith", ["Smith, John"]),
        ("smith joh", ["Smith, John"]),
        # two short tokens are read both ways round: "Jones, Smith" is a Smith whose last name starts with J
        ("Smith, J", ["Jones, Smith", "Smith, Jane", "Smith, John"]),
        ("j smith", ["Jones, Smith", "Smith, Jane", "Smith, John"]),
        ("smith jo", ["Jones, Smith", "Smith, John"]),
        ("anh nguyen", ["Nguyen, Anh"]),
        ("jo o'brien", ["O'Brien, Jo"]),
    ],
)
def test_search_last_first_in_either_order(
    practice: PracticeFixture, roster: dict[str, str], text: str, expected: list[str]
) -> None:
    assert names(practice, text) == expected


@pytest.mark.parametrize("text", ["3/14/1988", "03/14/1988", "1988-03-14", "3-14-88", "3.14.1988"])
def test_search_by_date_of_birth(practice: PracticeFixture, roster: dict[str, str], text: str) -> None:
    assert set(names(practice, text)) == {"Smith, John", "Nguyen, Anh"}
    assert names(practice, f"smith {text}") == ["Smith, John"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", ["Smith, John"]),
        ("4321", ["O'Brien, Jo"]),
        ("0199", ["Smith, Jane"]),
        ("404-892", ["Nguyen, Anh", "Smith, John"]),
        ("404 892", ["Nguyen, Anh", "Smith, John"]),  # typed with a space, as the number is read out
        ("(404) 892-1234", ["Smith, John"]),
        ("4048921234", ["Smith, John"]),
        ("+1 404 892 1234", ["Smith, John"]),
    ],
)
def test_search_by_phone(
    practice: PracticeFixture, roster: dict[str, str], text: str, expected: list[str]
) -> None:
    assert names(practice, text) == expected


def roster_chart(practice: PracticeFixture, last_name: str) -> str:
    with practice.admin.store.read() as s:
        return s.scalars(select(Client.chart_number).where(Client.last_name == last_name)).one()


def test_search_by_chart_number(practice: PracticeFixture, roster: dict[str, str]) -> None:
    chart = roster_chart(practice, "Smithers")
    results = service(practice).search(chart)
    assert [r.display_name for r in results] == ["Smithers, Waylon"]
    assert results[0].chart_number == chart
    assert names(practice, chart.lower()) == ["Smithers, Waylon"]
    assert "Smithers, Waylon" in names(practice, chart[:7])  # a chart number prefix: "MS-7K3Q"


def test_search_result_carries_what_the_desk_needs(practice: PracticeFixture, roster: dict[str, str]) -> None:
    (hit,) = service(practice).search("smith john")
    assert hit.dob == date(1988, 3, 14) and hit.phone == "(404) 892-1234"
    assert hit.clinician_name == "Casey Clinician" and hit.status == "active"


def test_search_is_scoped_to_the_caseload(practice: PracticeFixture, roster: dict[str, str]) -> None:
    assert names(practice, "smith", role="clinician") == ["Smith, John", "Smithers, Waylon"]
    assert names(practice, "smith", role="supervisor") == ["Smith, John", "Smithers, Waylon"]  # team
    assert names(practice, "smith", role="billing") == names(practice, "smith")


def test_empty_search_returns_nothing(practice: PracticeFixture, roster: dict[str, str]) -> None:
    assert names(practice, "") == [] and names(practice, "  , ") == []


def test_search_limit(practice: PracticeFixture, roster: dict[str, str]) -> None:
    assert len(service(practice).search("s", limit=2)) == 2


def test_search_follows_an_edit(practice: PracticeFixture, roster: dict[str, str]) -> None:
    cid = roster["Waylon Smithers"]
    service(practice, "admin").update(
        cid,
        valid(
            last_name="Burns",
            first_name="Waylon",
            dob=date(1975, 1, 2),
            primary_clinician_id=practice.users["clinician"],
            phone_home="404-892-5555",
        ),
    )
    assert names(practice, "smithers") == []
    assert names(practice, "burns w") == ["Burns, Waylon"]
    assert names(practice, "5555") == ["Burns, Waylon"]
