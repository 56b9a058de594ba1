"""Client rules: age and minors, consents needed and on file, phone, e-mail, state and ZIP."""

from __future__ import annotations

from datetime import date

import pytest

from mentalspace_desktop.domain.clients import (
    ConsentKind,
    ConsentOnFile,
    age_on,
    format_phone,
    is_minor,
    missing_consents,
    name_key,
    normalize_phone,
    required_consents,
    validate_dob,
    validate_email,
    validate_state,
    validate_zip,
)

TODAY = date(2025, 3, 10)


# -- age -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "today", "age"),
    [
        (date(1988, 6, 1), date(2025, 5, 31), 36),
        (date(1988, 6, 1), date(2025, 6, 1), 37),
        (date(2000, 2, 29), date(2018, 2, 28), 17),  # leap-day birthday: not yet 18 on 28 Feb
        (date(2000, 2, 29), date(2018, 3, 1), 18),  # ... 18 on 1 March in a common year
        (date(2000, 2, 29), date(2020, 2, 29), 20),  # ... and on the day in a leap year
        (date(2025, 3, 10), date(2025, 3, 10), 0),
    ],
)
def test_age_in_whole_years(dob: date, today: date, age: int) -> None:
    assert age_on(dob, today) == age


def test_minor_boundary_is_the_eighteenth_birthday() -> None:
    dob = date(2007, 3, 10)
    assert is_minor(dob, date(2025, 3, 9))
    assert not is_minor(dob, date(2025, 3, 10))


def test_leap_day_minor_becomes_adult_on_first_of_march() -> None:
    dob = date(2004, 2, 29)
    assert is_minor(dob, date(2022, 2, 28))
    assert not is_minor(dob, date(2022, 3, 1))


def test_dob_in_future_or_over_120_years_is_refused() -> None:
    with pytest.raises(ValueError, match="future"):
        validate_dob(date(2025, 3, 11), TODAY)
    with pytest.raises(ValueError, match="120"):
        validate_dob(date(1904, 3, 9), TODAY)
    assert validate_dob(date(1905, 3, 10), TODAY) == date(1905, 3, 10)


# -- consents --------------------------------------------------------------------------------------

ADULT = date(1990, 1, 1)
MINOR = date(2012, 1, 1)


def test_required_consents() -> None:
    assert required_consents(dob=ADULT, today=TODAY, uses_telehealth=False) == [ConsentKind.INFORMED_CONSENT]
    assert required_consents(dob=MINOR, today=TODAY, uses_telehealth=True) == [
        ConsentKind.INFORMED_CONSENT,
        ConsentKind.GUARDIAN_CONSENT,
        ConsentKind.TELEHEALTH_CONSENT,
    ]


def test_nothing_missing_when_all_in_force() -> None:
    on_file = [
        ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2024, 1, 5)),
        ConsentOnFile(ConsentKind.GUARDIAN_CONSENT, date(2024, 1, 5), expires_on=date(2026, 1, 5)),
        ConsentOnFile(ConsentKind.TELEHEALTH_CONSENT, date(2024, 1, 5)),
    ]
    assert missing_consents(dob=MINOR, today=TODAY, uses_telehealth=True, on_file=on_file) == []


def test_missing_when_none_on_file() -> None:
    assert missing_consents(dob=MINOR, today=TODAY, uses_telehealth=False, on_file=[]) == [
        ConsentKind.INFORMED_CONSENT,
        ConsentKind.GUARDIAN_CONSENT,
    ]


def test_expired_consent_counts_as_missing() -> None:
    expired = ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2023, 1, 1), expires_on=date(2025, 3, 9))
    assert missing_consents(dob=ADULT, today=TODAY, uses_telehealth=False, on_file=[expired]) == [
        ConsentKind.INFORMED_CONSENT
    ]


def test_consent_expiring_today_is_still_in_force() -> None:
    today_expiry = ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2023, 1, 1), expires_on=TODAY)
    assert missing_consents(dob=ADULT, today=TODAY, uses_telehealth=False, on_file=[today_expiry]) == []


def test_revoked_consent_counts_as_missing_from_the_revocation_day() -> None:
    revoked = ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2023, 1, 1), revoked_on=TODAY)
    assert missing_consents(dob=ADULT, today=TODAY, uses_telehealth=False, on_file=[revoked]) == [
        ConsentKind.INFORMED_CONSENT
    ]
    later = ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2023, 1, 1), revoked_on=date(2025, 4, 1))
    assert missing_consents(dob=ADULT, today=TODAY, uses_telehealth=False, on_file=[later]) == []


def test_a_valid_copy_makes_up_for_an_expired_one() -> None:
    on_file = [
        ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2022, 1, 1), expires_on=date(2023, 1, 1)),
        ConsentOnFile(ConsentKind.INFORMED_CONSENT, date(2024, 1, 1)),
    ]
    assert missing_consents(dob=ADULT, today=TODAY, uses_telehealth=False, on_file=on_file) == []


def test_guardian_consent_no_longer_required_once_adult() -> None:
    dob = date(2007, 3, 10)
    assert ConsentKind.GUARDIAN_CONSENT in missing_consents(
        dob=dob, today=date(2025, 3, 9), uses_telehealth=False, on_file=[]
    )
    assert ConsentKind.GUARDIAN_CONSENT not in missing_consents(
        dob=dob, today=date(2025, 3, 10), uses_telehealth=False, on_file=[]
    )


# -- phone -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(404) 892-1234", "+14048921234"),
        ("404-892-1234", "+14048921234"),
        ("404.892.1234", "+14048921234"),
        ("4048921234", "+14048921234"),
        ("1-404-892-1234", "+14048921234"),
        ("+1 404 892 1234", "+14048921234"),
        ("  404 892 1234  ", "+14048921234"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "Enter a phone number"),
        ("   ", "Enter a phone number"),
        ("call me", "does not look like a phone number"),
        ("123", "not valid"),
        ("404-892-123", "not valid"),  # a digit short
        ("404-892-12345", "not valid"),  # a digit too many
        ("(000) 892-1234", "not valid"),  # no such area code
        ("+1 999 999 9999", "not valid"),
    ],
)
def test_invalid_phone_numbers_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_phone(raw)


def test_format_phone_for_people() -> None:
    assert format_phone("+14048921234") == "(404) 892-1234"
    assert format_phone("+442079460958").startswith("+44 20")
    assert format_phone(None) == ""
    assert format_phone("garbage") == "garbage"


# -- e-mail, state, ZIP ----------------------------------------------------------------------------


def test_email() -> None:
    assert validate_email("  Sam.Rivera@Example.COM ") == "sam.rivera@example.com"
    for bad in ("sam", "sam@", "sam@example", "sam rivera@example.com", "@example.com", "sam@example.c"):
        with pytest.raises(ValueError, match="e-mail"):
            validate_email(bad)


def test_state() -> None:
    assert validate_state(" ga ") == "GA"
    assert validate_state("DC") == "DC"
    assert validate_state("PR") == "PR"
    for bad in ("Georgia", "XX", "G", ""):
        with pytest.raises(ValueError, match="two-letter"):
            validate_state(bad)


def test_zip() -> None:
    assert validate_zip("30303") == "30303"
    assert validate_zip(" 30303-1234 ") == "30303-1234"
    for bad in ("3030", "303031", "30303-12", "303O3", "30303 1234"):
        with pytest.raises(ValueError, match="ZIP"):
            validate_zip(bad)


def test_name_key_folds_case_and_punctuation() -> None:
    assert name_key("O'Brien-Smith") == "obriensmith"
    assert name_key("  Mary Ann ") == "maryann"
    assert name_key("José") == "josé"
