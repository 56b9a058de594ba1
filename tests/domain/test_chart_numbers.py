"""Chart numbers: readable, grouped, and any 40-bit value maps to exactly one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.domain.chart_numbers import ALPHABET, BITS, chart_number, normalize_chart_prefix


def test_format() -> None:
    assert chart_number(0) == "MS-0000-0000"
    assert chart_number((1 << BITS) - 1) == "MS-ZZZZ-ZZZZ"
    with pytest.raises(ValueError):
        chart_number(1 << BITS)


@given(st.integers(0, (1 << BITS) - 1), st.integers(0, (1 << BITS) - 1))
def test_distinct_values_give_distinct_numbers(a: int, b: int) -> None:
    assert (chart_number(a) == chart_number(b)) == (a == b)


@given(st.integers(0, (1 << BITS) - 1))
def test_a_number_read_back_as_typed_is_itself(bits: int) -> None:
    number = chart_number(bits)
    assert not set(number[3:].replace("-", "")) - set(ALPHABET)
    assert normalize_chart_prefix(number.lower().replace("-", "")) in (number, None)
    assert normalize_chart_prefix(number) == number
