"""Chart numbers that any workstation can hand out offline without ever clashing with another's.

A counter shared by the practice would need the hub at every registration; two front desks offline
would both issue MS-1042. Instead a chart number is 40 random bits in Crockford's base-32 — no I, L,
O or U, so it survives being read over the phone — grouped as ``MS-7K3Q-9D2F``. With 100,000 clients
the chance that any two ever share one is about one in two hundred thousand, and the store's unique
constraint catches that rare case locally.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"I": "1", "L": "1", "O": "0"}
BITS = 40


def chart_number(bits: int) -> str:
    """The chart number for a 40-bit value."""
    if not 0 <= bits < 1 << BITS:
        raise ValueError("a chart number takes 40 bits")
    chars = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(BITS - 5, -1, -5))
    return f"MS-{chars[:4]}-{chars[4:]}"


def normalize_chart_prefix(text: str) -> str | None:
    """What someone typed ("ms-7k3q", "MS7K3Q9D", "ms-7k3q-9d2f") as a chart-number prefix, or None.

    The body must start with a digit unless the "MS-" hyphen is typed, so "msmith" stays a name.
    """
    upper = text.strip().upper()
    if not upper.startswith("MS"):
        return None
    rest = upper[2:]
    hyphen = rest.startswith("-")
    body = "".join(_READ_AS.get(ch, ch) for ch in rest.replace("-", ""))
    if not body or len(body) > 8 or any(ch not in ALPHABET for ch in body):
        return None
    if not hyphen and not body[0].isdigit():
        return None
    return "MS-" + body[:4] + ("-" + body[4:] if len(body) > 4 else "")
