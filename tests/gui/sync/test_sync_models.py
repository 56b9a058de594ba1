"""How the sync tables and the Conflicts page read: what the screen check found cramped or unclear."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mentalspace_desktop.gui.qt import QApplication, Qt
from mentalspace_desktop.gui.sync.conflicts_page import card_titles
from mentalspace_desktop.gui.sync.models import DevicesModel, RunsModel
from mentalspace_desktop.services.conflicts import ConflictView
from mentalspace_desktop.services.sync_status import DeviceView, RunView

pytestmark = pytest.mark.gui
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _run(*, ok: bool, error: str | None = None) -> RunView:
    return RunView("r1", "d1", "u1", NOW, "incremental", 2, 1, 0, 0, 0, 0, 0, 850, ok, error,
                   device_name="Casey's laptop", username="clin")


def test_the_result_comes_before_the_counts_and_people_by_name(qapp: QApplication) -> None:
    """At 1280 px the result was scrolled out of sight behind seven counts: it now comes first."""
    log = RunsModel(with_device=True)
    log.names = {"clin": "Casey Clinician"}
    log.set_rows([_run(ok=False, error="The hub cannot be reached.")])
    assert log.headers[:4] == ("Time", "Workstation", "User", "Result")
    row = [log.index(0, c).data() for c in range(log.columnCount())]
    assert row[1:4] == ["Casey's laptop", "Casey Clinician", "The hub cannot be reached."]
    assert log.index(0, 3).data(Qt.ItemDataRole.ForegroundRole) is not None  # a failure is coloured
    assert log.index(0, 4).data(Qt.ItemDataRole.ForegroundRole) is None
    assert log.index(0, 4).data(Qt.ItemDataRole.TextAlignmentRole) is not None  # counts align right
    # The hub's log of every device leaves the rarely read counts to the result's tooltip (1280 px).
    assert "Unchanged" not in log.headers and log.headers[-1] == "Duration"
    tip = log.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("The hub cannot be reached.") and "0 unchanged, 0 dropped" in tip
    own = RunsModel()
    own.set_rows([_run(ok=True)])
    assert "Unchanged" in own.headers and "Dropped" in own.headers
    assert own.headers[:2] == ("Time", "Result") and own.index(0, 1).data() == "OK"
    assert own.index(0, own.columnCount() - 1).data() == "850 ms"


def test_devices_name_people_and_keep_the_device_id_in_a_tooltip(qapp: QApplication) -> None:
    model = DevicesModel(this_device="d0")
    model.names = {"desk": "Dana Desk", "clin": "Casey Clinician"}
    device = DeviceView("d1", "Reception tablet", "u3", "desk", "pending", NOW, "0.1.0", NOW, None,
                        staff=("desk", "gone"))
    model.set_rows([device])
    assert "Device id" not in model.headers
    status = model.headers.index("Status")
    assert model.index(0, status).data() == "Waiting for approval"
    assert model.index(0, status).data(Qt.ItemDataRole.ForegroundRole) is not None  # the status, not the staff
    assert model.index(0, model.headers.index("Staff")).data() == "Dana Desk, gone"
    assert model.index(0, model.headers.index("Enrolled by")).data() == "Dana Desk"
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Reception tablet\nDevice id: d1"


def _conflict(author: str | None, other: str | None) -> ConflictView:
    return ConflictView("c1", "clients", "k1", "k1", "city", "Macon", "Augusta", "device", "", author, other,
                        NOW, False, "Okafor, Sam")


def test_conflict_values_are_named_by_who_wrote_them_on_any_workstation() -> None:
    """On the front desk, the laptop's value is not "the value on this workstation"."""
    assert card_titles(_conflict("Casey Clinician", "Avery Admin"), "Avery Admin") == (
        "Casey Clinician's value", "Your value")
    assert card_titles(_conflict("Casey Clinician", "Avery Admin"), "Dana Desk") == (
        "Casey Clinician's value", "Avery Admin's value")
    assert card_titles(_conflict("Avery Admin", "Avery Admin"), "Avery Admin") == (
        "Value from one workstation", "Value from the other workstation")
    assert card_titles(_conflict(None, "Avery Admin"), "Avery Admin")[0] == "Value from one workstation"
