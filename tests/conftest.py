"""Shared fixtures: a real encrypted practice store on disk with one user of every role."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.factories import (  # noqa: E402
    PracticeFixture,
    PracticeTemplate,
    build_practice_template,
    practice_from_template,
)

pytest_plugins = [
    "tests.support.smtp_server",  # the `smtp_server` fixture: real SMTP on loopback
    "tests.support.fake_twilio",  # the `fake_twilio` fixture: a Twilio-speaking HTTP server on loopback
]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def practice_template(tmp_path_factory: pytest.TempPathFactory) -> PracticeTemplate:
    """The practice below, built once per test run; each test gets its own copy of the files."""
    return build_practice_template(tmp_path_factory.mktemp("practice-template") / "store")


@pytest.fixture
def practice(tmp_path: Path, practice_template: PracticeTemplate) -> PracticeFixture:
    """A practice with admin, supervisor, two clinicians (one supervised), billing and front desk."""
    fixture = practice_from_template(practice_template, tmp_path / "store")
    yield fixture
    fixture.close()
