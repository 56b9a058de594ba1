"""Password policy: at least 12 characters, not a common password in disguise, not the user's name."""

from __future__ import annotations

import pytest

from mentalspace_desktop.domain.passwords import MIN_LENGTH, password_problem
from mentalspace_desktop.resources import common_passwords

COMMON = frozenset({"password", "letmein", "sunshine", "qwertyuiop", "iloveyou", "welcome"})


def problem(password: str, **names: str) -> str | None:
    return password_problem(password, common=COMMON, **names)


def test_minimum_length_is_twelve() -> None:
    assert MIN_LENGTH == 12
    assert "at least 12" in (problem("Kx7#mQ2!vL9") or "")  # 11 characters
    assert problem("Kx7#mQ2!vL9z") is None  # 12 characters


@pytest.mark.parametrize(
    "password",
    [
        "Password2024!",
        "password2024",
        "!!Password2024",
        "2024Password!!",
        "LetMeIn123456",
        "Sunshine!!!!!!",
        "QWERTYUIOP1234",
        "12345welcome!",
    ],
)
def test_common_password_with_digits_and_symbols_tacked_on_is_refused(password: str) -> None:
    assert "too common" in (problem(password) or "")


def test_common_password_itself_is_refused_when_long_enough() -> None:
    assert problem("qwertyuiop12") is not None
    assert problem("QwertyUiop") is not None  # too short as well; refused either way


def test_too_few_distinct_characters_is_refused() -> None:
    assert "too common" in (problem("aaaaaaaaaaaaaaaa") or "")
    assert "too common" in (problem("abababababab") or "")
    assert problem("abcdabcdabcd") is not None  # four distinct letters, but a repeat: the estimator refuses it


def test_a_long_unusual_password_is_accepted() -> None:
    assert problem("Blue-Heron-Lantern-42") is None
    assert problem("correct horse battery staple") is None


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Casey-Orchard-Lantern-9", {"full_name": "Casey Clinician"}),
        ("lantern-CLINICIAN-orchard", {"full_name": "Casey Clinician"}),
        ("Orchard-cclin-Lantern-99", {"user_name": "cclin"}),
    ],
)
def test_password_containing_the_users_name_is_refused(password: str, names: dict[str, str]) -> None:
    assert "your name" in (problem(password, **names) or "")


def test_short_name_parts_do_not_refuse_everything() -> None:
    # Two-letter name parts ("Jo", "Li") would match far too many passwords.
    assert problem("Jolly-Lighthouse-Keeper", full_name="Jo Li") is None


def test_shipped_common_list_catches_the_classic_year_and_bang_pattern() -> None:
    common = common_passwords()
    assert "password" in common
    assert password_problem("Password2024!", common=common) is not None
    assert password_problem("Sunshine2023!!", common=common) is not None
    assert password_problem("Blue-Heron-Lantern-42", common=common) is None


# -- the strength estimator (zxcvbn): what a list of breached passwords cannot catch ---------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("123412341234", "repeats a shorter part"),
        ("trustno1trustno1", "repeats a shorter part"),
        ("abcdefghijkl", "run like"),
        ("asdfghjkl;'1", "line of keys on the keyboard"),
        ("correcthorse", "common words"),
        ("P@ssw0rdP@ssw0rd", "repeats"),
    ],
)
def test_guessable_patterns_are_refused_with_the_reason_in_plain_words(password: str, why: str) -> None:
    found = problem(password)
    assert found is not None and found.startswith("That password is too easy to guess: ")
    assert why in found


@pytest.mark.parametrize(
    ("password", "practice"),
    [
        ("MentalSpace2024", ""),  # the program's own name, with a year
        ("mental-space-2024!", ""),
        ("Peachtree-2024-Rocks", "Peachtree Counseling"),
        ("PeachtreeCounseling1", "Peachtree Counseling"),
        ("counseling-peachtree-77", "Peachtree Counseling"),
    ],
)
def test_the_practices_name_and_the_programs_are_refused(password: str, practice: str) -> None:
    assert "practice's name" in (problem(password, practice_name=practice) or "")


@pytest.mark.parametrize(
    "password",
    ["Blue-Heron-Lantern-42", "Kx7#mQ2!vL9z", "Magnolia-Porch-41", "Tybee-Pelican-52", "Juniper-Sparrow-18",
     "Vidalia-Compass-33", "Chattahoochee-Fern-46", "Quiet-Maple-Orchard-17"],
)
def test_strong_passwords_pass_the_estimator(password: str) -> None:
    assert problem(password, practice_name="Peachtree Counseling") is None
