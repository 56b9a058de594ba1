"""Password policy: long enough, not a common password in disguise, and hard to guess.

Length and a breached-password list catch the obvious; a real strength estimator (zxcvbn, which
models how cracking tools actually guess: dictionaries, repeats, sequences, keyboard walks, dates and
names) catches what a list cannot, such as ``123412341234``, ``trustno1trustno1`` or the practice's
own name with a year on the end. The reason given names the pattern found, in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from zxcvbn import zxcvbn

MIN_LENGTH = 12
# zxcvbn's score 3 is "safely unguessable: moderate protection from offline slow-hash attacks"
# (about 10^8 guesses or more); the key slots use Argon2id, a slow hash, so this is the bar.
MIN_SCORE = 3
PRODUCT_NAME = "mentalspace"
_ESTIMATED_CHARS = 64  # zxcvbn's time grows with length; a longer password is judged on its start

_TRAILING_NOISE = re.compile(r"[\d\W_]+$")
_LEADING_NOISE = re.compile(r"^[\d\W_]+")
_WORDS = re.compile(r"[^\W_]+")

_PATTERN_REASONS = {
    "repeat": "it repeats a shorter part (like \"abcabc\" or \"12341234\")",
    "sequence": "it contains a run like \"1234\" or \"abcd\"",
    "spatial": "it follows a line of keys on the keyboard (like \"qwerty\" or \"zxcvbn\")",
    "date": "it contains a date or year",
}


def password_problem(
    password: str,
    *,
    common: Collection[str],
    user_name: str = "",
    full_name: str = "",
    practice_name: str = "",
) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable.

    ``common`` holds lower-case common passwords. A password is refused when it is such a password,
    or becomes one once the digits and symbols people tack on either end are stripped
    ("Password2024!" is "password"); when it contains the user's own name or the practice's; and
    when the strength estimator finds it guessable (repeats, sequences, keyboard walks, common words).
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
    practice_words = _words_of(practice_name)
    squashed = "".join(_WORDS.findall(lowered))
    for word in [*practice_words, "".join(practice_words), PRODUCT_NAME]:
        if len(word) >= 4 and word in squashed:
            return "The password must not contain the practice's name or the program's name."
    return strength_problem(password, [user_name, *full_name.split(), *practice_words,
                                       "".join(practice_words), PRODUCT_NAME])


def strength_problem(password: str, context: Collection[str] = ()) -> str | None:
    """zxcvbn's verdict in plain words, or None when the password is hard enough to guess."""
    result: dict[str, Any] = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=[w for w in context if w])
    if int(result["score"]) >= MIN_SCORE:
        return None
    reasons: list[str] = []
    for match in result.get("sequence", []):
        reason = _PATTERN_REASONS.get(str(match.get("pattern")))
        if match.get("pattern") == "dictionary":
            reason = ("it is mostly common words or names" if not match.get("l33t") and not match.get("reversed")
                      else "it is a common word with letters swapped for look-alike symbols or reversed")
        if reason and reason not in reasons:
            reasons.append(reason)
    feedback = result.get("feedback", {})
    warning = str(feedback.get("warning") or "").strip()
    why = "; ".join(reasons) if reasons else (warning.rstrip(".").lower() if warning else "it is short and simple")
    advice = " ".join(str(s) for s in feedback.get("suggestions", [])[:2]) or "Add another word or two."
    return f"That password is too easy to guess: {why}. {advice}"


def _words_of(name: str) -> list[str]:
    return [w for w in _WORDS.findall(name.lower()) if len(w) >= 4]
