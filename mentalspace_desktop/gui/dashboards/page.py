"""The Dashboard page: "My Practice" for a clinician, "My Team" for a supervisor, "Practice Overview"
for an administrator — one page whose sections follow the dashboard kind.

Numbers load in a worker (services/dashboards.py). When an appointment or note changes, only the
clinicians it concerns are measured again; a click on any figure lists the records behind it.
"""

from __future__ import annotations

from datetime import date, datetime

from mentalspace_desktop.domain.metrics import MetricValue, Period, PeriodKind, Status, period_for
from mentalspace_desktop.domain.roles import DashboardKind
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.alerts_page import AlertsModel
from mentalspace_desktop.gui.dashboards.evidence import ClinicianBreakdownDialog, EvidenceDialog
from mentalspace_desktop.gui.dashboards.goals import GoalsPanel
from mentalspace_desktop.gui.dashboards.widgets import ClinicianTableModel, MetricTile, TrendChart, record_table
from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import is_dark
from mentalspace_desktop.gui.widgets.forms import MessageLabel, empty_state, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services import alerts, dashboards, goals
from mentalspace_desktop.services.alerts import SEVERITY_LABELS, AlertView
from mentalspace_desktop.services.dashboards import Dashboard
from mentalspace_desktop.services.goals import GoalView
from mentalspace_desktop.services.session import UserSession

TITLES = {
    DashboardKind.OWN: ("My Practice", "Your sessions, documentation and clients for the period."),
    DashboardKind.TEAM: ("My Team", "Your supervisees side by side: who is on track, who needs review."),
    DashboardKind.PRACTICE: ("Practice Overview", "The whole practice: scorecard, clinicians, compliance, capacity."),
}
TILES = {
    DashboardKind.OWN: ("kept_visit_rate", "no_show_rate", "cancellation_rate", "confirmation_rate",
                        "unsigned_note_backlog", "same_day_documentation_rate", "rebook_rate", "client_retention_90d",
                        "treatment_plan_currency"),
    DashboardKind.TEAM: ("kept_visit_rate", "no_show_rate", "unsigned_note_backlog", "same_day_documentation_rate",
                         "supervision_note_timeliness", "rebook_rate"),
    DashboardKind.PRACTICE: ("kept_visit_rate", "no_show_rate", "cancellation_rate", "confirmation_rate",
                             "schedule_fill_rate", "prime_time_utilization", "average_lead_time",
                             "same_day_documentation_rate", "unsigned_note_backlog"),
}
COMPLIANCE = ("informed_consent_currency", "minor_consent_compliance", "telehealth_consent_compliance",
              "treatment_plan_currency", "safety_plan_compliance", "complete_demographics_rate",
              "hipaa_training_currency")
TABLE_COLUMNS = {
    DashboardKind.TEAM: ("kept_visit_rate", "no_show_rate", "unsigned_note_backlog", "same_day_documentation_rate",
                         "supervision_note_timeliness"),
    DashboardKind.PRACTICE: ("kept_visit_rate", "no_show_rate", "schedule_fill_rate", "same_day_documentation_rate",
                             "unsigned_note_backlog", "treatment_plan_currency"),
}
PERIODS = (PeriodKind.THIS_WEEK, PeriodKind.LAST_WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.CUSTOM)
PERIOD_LABELS = {PeriodKind.THIS_WEEK: "This week", PeriodKind.LAST_WEEK: "Last week",
                 PeriodKind.MONTH: "This month", PeriodKind.QUARTER: "This quarter", PeriodKind.CUSTOM: "Custom…"}


def _now() -> datetime:
    return datetime.now().astimezone()


def _today() -> date:
    return to_local(_now()).date()


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DashboardPage(QWidget):
    sig_loaded = Signal()
    """The figures on screen are the latest (after a load or a partial refresh)."""
    sig_side_loaded = Signal()
    """The alerts and goals panels are the latest."""
    sig_open_client = Signal(str)
    """Open this client's chart (from the records behind a figure)."""
    sig_open_note = Signal(str)
    """Open this note (from the records behind a figure)."""
    sig_open_alerts = Signal(str, str)
    """Open the alert list: for this clinician ("" for everyone), at this alert ("" for none), and
    straight on to what fixes it when an alert is given."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        kind = dashboards.dashboard_kind(session)
        assert kind is not None, "the navigation offers a dashboard only to roles that have one"
        self.kind = kind
        self.board: Dashboard | None = None
        self.drill: str | None = None  # a clinician the team or practice view narrowed to
        self._pending: set[str] = set()
        self._loading: Task | None = None
        self._generation = 0  # the latest reload asked for (see _reloaded)
        self._build()
        bridge.sig_appointment_did_change.connect(lambda _ids, providers: self._changed(providers))
        bridge.sig_chart_did_change.connect(lambda client_id, _t, _r: self._chart_changed(client_id))
        bridge.sig_alerts_did_change.connect(self._load_side_panels)
        self.reload()

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 12)
        outer.setSpacing(10)
        title, subtitle = TITLES[self.kind]
        self.header = page_header(title, subtitle)
        outer.addWidget(self.header)
        controls = QHBoxLayout()
        label = QLabel("&Period")
        self.period_box = QComboBox()
        self.period_box.setAccessibleName("Period")
        label.setBuddy(self.period_box)
        for kind in PERIODS:
            self.period_box.addItem(PERIOD_LABELS[kind], kind)
        self.from_edit, self.until_edit = QDateEdit(), QDateEdit()
        for edit, name in ((self.from_edit, "From"), (self.until_edit, "Until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MMM d, yyyy")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self._custom_changed())
        # On a Monday this week has nothing to show yet: the Monday review looks at last week.
        start_kind = PeriodKind.LAST_WEEK if _today().weekday() == 0 else PeriodKind.THIS_WEEK
        self.period_box.setCurrentIndex(PERIODS.index(start_kind))
        first = period_for(start_kind, _today())
        self._show_dates(first.start, first.end)
        self.period_box.currentIndexChanged.connect(self._period_changed)
        self.compare_label = QLabel("")
        self.compare_label.setProperty("role", "hint")
        self.compare_label.setWordWrap(True)  # the row of period controls fits 1280 px: the dates wrap
        self.back_button = QPushButton("← Back to the team" if self.kind is DashboardKind.TEAM else "← Back to all")
        self.back_button.setVisible(False)
        self.back_button.clicked.connect(lambda: self.drill_down(None))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Measure everything again (F5 syncs; figures also update by themselves)")
        self.refresh_button.clicked.connect(self.reload)
        for w in (label, self.period_box, QLabel("from"), self.from_edit, QLabel("until"), self.until_edit):
            controls.addWidget(w)
        controls.addWidget(self.compare_label, 1)
        controls.addWidget(self.back_button)
        if self.kind is DashboardKind.TEAM:
            self.report_button = QPushButton("Team &report…")
            self.report_button.setToolTip("A PDF of your team for a period: table, charts and alert conditions")
            self.report_button.clicked.connect(self.team_report)
            controls.addWidget(self.report_button)
        controls.addWidget(self.refresh_button)
        outer.addLayout(controls)
        self.message = MessageLabel()
        outer.addWidget(self.message)

        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(14)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # tiles wrap instead
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        definitions = dashboards.metrics.definitions()
        self.tiles: dict[str, MetricTile] = {}
        self.tiles_box = QGroupBox("Scorecard" if self.kind is DashboardKind.PRACTICE else "This period")
        # My Practice's nine tiles three by three, My Team's six in two rows; the overview keeps four a
        # row so its clinician table starts on the first screen.
        self._tile_grid(self.tiles_box, TILES[self.kind], definitions,
                        columns=4 if self.kind is DashboardKind.PRACTICE else 3)
        self.body.addWidget(self.tiles_box)

        self.alerts_box = alerts_box = self._alerts_panel()
        self.goals_panel = GoalsPanel(self.session)
        self.goals_panel.sig_changed.connect(self._load_side_panels)
        if self.kind is DashboardKind.OWN:  # a clinician's own to-dos come right after their numbers
            self.body.addWidget(alerts_box)

        self.table: QTableView | None = None
        if self.kind in TABLE_COLUMNS:
            box = QGroupBox("Supervisees" if self.kind is DashboardKind.TEAM else "Clinician performance")
            inner = QVBoxLayout(box)
            hint = QLabel("Double-click a clinician to see their dashboard; hover a figure for how it was counted.")
            hint.setProperty("role", "hint")
            inner.addWidget(hint)
            # The team's supervision this month against what their licenses require (My Team only).
            self.supervision_summary = QLabel("")
            self.supervision_summary.setObjectName("supervisionSummary")
            self.supervision_summary.setWordWrap(True)
            self.supervision_summary.setVisible(False)
            inner.addWidget(self.supervision_summary)
            self.model = ClinicianTableModel(definitions, TABLE_COLUMNS[self.kind], self,
                                             supervision=self.kind is DashboardKind.TEAM)
            self.table = QTableView()
            self.table.setAccessibleName(box.title())
            self.table.setModel(self.model)
            self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            self.table.verticalHeader().hide()
            self.table.setShowGrid(False)
            self.table.setAlternatingRowColors(True)
            self.table.setMinimumHeight(220)
            header = self.table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setStretchLastSection(True)
            self.table.doubleClicked.connect(lambda i: self.drill_down(self.model.row(i.row()).id))
            self.table.activated.connect(lambda i: self.drill_down(self.model.row(i.row()).id))
            inner.addWidget(self.table)
            empty_state(self.table, "No clinicians to show for this period.")
            self.body.addWidget(box)

        if self.kind is not DashboardKind.OWN:  # a team's or practice's come after who is who
            self.body.addWidget(alerts_box)
        self.body.addWidget(self.goals_panel)
        if self.kind is DashboardKind.PRACTICE:
            self.compliance_box = QGroupBox("Compliance")
            self._tile_grid(self.compliance_box, COMPLIANCE, definitions)
            self.body.addWidget(self.compliance_box)

        trend_box = QGroupBox("Trend, last 12 weeks")
        trend_layout = QVBoxLayout(trend_box)
        self.trend = TrendChart()
        trend_layout.addWidget(self.trend)
        self.body.addWidget(trend_box)
        self.body.addStretch(1)
        self.updated = QLabel("")
        self.updated.setProperty("role", "hint")
        outer.addWidget(self.updated)

    def _alerts_panel(self) -> QGroupBox:
        """The alerts this dashboard's people have open: counts by severity, the most pressing few, a
        double-click to what fixes one and a button to the whole list."""
        box = QGroupBox("Alerts and nudges" if self.kind is DashboardKind.OWN else "Alerts")
        inner = QVBoxLayout(box)
        top = QHBoxLayout()
        self.alert_counts = QLabel("…")
        self.alert_counts.setObjectName("alertCounts")
        self.all_alerts_button = QPushButton("All alerts…")
        self.all_alerts_button.setAccessibleName("Open the alert list")
        self.all_alerts_button.clicked.connect(lambda: self.sig_open_alerts.emit(self.drill or "", ""))
        top.addWidget(self.alert_counts, 1)
        top.addWidget(self.all_alerts_button)
        inner.addLayout(top)
        self.alerts_model = AlertsModel(self)
        self.alerts_table = record_table("Most pressing alerts", self.alerts_model, stretch=1)
        self.alerts_table.setFixedHeight(168)
        self.alerts_table.activated.connect(lambda i: self._alert_chosen(self.alerts_model.row(i.row())))
        self.alerts_table.doubleClicked.connect(lambda i: self._alert_chosen(self.alerts_model.row(i.row())))
        empty_state(self.alerts_table, "No open alerts: nothing needs attention.")
        inner.addWidget(self.alerts_table)
        hint = QLabel("Double-click an alert (or press Enter) to open what fixes it.")
        hint.setProperty("role", "hint")
        inner.addWidget(hint)
        return box

    def _alert_chosen(self, alert: AlertView) -> None:
        self.sig_open_alerts.emit(self.drill or "", alert.id)

    def _load_side_panels(self) -> None:
        """The alerts and goals of whom the dashboard shows (one clinician when drilled down)."""
        session, today = self.session, _today()
        who = self.drill or (session.actor.user_id if self.kind is DashboardKind.OWN else None)

        def work() -> tuple[list[AlertView], list[GoalView]]:
            return alerts.list_alerts(session, clinician_id=who), goals.list_goals(session, today=today,
                                                                                     clinician_id=who)

        run_in_background(self, work, on_done=self._side_panels_loaded, on_error=self.message.show_exception)

    def _side_panels_loaded(self, loaded: tuple[list[AlertView], list[GoalView]]) -> None:
        open_alerts, goal_rows = loaded
        counts = {s: sum(1 for a in open_alerts if a.severity is s) for s in SEVERITY_LABELS}
        if open_alerts:
            self.alert_counts.setText(" · ".join(f"{n} {SEVERITY_LABELS[s].lower()}" for s, n in counts.items()))
        else:
            self.alert_counts.setText("No open alerts")
        self.alerts_model.set_rows(open_alerts[:5])
        self.goals_panel.default_clinician = self.drill
        self.goals_panel.show_goals(goal_rows)
        self.sig_side_loaded.emit()

    def _tile_grid(self, box: QGroupBox, metric_ids: tuple[str, ...], definitions: dict, *, columns: int = 4) -> None:
        grid = QGridLayout(box)
        grid.setSpacing(10)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        for i, metric_id in enumerate(metric_ids):
            tile = MetricTile(definitions[metric_id])
            tile.sig_explain.connect(self.explain)
            self.tiles[metric_id] = tile
            grid.addWidget(tile, i // columns, i % columns)

    # -- periods ---------------------------------------------------------------------------------

    def team_report(self) -> None:
        from mentalspace_desktop.gui.supervision.team_report import TeamReportDialog

        self.report_dialog = TeamReportDialog(self.session, *self.period(), parent=self)
        self.report_dialog.open()

    def period(self) -> tuple[date, date]:
        kind = self.period_box.currentData()
        if kind is PeriodKind.CUSTOM:
            return _day(self.from_edit.date()), _day(self.until_edit.date())
        p = period_for(PeriodKind(kind), _today())
        return p.start, p.end

    def _period_changed(self) -> None:
        """The date fields always show the period's days; they are editable for a custom period."""
        kind = self.period_box.currentData()
        custom = kind is PeriodKind.CUSTOM
        if not custom:
            chosen = period_for(PeriodKind(kind), _today())
            self._show_dates(chosen.start, chosen.end)
        self.from_edit.setEnabled(custom)
        self.until_edit.setEnabled(custom)
        self.reload()

    def _show_dates(self, start: date, end: date) -> None:
        for edit, day in ((self.from_edit, start), (self.until_edit, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _custom_changed(self) -> None:
        if self.period_box.currentData() is PeriodKind.CUSTOM:
            self.reload()

    # -- loading ---------------------------------------------------------------------------------

    def reload(self) -> Task | None:
        start, end = self.period()
        if end < start:
            self.message.show_error("The period ends before it starts: choose an end date after the start.")
            return None
        self.message.clear_message()
        self.updated.setText("Measuring…")
        self.refresh_button.setEnabled(False)
        session, drill, today = self.session, self.drill, _today()
        self._generation += 1
        generation = self._generation
        self._loading = run_in_background(
            self, lambda: dashboards.load_dashboard(session, Period(start, end), today=today, clinician=drill),
            on_done=lambda board: self._reloaded(generation, board),
            on_error=lambda exc: self._failed(exc) if generation == self._generation else None)
        return self._loading

    def _reloaded(self, generation: int, board: Dashboard) -> None:
        """A load lands only if no later one was asked for (another period or clinician chosen since):
        an earlier, slower one would show its figures under the period now chosen."""
        if generation == self._generation:
            self._loaded(board)

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.updated.setText("")
        self.message.show_exception(exc)

    def _loaded(self, board: Dashboard) -> None:
        self.board = board
        self.refresh_button.setEnabled(True)
        self._show(board)
        self._load_side_panels()

    def _show(self, board: Dashboard) -> None:
        p = board.previous_period
        self.compare_label.setText(f"Compared with {p.start:%b %d} – {p.end:%b %d, %Y}")
        own = board.row(self.drill) if self.drill else (board.rows[0] if self.kind is DashboardKind.OWN
                                                            and board.rows else None)
        for metric_id, tile in self.tiles.items():
            if own is not None:
                tile.show_value(own.values.get(metric_id), own.previous.get(metric_id))
            else:
                tile.show_value(board.totals.get(metric_id), board.previous_totals.get(metric_id))
        if self.table is not None:
            self.model.set_rows(board.rows if self.drill is None else [r for r in board.rows if r.id == self.drill])
            self._show_supervision(board)
        labels = [f"{week.start:%b %d}" for week, _ in board.trend]
        lines: list[tuple[str, list[float | None]]] = []
        for metric_id in dashboards.TREND_METRICS:
            values = [totals.get(metric_id) for _, totals in board.trend]
            lines.append((board.definitions[metric_id].name, [None if v is None else v.value for v in values]))
        self.trend.set_data(labels, lines, dark=is_dark())
        counts = board.status_counts()
        team = "" if self.kind is DashboardKind.OWN or self.drill else (
            f" · {counts[Status.ON_TRACK]} on track, {counts[Status.REVIEW]} to review, "
            f"{counts[Status.URGENT]} urgent")
        self.updated.setText(f"Updated {to_local(_now()):%H:%M}{team}")
        self.sig_loaded.emit()

    def _show_supervision(self, board: Dashboard) -> None:
        """The team's supervision this month under the supervisee table (a team view only)."""
        totals = board.supervision_totals() if self.kind is DashboardKind.TEAM and self.drill is None else None
        self.supervision_summary.setVisible(totals is not None)
        if totals is None:
            return
        hours, required = totals
        standings = [r.supervision for r in board.rows if r.supervision is not None]
        behind = sum(1 for st in standings if st.status is Status.REVIEW)
        short = sum(1 for st in standings if st.status is Status.URGENT)
        share = f" ({hours / required:.0%})" if required else ""
        self.supervision_summary.setText(
            f"Supervision this month: {hours:g} of {required:g} h required across {len(standings)} "
            f"supervisee{'s' if len(standings) != 1 else ''}{share} · {behind} behind pace · "
            f"{short} short last month")

    # -- drill-down and the rows behind a figure ---------------------------------------------------

    def drill_down(self, clinician_id: str | None) -> None:
        if self.kind is DashboardKind.OWN:
            return
        self.drill = clinician_id
        self.back_button.setVisible(clinician_id is not None)
        row = self.board.row(clinician_id) if self.board and clinician_id else None
        name = row.name if row else None
        title, _subtitle = TITLES[self.kind]
        label = self.header.findChild(QLabel, "pageTitle")
        if label is not None:
            label.setText(f"{title} — {name}" if name else title)
        self.reload()

    def explain(self, metric_id: str) -> None:
        if self.board is None:
            return
        subject = self.drill or (self.session.actor.user_id if self.kind is DashboardKind.OWN else None)
        definition = self.board.definitions[metric_id]
        if subject is None:
            dialog = ClinicianBreakdownDialog(definition, self.board.counted_rows(), self)
            dialog.sig_chosen.connect(lambda cid: self._explain_for(metric_id, cid))
            dialog.open()
            return
        self._explain_for(metric_id, subject)

    def _explain_for(self, metric_id: str, clinician_id: str) -> None:
        assert self.board is not None
        board, session, today = self.board, self.session, _today()
        row = board.row(clinician_id)
        run_in_background(
            self, lambda: dashboards.metrics.explain(session, board.period, today=today, metric_id=metric_id,
                                                     clinician_id=clinician_id),
            on_done=lambda rows: self._show_evidence(metric_id, row.name if row else "", rows),
            on_error=self.message.show_exception)

    def _show_evidence(self, metric_id: str, name: str, rows: list) -> None:
        assert self.board is not None
        dialog = EvidenceDialog(self.board.definitions[metric_id], name, self.board.period, rows, self)
        dialog.sig_open_client.connect(self.sig_open_client)
        dialog.sig_open_note.connect(self.sig_open_note)
        dialog.open()

    # -- live updates ----------------------------------------------------------------------------

    def _changed(self, clinician_ids: list[str]) -> None:
        """Measure again only the clinicians an appointment or note change concerns."""
        if self.board is None:
            return
        shown = {r.id for r in self.board.rows}
        self._pending |= {c for c in clinician_ids if c in shown}
        if self._pending:
            QTimer.singleShot(150, self._refresh_pending)  # a burst of changes measures once

    def _chart_changed(self, client_id: str) -> None:
        session = self.session
        run_in_background(self, lambda: dashboards.clinicians_of_client(session, client_id),
                          on_done=self._changed, on_error=lambda _e: None)

    def _refresh_pending(self) -> None:
        if not self._pending or self.board is None:
            return
        ids, self._pending = sorted(self._pending), set()
        board, session, today = self.board, self.session, _today()

        def work() -> Dashboard:
            updated = board
            for clinician_id in ids:
                updated = dashboards.refresh_clinician(session, updated, clinician_id, today=today)
            return updated

        run_in_background(self, work, on_done=lambda fresh: self._refreshed(board, ids, fresh),
                          on_error=self.message.show_exception)

    def _refreshed(self, started_from: Dashboard, ids: list[str], fresh: Dashboard) -> None:
        """Show a partial refresh only if it was built on the figures still shown: one built on older
        figures (another refresh, a new period or drill-down landed meanwhile) would put them back, so
        its clinicians are measured again on what is shown now."""
        if self.board is not started_from:
            self._changed(ids)
            return
        self._loaded(fresh)

    def value_of(self, metric_id: str, clinician_id: str | None = None) -> MetricValue | None:
        """What the page shows for one metric (the totals, or one clinician's): for tests and tools."""
        if self.board is None:
            return None
        if clinician_id is None:
            return self.board.totals.get(metric_id)
        row = self.board.row(clinician_id)
        return None if row is None else row.values.get(metric_id)
