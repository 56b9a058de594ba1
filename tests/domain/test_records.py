"""``record``: a frozen dataclass made from its complete field values is the instance its constructor
makes — equal, frozen, copied by ``replace`` — and ``fields_of`` names what it must be given."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import cached_property

import pytest

from mentalspace_desktop.domain.records import fields_of, record


@dataclasses.dataclass(frozen=True)
class Visit:
    id: str
    start: datetime
    client: str = ""
    minutes: int = 50

    @cached_property
    def label(self) -> str:
        return f"{self.client} {self.start:%H:%M}"


def test_a_record_is_the_constructors_instance() -> None:
    at = datetime(2026, 3, 9, 10)
    made = record(Visit, {"id": "v1", "start": at, "client": "Rivera, Ana", "minutes": 30})
    built = Visit("v1", at, "Rivera, Ana", 30)
    assert made == built and repr(made) == repr(built) and hash(made) == hash(built)
    assert type(made) is Visit and made.label == "Rivera, Ana 10:00"
    assert dataclasses.replace(made, minutes=50) == Visit("v1", at, "Rivera, Ana")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.minutes = 60  # type: ignore[misc]


def test_fields_of_names_every_field() -> None:
    assert fields_of(Visit) == {"id", "start", "client", "minutes"}
