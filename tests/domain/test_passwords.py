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
    assert problem("abcdabcdabcd") is None


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
