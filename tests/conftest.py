"""Shared fixtures: a real encrypted practice store on disk with one user of every role."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.factories import PracticeFixture, make_practice  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def practice(tmp_path: Path) -> PracticeFixture:
    """A practice with admin, supervisor, two clinicians (one supervised), billing and front desk."""
    fixture = make_practice(tmp_path / "store")
    yield fixture
    fixture.close()
