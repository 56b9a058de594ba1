"""The synced tables are listed parents first: the hub imports a solo store and logs a reassigned
client's rows in this order, and a pulling workstation applies pages in log order, so a child row (a
note naming its appointment, a body naming its note) never arrives before the row it points at."""

from __future__ import annotations

from mentalspace_desktop.store.schema import metadata
from mentalspace_desktop.sync.tables import TABLES


def test_every_foreign_key_points_at_an_earlier_table() -> None:
    order = list(TABLES)
    late = []
    for position, name in enumerate(order):
        table = metadata.tables.get(name)
        assert table is not None, f"{name} is synced but has no table"
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in TABLES and parent != name and order.index(parent) > position:
                late.append(f"{name}.{fk.parent.name} -> {parent}")
    assert late == []


def test_a_note_comes_after_its_appointment() -> None:
    order = list(TABLES)
    assert order.index("appointments") < order.index("notes") < order.index("note_bodies")
