"""The client screens' item models hold up under pytest-qt's model tester, and stale searches are dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.gui.clients.chart_models import IN_FORCE_ROLE, ConsentsModel, TimelineModel
from mentalspace_desktop.gui.clients.search_model import CLIENT_ID_ROLE, ClientResultsModel, SearchController
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services.clients import ClientService, ClientSummary, TimelineItem
from mentalspace_desktop.store.models import Consent
from tests.factories import PracticeFixture
from tests.gui.clients.helpers import WAIT_MS

TODAY = date(2025, 6, 1)


def _summary(i: int, status: str = "active") -> ClientSummary:
    return ClientSummary(
        f"id-{i}",
        f"MS-{1000 + i}",
        f"Smith, Jo{i}",
        date(1988, 3, 14),
        "(404) 555-0142",
        status,
        "Casey Clinician" if i % 2 else None,
    )


def test_results_model_passes_model_tester(qtmodeltester) -> None:
    model = ClientResultsModel(today=lambda: TODAY)
    qtmodeltester.check(model)
    model.set_results([_summary(i, "discharged" if i == 2 else "active") for i in range(4)])
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    assert model.index(0, 1).data() == "03/14/1988 (37)"
    assert model.index(1, 5).data() == "Casey Clinician"
    assert model.index(0, 5).data() == "Unassigned"
    assert model.index(2, 4).data() == "Discharged"
    assert model.index(3, 0).data(CLIENT_ID_ROLE) == "id-3"
    assert model.row_of("id-2") == 2
    model.clear()
    qtmodeltester.check(model)


def test_consents_model_passes_model_tester(qtmodeltester) -> None:
    model = ConsentsModel(today=lambda: TODAY)
    qtmodeltester.check(model)
    model.set_consents(
        [
            Consent(
                id="a", kind=ConsentKind.INFORMED_CONSENT.value, signed_on=date(2024, 1, 2), deleted=False
            ),
            Consent(
                id="b",
                kind=ConsentKind.RELEASE_OF_INFORMATION.value,
                signed_on=date(2024, 5, 1),
                expires_on=date(2025, 1, 1),
                recipient="Dr. Lee",
                deleted=False,
            ),
            Consent(
                id="c",
                kind=ConsentKind.TELEHEALTH_CONSENT.value,
                signed_on=date(2024, 3, 1),
                revoked_on=date(2025, 2, 1),
                deleted=False,
            ),
            Consent(
                id="d", kind=ConsentKind.GUARDIAN_CONSENT.value, signed_on=date(2024, 3, 1), deleted=True
            ),
        ]
    )
    qtmodeltester.check(model)
    assert model.rowCount() == 3  # the tombstoned one is not shown
    rows = {model.index(r, 0).data(): r for r in range(3)}
    release = rows["Release of information"]
    assert model.index(release, 6).data() == "Expired"
    assert model.index(release, 4).data() == "Dr. Lee"
    assert model.index(rows["Telehealth consent"], 6).data() == "Revoked"
    assert model.index(rows["Informed consent"], 6).data() == "In force"
    assert model.index(rows["Informed consent"], 2).data() == "No expiry"
    assert model.index(rows["Informed consent"], 0).data(IN_FORCE_ROLE) is True
    assert model.index(release, 0).data(IN_FORCE_ROLE) is False


def test_timeline_model_passes_model_tester(qtmodeltester) -> None:
    model = TimelineModel()
    qtmodeltester.check(model)
    model.set_rows(
        [
            TimelineItem(
                datetime(2025, 5, 1, 14, 30, tzinfo=UTC), "desk", "Registered", "Registered as MS-1001"
            )
        ]
    )
    qtmodeltester.check(model)
    assert [model.index(0, c).data() for c in (1, 2, 3)] == ["desk", "Registered", "Registered as MS-1001"]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "When"


def test_controller_keeps_only_the_latest_answer(qtbot, practice: PracticeFixture) -> None:
    practice.add_client(last="Smith", first="Jordan")
    practice.add_client(last="Nguyen", first="Linh")
    model = ClientResultsModel()
    controller = SearchController(ClientService(practice.admin), model)
    answered: list[str] = []
    controller.sig_results_ready.connect(answered.append)
    controller.set_text("smi")
    controller.refresh()  # a search is now running for "smi" ...
    with qtbot.waitSignal(controller.sig_results_ready, timeout=WAIT_MS):
        controller.set_text("ngu")  # ... and is overtaken before it answers
    qtbot.waitUntil(lambda: not controller.pending, timeout=WAIT_MS)
    assert answered == ["ngu"]
    assert [model.summary(r).display_name for r in range(model.rowCount())] == ["Nguyen, Linh"]
