"""Password policy: long enough, and not a common password in disguise."""

from __future__ import annotations

import re
from collections.abc import Collection

MIN_LENGTH = 12

_TRAILING_NOISE = re.compile(r"[\d\W_]+$")
_LEADING_NOISE = re.compile(r"^[\d\W_]+")


def password_problem(
    password: str, *, common: Collection[str], user_name: str = "", full_name: str = ""
) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable.

    ``common`` holds lower-case common passwords. A password is refused when it is such a password,
    or becomes one once the digits and symbols people tack on either end are stripped
    ("Password2024!" is "password"). It is also refused when it contains the user's own name.
    """
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    lowered = password.lower()
    core = _LEADING_NOISE.sub("", _TRAILING_NOISE.sub("", lowered))
    if lowered in common or (core and core in common) or len(set(lowered)) < 4:
        return "That password is too common or too easy to guess. Choose a longer, unusual one."
    for name in [user_name, *full_name.split()]:
        if len(name) >= 3 and name.lower() in lowered:
            return "The password must not contain your name or user name."
    return None
