"""The dashboards' pieces: a metric tile, the clinicians table's model and a twelve-week trend chart.

A tile shows one metric's value with its status (on track, review, urgent) as words and colour, the
change against the previous period, and the formula on hover; a click asks for the rows behind it.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.metrics import Direction, MetricDefinition, MetricValue, Status
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QColor,
    QFrame,
    QHeaderView,
    QLabel,
    QMargins,
    QMouseEvent,
    QPainter,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.qt_charts import QCategoryAxis, QChart, QChartView, QLineSeries, QValueAxis
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.services.dashboards import ClinicianRow

STATUS_WORDS = {Status.ON_TRACK: "On track", Status.REVIEW: "Review", Status.URGENT: "Urgent",
                Status.NO_DATA: "No data"}
# Column titles of the clinicians table: short, with the full name and formula in the tooltip.
SHORT_NAMES = {
    "kept_visit_rate": "Kept visits", "no_show_rate": "No-shows", "cancellation_rate": "Cancelled",
    "schedule_fill_rate": "Fill rate", "same_day_documentation_rate": "Same-day notes",
    "unsigned_note_backlog": "Unsigned > 7 d", "treatment_plan_currency": "Plans current",
    "supervision_note_timeliness": "Co-signed ≤ 7 d",
}
TWO_LINES = {  # the clinician table's headers: narrow columns, the words whole
    "kept_visit_rate": "Kept\nvisits", "no_show_rate": "No-\nshows", "schedule_fill_rate": "Fill\nrate",
    "same_day_documentation_rate": "Same-day\nnotes", "unsigned_note_backlog": "Unsigned\n> 7 days",
    "treatment_plan_currency": "Plans\ncurrent", "supervision_note_timeliness": "Co-signed\n≤ 7 days",
}


def delta_text(definition: MetricDefinition, now: MetricValue | None, before: MetricValue | None) -> str:
    """"▲ 4 pts better than last period" in words a supervisor reads; empty when either side has no data."""
    if now is None or before is None or now.value is None or before.value is None:
        return "no earlier figure to compare"
    change = now.value - before.value
    if abs(change) < 1e-9:
        return "same as the previous period"
    better = (change > 0) == (definition.direction is Direction.HIGHER)
    arrow = "▲" if change > 0 else "▼"
    if definition.unit == "percent":
        points = round(abs(change) * 100)
        size = "under 1 pt" if points == 0 else f"{points} pt{'s' * (points != 1)}"
    elif definition.format(abs(change)) == definition.format(0.0):
        return "about the same as the previous period"
    else:
        size = definition.format(abs(change))
    return f"{arrow} {size} {'better' if better else 'worse'} than the previous period"


class MetricTile(QFrame):
    """One metric, big, with its status and trend; clicking it (or Enter) asks for the rows behind it."""

    sig_explain = Signal(str)
    """The user wants the records behind this metric: its id."""

    def __init__(self, definition: MetricDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.definition = definition
        self.setObjectName("metricTile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.name = QLabel(definition.name)
        self.name.setProperty("role", "tileName")
        self.value = QLabel("…")
        self.value.setProperty("role", "tileValue")
        self.status = QLabel("")
        self.status.setProperty("role", "tileStatus")
        self.delta = QLabel("")
        self.delta.setProperty("role", "hint")
        self.delta.setWordWrap(True)
        self.name.setWordWrap(True)
        self.status.setWordWrap(True)
        for w in (self.name, self.value, self.status, self.delta):
            layout.addWidget(w)
        layout.addStretch(1)
        self.setMinimumWidth(150)
        self.setToolTip(f"{definition.formula}\nBenchmark: {definition.format(definition.benchmark)}. "
                        "Click to see the records counted.")

    def show_value(self, now: MetricValue | None, before: MetricValue | None) -> None:
        value = None if now is None else now.value
        status = self.definition.status(value)
        self.value.setText(self.definition.format(value))
        basis = "" if now is None or self.definition.unit in ("count",) else \
            f" ({now.numerator:.0f} of {now.denominator:.0f})" if self.definition.unit == "percent" else ""
        self.status.setText("" if status is Status.NO_DATA else STATUS_WORDS[status] + basis)
        self.status.setProperty("status", status.name.lower())
        self.setProperty("status", status.name.lower())
        self.delta.setText(delta_text(self.definition, now, before))
        self.setAccessibleName(f"{self.definition.name}: {self.value.text()}, {self.status.text()}")
        for w in (self, self.status):
            w.style().unpolish(w)
            w.style().polish(w)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_explain.emit(self.definition.id)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.sig_explain.emit(self.definition.id)
            return
        super().keyPressEvent(event)


STATUS_COLUMN = 1  # beside the name: what a supervisor reads first, never scrolled out of view


class ClinicianTableModel(RowsModel[ClinicianRow]):
    """One row per clinician: the name, the status, chosen metrics as columns, then (on a team) this
    month's supervision against the license's requirement.

    Headers break onto two lines (``TWO_LINES``) so that at 1280 px every column fits beside the
    names without a sideways scroll."""

    def __init__(self, definitions: dict[str, MetricDefinition], metric_ids: tuple[str, ...],
                 parent: Any = None, *, supervision: bool = False) -> None:
        super().__init__(parent)
        self.definitions = definitions
        self.metric_ids = metric_ids
        self.supervision_column = len(metric_ids) + 2 if supervision else None
        names = (TWO_LINES.get(m, SHORT_NAMES.get(m, definitions[m].name)) for m in metric_ids)
        self.headers = ("Clinician", "Status", *names, *(("Supervision,\nthis month",) if supervision else ()))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        metric_id = self.metric_at(section)
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole \
                and section == self.supervision_column:
            return ("Signed supervision hours this month against what the supervisee's license requires a "
                    "month (compliance settings). Urgent: last month ended short; review: behind pace.")
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole \
                and section == STATUS_COLUMN:
            return ("On track, review or urgent: the worst of the clinician's kept visits, no-shows, unsigned "
                    "notes and same-day notes against the practice's thresholds.")
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and metric_id:
            definition = self.definitions[metric_id]
            return f"{definition.name}: {definition.formula}"
        return super().headerData(section, orientation, role)

    def metric_at(self, column: int) -> str | None:
        first = STATUS_COLUMN + 1
        return self.metric_ids[column - first] if first <= column < first + len(self.metric_ids) else None

    def cell(self, row: ClinicianRow, column: int, role: int) -> Any:
        if column == self.supervision_column:
            return self._supervision_cell(row, role)
        metric_id = self.metric_at(column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                return row.name
            if metric_id is None:  # the status column
                return STATUS_WORDS[row.status]
            value = row.values.get(metric_id)
            return self.definitions[metric_id].format(None if value is None else value.value)
        if role == Qt.ItemDataRole.ToolTipRole and metric_id is not None:
            value = row.values.get(metric_id)
            definition = self.definitions[metric_id]
            basis = "no data" if value is None or value.value is None else \
                f"{value.numerator:g} ÷ {value.denominator:g}"
            return f"{definition.formula}\n{basis} — {delta_text(definition, value, row.previous.get(metric_id))}"
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.ForegroundRole:
            status = row.status if metric_id is None else self.definitions[metric_id].status(
                None if (v := row.values.get(metric_id)) is None else v.value)
            return status_colour(status)
        return None


    def _supervision_cell(self, row: ClinicianRow, role: int) -> Any:
        standing = row.supervision
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if standing is None:
                return "not required"
            return f"{standing.text} · {STATUS_WORDS[standing.status].lower()}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Their license needs no monthly supervision." if standing is None else standing.explanation
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(tone("muted")) if standing is None else status_colour(standing.status)
        return None


# Readable on each theme's table background (at least 4.5:1, as the screen check requires).
STATUS_TONES = {Status.URGENT: "danger", Status.REVIEW: "warning"}


def status_colour(status: Status) -> QColor | None:
    name = STATUS_TONES.get(status)
    return None if name is None else QColor(tone(name))


class TrendChart(QChartView):
    """Twelve weekly points per metric (QtCharts), in percent; a week with no data leaves a gap in the
    line rather than pretending to be zero. Follows the application's light or dark theme."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(220)
        self.setAccessibleName("Twelve-week trend")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        chart.setMargins(QMargins(4, 4, 4, 4))
        self.setChart(chart)

    def set_data(self, labels: list[str], lines: list[tuple[str, list[float | None]]], *, dark: bool) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundVisible(False)
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        for i, label in enumerate(labels):
            if i % 3 == 0 or i == len(labels) - 1:
                x_axis.append(label, i)
        x_axis.setRange(-0.4, max(1, len(labels) - 1) + 0.4)  # room for the first and last labels
        y_axis = QValueAxis()
        y_axis.setRange(0, 100)
        y_axis.setLabelFormat("%d%%")
        y_axis.setTickCount(5)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for name, values in lines:
            pieces: list[QLineSeries] = []
            current: QLineSeries | None = None
            for i, v in enumerate(values):
                if v is None:
                    current = None
                    continue
                if current is None:
                    current = QLineSeries()
                    current.setName(name)
                    current.setPointsVisible(True)
                    pieces.append(current)
                current.append(i, v * 100)
            for n, piece in enumerate(pieces):
                chart.addSeries(piece)
                piece.attachAxis(x_axis)
                piece.attachAxis(y_axis)
                if n:  # one legend entry per metric, in the first piece's colour
                    chart.legend().markers(piece)[0].setVisible(False)
                    piece.setColor(pieces[0].color())
        described = "; ".join(f"{name}: " + ", ".join("no data" if v is None else f"{v * 100:.0f}%" for v in values)
                              for name, values in lines)
        self.setAccessibleDescription(described)
        self.setToolTip(described)


def record_table(name: str, model: QAbstractTableModel, *, stretch: int) -> QTableView:
    """A list of records to act on, one at a time: whole rows selected, columns fitted to their
    contents but ``stretch``, which takes the rest. ``name`` is what a screen reader announces."""
    table = QTableView()
    table.setAccessibleName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table
