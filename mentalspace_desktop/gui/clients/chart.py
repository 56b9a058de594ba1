"""One client's chart: a header that says who this is and what is missing, and tabs for the rest.

Opening a chart is an audited read (``ClientService.open_chart``), run off the UI thread; the page
reloads only when the bridge says this client changed.
"""

from __future__ import annotations

from mentalspace_desktop.domain.clients import ClientStatus
from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.clients.chart_details import DetailsPane, InsurancePane
from mentalspace_desktop.gui.clients.chart_dialogs import RecordConsentDialog, StatusDialog
from mentalspace_desktop.gui.clients.chart_models import IN_FORCE_ROLE, ConsentsModel, TimelineModel
from mentalspace_desktop.gui.clients.common import Badge, format_date, muted
from mentalspace_desktop.gui.clients.edit_dialog import ClientEditDialog
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    Qt,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import empty_state
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.clients import ChartView, ClientService
from mentalspace_desktop.services.session import UserSession

_STATUS_TONES = {"active": "good", "inactive": "muted", "discharged": "muted"}


def _table(parent: QWidget, name: str) -> QTableView:
    view = QTableView(parent)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class ChartPage(QWidget):
    """The chart of one client at a time; ``load`` switches to another."""

    sig_loaded = Signal(str)
    """The chart now shows this client (first load or a refresh)."""
    sig_load_failed = Signal(object)
    """Opening the chart failed: the exception (already shown)."""

    def __init__(
        self, session: UserSession, bridge: EventBridge | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._service = ClientService(session)
        self.view: ChartView | None = None
        self._client_id: str | None = None
        self._seq = 0
        self.edit_dialog: ClientEditDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(self._header())
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Chart sections")
        self.details = DetailsPane(self)
        self.insurance = InsurancePane(self)
        self.tabs.addTab(self.details, "&Details")
        self.tabs.addTab(self.insurance, "&Insurance")
        self.tabs.addTab(self._consents_tab(), "C&onsents")
        # imported here: the charting screens use this package's small widgets (no import cycle)
        from mentalspace_desktop.gui.charting.chart_pane import ClinicalPane, header_summary

        self.clinical = ClinicalPane(session, bridge, self)  # notes, diagnoses, plans, documents
        self.clinical.sig_loaded.connect(lambda chart: self.clinical_label.setText(header_summary(chart)))
        self.tabs.insertTab(1, self.clinical, "C&linical")
        self.timeline_model = TimelineModel(self)
        self.timeline_view = _table(self, "Timeline")
        self.timeline_view.setModel(self.timeline_model)
        empty_state(self.timeline_view, "Nothing recorded for this client yet.")
        self.tabs.addTab(self.timeline_view, "&Timeline")
        self.appointments = None
        if allows_any(session.actor.role, Resource.SCHEDULE, Action.READ):
            from mentalspace_desktop.gui.calendar.client_appointments import ClientAppointmentsPane

            self.appointments = ClientAppointmentsPane(session, bridge, self)
            self.tabs.addTab(self.appointments, "&Appointments")
        from mentalspace_desktop.gui.reminders.client_pane import ClientRemindersPane

        self.reminders = ClientRemindersPane(session, bridge, self)  # consent per channel, history
        self.tabs.addTab(self.reminders, "Re&minders")
        layout.addWidget(self.tabs, 1)
        if bridge is not None:
            bridge.sig_client_did_change.connect(self._client_did_change)

    # -- building ----------------------------------------------------------------------------

    def _header(self) -> QVBoxLayout:
        self.name_label = QLabel(self)
        self.name_label.setObjectName("chartName")
        self.name_label.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("chartMeta")
        muted(self.meta_label)
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_badge = Badge("badgeStatus", self)
        self.minor_badge = Badge("badgeMinor", self)
        self.minor_badge.show_text("Minor", "info")
        self.minor_badge.setToolTip("Under 18: a parent or guardian consents to care.")
        self.minor_badge.hide()
        self.consent_badge = Badge("badgeMissingConsents", self)
        self.consent_badge.set_tone("danger")
        self.consent_badge.setToolTip("Consents required before care that are not on file or not in force.")
        self.consent_badge.hide()

        self.edit_button = QPushButton("&Edit…", self)
        self.edit_button.setAccessibleName("Edit client details")
        self.status_button = QPushButton("Change &status…", self)
        self.status_button.setAccessibleName("Change status")
        self.edit_button.clicked.connect(self.edit)
        self.status_button.clicked.connect(self.change_status)

        title_row = QHBoxLayout()
        title_row.addWidget(self.name_label)
        title_row.addWidget(self.status_badge)
        title_row.addWidget(self.minor_badge)
        title_row.addStretch(1)
        title_row.addWidget(self.edit_button)
        title_row.addWidget(self.status_button)
        header = QVBoxLayout()
        header.setSpacing(4)
        header.addLayout(title_row)
        header.addWidget(self.meta_label)
        self.clinical_label = QLabel(self)
        self.clinical_label.setObjectName("chartClinical")
        self.clinical_label.setAccessibleName("Diagnoses, plan review and safety plan")
        self.clinical_label.setWordWrap(True)
        header.addWidget(self.clinical_label)
        header.addWidget(self.consent_badge, 0, Qt.AlignmentFlag.AlignLeft)
        return header

    def _consents_tab(self) -> QWidget:
        tab = QWidget(self)
        self.consents_model = ConsentsModel(tab, today=self._service.today)
        self.consents_view = _table(tab, "Consents on file")
        self.consents_view.setModel(self.consents_model)
        empty_state(self.consents_view, "No consents on file.")
        self.missing_note = QLabel(tab)
        self.missing_note.setObjectName("missingConsentsNote")
        self.missing_note.setWordWrap(True)
        self.missing_note.setProperty("role", "danger")  # the theme's readable red, light and dark
        self.record_button = QPushButton("&Record consent…", tab)
        self.revoke_button = QPushButton("Re&voke", tab)
        self.revoke_button.setAccessibleName("Revoke selected consent")
        self.revoke_button.setEnabled(False)
        self.record_button.clicked.connect(self.record_consent)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.consents_view.selectionModel().selectionChanged.connect(lambda *_: self._update_revoke())
        self.consents_model.modelReset.connect(self._update_revoke)
        buttons = QHBoxLayout()
        buttons.addWidget(self.missing_note, 1)
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.revoke_button)
        layout = QVBoxLayout(tab)
        layout.addLayout(buttons)
        layout.addWidget(self.consents_view, 1)
        return tab

    # -- loading -----------------------------------------------------------------------------

    @property
    def client_id(self) -> str | None:
        return self._client_id

    def load(self, client_id: str) -> None:
        """Open ``client_id``'s chart (an audited read, off the UI thread)."""
        self._client_id = client_id
        self.clinical.load(client_id)  # alongside, not after: each part shows when it is read
        self._seq += 1
        seq, service = self._seq, self._service
        run_in_background(
            self,
            lambda: service.open_chart(client_id),
            on_done=lambda view: self._loaded(seq, view),
            on_error=lambda exc: self._failed(seq, exc),
        )

    def reload(self) -> None:
        if self._client_id is not None:
            self.load(self._client_id)

    def show_section(self, section: str | None) -> None:
        """Bring forward the part of the chart that fixes something an alert or a data-quality finding
        points at: "details", "consents", "plans" (the treatment plan opens) or "appointments"."""
        if section == "details":
            self.tabs.setCurrentWidget(self.details)
        elif section == "consents":
            self.tabs.setCurrentIndex(next(i for i in range(self.tabs.count()) if self.tabs.widget(i)
                                           is self.consents_view.parentWidget()))
        elif section == "plans":
            self.tabs.setCurrentWidget(self.clinical)
            self.clinical.open_treatment_plan()
        elif section == "appointments" and self.appointments is not None:
            self.tabs.setCurrentWidget(self.appointments)

    def _client_did_change(self, client_id: str, _created: bool) -> None:
        if client_id == self._client_id:
            self.reload()

    def _failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._seq:
            return
        show_error(self, exc)
        self.sig_load_failed.emit(exc)

    def _loaded(self, seq: int, view: ChartView) -> None:
        if seq != self._seq:
            return  # another chart was asked for meanwhile
        self.view = view
        c = view.client
        preferred = f" ({c.preferred_name})" if c.preferred_name and c.preferred_name != c.first_name else ""
        self.name_label.setText(f"{c.first_name}{preferred} {c.last_name}")
        pronouns = f" · {c.pronouns}" if c.pronouns else ""
        clinician = view.clinician_name or "No primary clinician"
        self.meta_label.setText(
            f"Chart {c.chart_number} · Age {view.age} · DOB {format_date(c.dob)}{pronouns}"
            f" · Clinician: {clinician}"
        )
        status = c.status
        status_text = ClientStatus(status).value.title()
        if status == ClientStatus.DISCHARGED and c.discharged_on:
            status_text += f" {format_date(c.discharged_on)}"
        self.status_badge.show_text(status_text, _STATUS_TONES.get(status, "muted"))
        self.minor_badge.setVisible(view.is_minor)
        missing = ", ".join(k.label for k in view.missing_consents)
        self.consent_badge.show_text(f"⚠ Missing consent: {missing}" if missing else "")
        self.missing_note.setText(f"Not on file or not in force: {missing}." if missing else "")
        self.details.show_view(view)
        self.clinical.client_name = f"{c.first_name} {c.last_name}"
        self.insurance.show_view(view)
        self.consents_model.set_consents(c.consents)
        self.timeline_model.set_rows(view.timeline)
        if self.appointments is not None:
            self.appointments.show_client(c.id)
        self.reminders.show_client(c.id, can_edit=view.can_edit)
        for w in (self.edit_button, self.status_button, self.record_button, self.revoke_button):
            w.setVisible(view.can_edit)
        self.sig_loaded.emit(c.id)

    # -- actions -----------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return (
            self.edit_dialog is not None
            and self.edit_dialog.isVisible()
            and self.edit_dialog.has_unsaved_changes()
        )

    def edit(self) -> ClientEditDialog | None:
        if self.view is None or not self.view.can_edit:
            return None
        dialog = ClientEditDialog(self._session, self.view.client, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def change_status(self) -> StatusDialog | None:
        if self.view is None or not self.view.can_edit:
            return None
        dialog = StatusDialog(self._session, self.view.client.id, self.view.client.status, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def record_consent(self) -> RecordConsentDialog | None:
        if self.view is None or not self.view.can_edit:
            return None
        first_missing = self.view.missing_consents[0] if self.view.missing_consents else None
        dialog = RecordConsentDialog(self._session, self.view.client.id, kind=first_missing, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _selected_consent_row(self) -> int:
        index = self.consents_view.currentIndex()
        rows = self.consents_view.selectionModel().selectedRows()
        return rows[0].row() if rows else (index.row() if index.isValid() else -1)

    def _update_revoke(self) -> None:
        row = self._selected_consent_row()
        in_force = row >= 0 and bool(
            self.consents_model.data(self.consents_model.index(row, 0), IN_FORCE_ROLE)
        )
        self.revoke_button.setEnabled(in_force)

    def confirm_revoke(self, label: str) -> bool:
        """Ask before revoking. Tests replace this to answer without a modal box."""
        answer = QMessageBox.question(
            self,
            "Revoke consent?",
            f"Record that the {label.lower()} is revoked today?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def revoke_selected(self) -> None:
        row = self._selected_consent_row()
        if row < 0:
            return
        label = str(self.consents_model.data(self.consents_model.index(row, 0)))
        if not self.confirm_revoke(label):
            return
        consent_id, service = self.consents_model.consent_id(row), self._service
        run_in_background(self, lambda: service.revoke_consent(consent_id))
