"""The pull cursor is opaque to the device: whatever the hub issues must come back unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.sync.protocol import Cursor
from mentalspace_desktop.sync.state import cursor_seq


@given(epoch=st.text(max_size=60), seq=st.integers(min_value=0, max_value=2**63 - 1))
def test_cursor_round_trips(epoch: str, seq: int) -> None:
    cursor = Cursor(epoch, seq)
    text = cursor.encode()
    assert Cursor.decode(text) == cursor
    assert "=" not in text and "/" not in text and "+" not in text  # safe in a query string
    assert cursor_seq(text) == seq


@given(st.text(max_size=40))
def test_anything_else_is_refused_cleanly(text: str) -> None:
    try:
        Cursor.decode(text)
    except ValueError:
        assert cursor_seq(text) == 0


@pytest.mark.parametrize("text", ["", "bm90IGpzb24", "e30", "not a cursor!"])
def test_foreign_strings_are_not_cursors(text: str) -> None:
    with pytest.raises(ValueError):
        Cursor.decode(text)
    assert cursor_seq(text) == 0
