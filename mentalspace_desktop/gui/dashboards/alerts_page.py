"""The Alerts screen: the alerts a person may see, filtered, acknowledged and resolved from the keyboard.

Each alert opens the screen that fixes it (Enter or double-click): the unsigned note, the client's
consents or treatment plan, the clinician's dashboard for an escalation. Acknowledge (Alt+K) says
"seen"; Resolve (Alt+R) closes it with a word on what was done — if the condition still holds, the
next run opens it again. Loading and actions run off the UI thread (services/alerts.py).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.widgets import record_table
from mentalspace_desktop.gui.localtime import format_datetime, format_relative
from mentalspace_desktop.gui.qt import (
    QColor,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets.forms import MessageLabel, empty_state, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services import alerts, metrics
from mentalspace_desktop.services.alerts import SEVERITY_LABELS, AlertView
from mentalspace_desktop.services.session import UserSession

SEVERITY_TONES = {Severity.CRITICAL: "danger", Severity.WARNING: "warning", Severity.INFO: "info"}
# "Open" is everything not resolved yet: new and acknowledged alike.
STATE_CHOICES = (("Open", ("open", "acknowledged")), ("New", ("open",)), ("Acknowledged", ("acknowledged",)),
                 ("Resolved", ("resolved",)), ("Any state", ("open", "acknowledged", "resolved")))
STATE_WORDS = {"open": "New", "acknowledged": "Acknowledged", "resolved": "Resolved"}
AUDIENCE_WORDS = {"clinician": "", "supervisor": "for the supervisor", "administrator": "for the administrator"}


def _now() -> datetime:
    return datetime.now().astimezone()


def opens_to(alert: AlertView, role: Role) -> str | None:
    """What Enter on this alert opens, in words for the hint and the button; None: nothing here."""
    if alert.record_type == "note":
        return "Open the note"
    if alert.record_type == "client":
        return {"consents": "Open the client's consents", "plans": "Open the treatment plan"}.get(
            alert.section or "", "Open the client's chart")
    if alert.record_type == "clinician" and role in (Role.SUPERVISOR, Role.ADMIN):
        return "Open the clinician's dashboard"
    if alert.record_type == "compliance" and role is Role.ADMIN:
        return "Open the practice overview"
    if alert.record_type == "user" and role is Role.ADMIN:
        return "Open Users (record the training)"
    return None


class AlertsModel(RowsModel[AlertView]):
    headers = ("Severity", "Alert", "Clinician", "Opened", "State")

    def cell(self, row: AlertView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                return SEVERITY_LABELS[row.severity]
            if column == 1:
                return row.heading
            if column == 2:
                return row.clinician
            if column == 3:
                return format_relative(row.opened_at)
            return STATE_WORDS[row.state]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:  # a swatch: the word carries the meaning
            return QColor(tone(SEVERITY_TONES[row.severity]))
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.detail or None
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None


class AlertsPage(QWidget):
    """Every alert this person may see, with filters; actions on the selected one."""

    sig_open_note = Signal(str)
    """Open this note."""
    sig_open_client = Signal(str, str)
    """Open this client's chart at a section (consents, plans, details; empty: the chart)."""
    sig_open_clinician = Signal(str)
    """Open this clinician's dashboard (an escalation about them)."""
    sig_open_overview = Signal()
    """Open the practice overview (an escalation about the whole practice)."""
    sig_open_users = Signal()
    """Open the Users screen (HIPAA training is recorded there)."""
    sig_loaded = Signal()
    """The list on screen is the latest."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._loading: Task | None = None
        self._open_after_load: str | None = None
        self._build()
        bridge.sig_alerts_did_change.connect(self.reload)
        self.reload()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 16)
        outer.setSpacing(10)
        role = self.session.actor.role
        team = role in (Role.SUPERVISOR, Role.ADMIN)
        whose = {Role.ADMIN: ", across the practice.", Role.SUPERVISOR: ": yours and your team's."}.get(role, ".")
        outer.addWidget(page_header(
            "Alerts", "Unsigned notes, consents, plans and numbers past their thresholds" + whose))
        filters = QHBoxLayout()
        self.severity_box = self._combo("&Severity", filters, [("Any severity", None)] + [
            (SEVERITY_LABELS[s], s.value) for s in (Severity.CRITICAL, Severity.WARNING, Severity.INFO)])
        self.type_box = self._combo("&Type", filters, [("Any type", None)] + sorted(
            ((label, key) for key, label in alerts.type_labels().items()), key=lambda x: x[0]))
        self.state_box = self._combo("St&ate", filters, list(STATE_CHOICES))
        self.clinician_box: QComboBox | None = None
        if team:
            people = [(c.full_name, c.id) for c in metrics.measurable_clinicians(self.session)]
            self.clinician_box = self._combo("&Clinician", filters, [("Everyone", None)] + people)
        filters.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Refresh the alerts")
        self.refresh_button.clicked.connect(self.reload)
        outer.addLayout(filters)
        self.message = MessageLabel()
        outer.addWidget(self.message)

        self.model = AlertsModel(self)
        self.table = record_table("Alerts", self.model, stretch=1)
        self.table.activated.connect(lambda _i: self.open_selected())
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self.empty = empty_state(self.table, "No alerts match. Nothing needs your attention here.")
        outer.addWidget(self.table, 1)

        self.detail = QLabel("")
        self.detail.setObjectName("alertDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setMinimumHeight(84)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        outer.addWidget(self.detail)
        actions = QHBoxLayout()
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the record that fixes this alert")
        self.ack_button = QPushButton("Ac&knowledge")
        self.ack_button.setToolTip("Say you have seen it (Alt+K). It stays open until it clears or is resolved.")
        self.resolve_button = QPushButton("&Resolve…")
        self.resolve_button.setToolTip("Close it with a word on what was done (Alt+R).")
        self.open_button.clicked.connect(self.open_selected)
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.hint = QLabel("Enter opens the record that fixes the selected alert · Alt+K acknowledges · "
                           "Alt+R resolves")
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        actions.addWidget(self.hint, 1)
        for b in (self.refresh_button, self.open_button, self.ack_button, self.resolve_button):
            actions.addWidget(b)
        outer.addLayout(actions)
        self.setFocusProxy(self.table)
        self._show_selected()

    def _combo(self, label: str, row: QHBoxLayout, items: list[tuple[str, Any]]) -> QComboBox:
        caption = QLabel(label)
        box = QComboBox()
        box.setAccessibleName(label.replace("&", ""))
        # Sized to a short entry, not the longest: the row must fit a 1280-pixel window with the menu.
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(8)
        caption.setBuddy(box)
        for text, data in items:
            box.addItem(text, data)
        box.currentIndexChanged.connect(lambda _i: self.reload())
        row.addWidget(caption)
        row.addWidget(box)
        return box

    # -- filters and loading ---------------------------------------------------------------------

    def set_filters(self, *, clinician_id: str | None = None) -> None:
        """Show one clinician's open alerts (from a dashboard's alert panel), or everyone's."""
        for box, value in ((self.clinician_box, clinician_id), (self.state_box, STATE_CHOICES[0][1])):
            if box is not None:
                box.blockSignals(True)
                box.setCurrentIndex(max(0, box.findData(value)))
                box.blockSignals(False)
        self.reload()

    def reload(self) -> Task:
        session = self.session
        chosen, alert_type = self.severity_box.currentData(), self.type_box.currentData()
        severity = Severity(chosen) if chosen else None
        states = self.state_box.currentData()
        clinician = self.clinician_box.currentData() if self.clinician_box is not None else None
        self.refresh_button.setEnabled(False)
        self._loading = run_in_background(
            self, lambda: alerts.list_alerts(session, states=states, severity=severity, alert_type=alert_type,
                                             clinician_id=clinician),
            on_done=self._loaded, on_error=self._failed)
        return self._loading

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.message.show_exception(exc)

    def open_when_loaded(self, alert_id: str) -> None:
        """Select this alert once the list (being loaded) arrives, and open what fixes it."""
        self._open_after_load = alert_id

    def _loaded(self, rows: list[AlertView]) -> None:
        self.refresh_button.setEnabled(True)
        self.message.clear_message()
        wanted, self._open_after_load = self._open_after_load, None
        previous = self.selected()
        self.model.set_rows(rows)
        keep = wanted or (previous.id if previous else None)
        index = self.model.row_of(keep) if keep else -1
        if index < 0 and rows:
            index = 0
        if index >= 0:
            self.table.selectRow(index)
        self._show_selected()
        self.sig_loaded.emit()
        if wanted is not None and index >= 0 and self.model.row(index).id == wanted:
            self.open_selected()

    # -- the selected alert ----------------------------------------------------------------------

    def selected(self) -> AlertView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.row(rows[0].row()) if rows else None

    def _show_selected(self) -> None:
        alert = self.selected()
        target = opens_to(alert, self.session.actor.role) if alert else None
        self.open_button.setEnabled(target is not None)
        self.open_button.setToolTip(target or "Nothing to open here for this alert")
        open_now = alert is not None and alert.state != "resolved"
        self.ack_button.setEnabled(open_now and alert is not None and alert.state == "open")
        self.resolve_button.setEnabled(open_now)
        if alert is None:
            self.detail.setText("")
            return
        colour = tone(SEVERITY_TONES[alert.severity])
        lines = [f"<b style='color:{colour}'>{SEVERITY_LABELS[alert.severity]}</b> · "
                 f"{escape(alert.type_label)} {escape(AUDIENCE_WORDS.get(alert.audience, ''))}",
                 f"<b>{escape(alert.heading)}</b>", escape(alert.detail),
                 f"Opened {format_datetime(alert.opened_at)}"]
        if alert.acknowledged_at:
            lines[-1] += f" · acknowledged by {escape(alert.acknowledged_by or '?')} " \
                         f"{format_datetime(alert.acknowledged_at)}"
        if alert.resolved_at:
            by = escape(alert.resolved_by) if alert.resolved_by else "itself (the condition cleared)"
            lines[-1] += f" · resolved by {by} {format_datetime(alert.resolved_at)}"
            if alert.resolved_by and alert.resolution:
                lines.append(f"“{escape(alert.resolution)}”")
        if target:
            lines.append(f"<i>{escape(target)}: Enter or double-click.</i>")
        self.detail.setText("<br>".join(lines))

    def open_selected(self) -> None:
        alert = self.selected()
        if alert is None or opens_to(alert, self.session.actor.role) is None:
            return
        if alert.record_type == "note" and alert.record_id:
            self.sig_open_note.emit(alert.record_id)
        elif alert.record_type == "client" and alert.record_id:
            self.sig_open_client.emit(alert.record_id, alert.section or "")
        elif alert.record_type == "clinician" and alert.record_id:
            self.sig_open_clinician.emit(alert.record_id)
        elif alert.record_type == "compliance":
            self.sig_open_overview.emit()
        elif alert.record_type == "user":
            self.sig_open_users.emit()

    def _acted(self, _view: AlertView) -> None:
        self.reload()

    def acknowledge_selected(self) -> Task | None:
        alert = self.selected()
        if alert is None or alert.state != "open":
            return None
        session, now = self.session, _now()
        return run_in_background(self, lambda: alerts.acknowledge(session, alert.id, now=now),
                                 on_done=self._acted, on_error=self.message.show_exception)

    def resolve_selected(self, note: str | None = None) -> Task | QInputDialog | None:
        """Resolve the selected alert, asking what was done; ``note`` given skips asking (tests, tools)."""
        alert = self.selected()
        if alert is None or alert.state == "resolved":
            return None
        if note is not None:
            return self._resolve(alert.id, note)
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Resolve alert")
        dialog.setLabelText(f"{alert.title}\n\nWhat was done? (optional; if the problem is still there, "
                            "the alert comes back at the next check)")
        dialog.setOkButtonText("Resolve")
        dialog.textValueSelected.connect(lambda text: self._resolve(alert.id, text))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _resolve(self, alert_id: str, note: str) -> Task:
        session, now = self.session, _now()
        return run_in_background(self, lambda: alerts.resolve(session, alert_id, now=now, note=note),
                                 on_done=self._acted, on_error=self.message.show_exception)
