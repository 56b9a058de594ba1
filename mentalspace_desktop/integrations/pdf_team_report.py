"""The team performance report as PDF (reportlab): the team table, two charts and the alert conditions.

Takes the plain report (domain/team_report.py) and lays it out; it knows nothing of the store, of
permissions or of e-mail. ``target`` is a path or a binary file (the weekly e-mail attaches bytes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.domain.metrics import MetricValue, Status
from mentalspace_desktop.domain.team_report import SHORT_NAMES, TABLE_METRICS, TeamReport
from mentalspace_desktop.integrations.pdf_compliance import _BODY, _GRID, _H1, _H2, _NumberedCanvas

_STATUS_COLOURS = {Status.ON_TRACK: "#2e7d32", Status.REVIEW: "#b26a00", Status.URGENT: "#c62828",
                   Status.NO_DATA: "#5f6b76"}
_SERIES = (colors.HexColor("#1f5f99"), colors.HexColor("#c62828"), colors.HexColor("#2e7d32"))
_WIDTH = 7.0 * inch


def _percent(value: float | None) -> float:
    return 0.0 if value is None else round(value * 100, 1)


def _percent_or_none(value: MetricValue | None) -> float | None:
    return None if value is None or value.value is None else round(value.value * 100, 1)


def _bar_labels(names: list[str]) -> list[str]:
    """Short names for the bars, told apart: "Maria L." and "Maria C." (a title such as "Dr." is left
    out); two still alike keep their full names."""
    labels = []
    for name in names:
        words = [w for w in name.split() if not w.endswith(".")] or name.split() or ["?"]
        labels.append(words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}.")
    return [name if labels.count(label) > 1 else label for label, name in zip(labels, names, strict=True)]


def _bar_chart(report: TeamReport) -> Drawing:
    """KVR and same-day documentation per supervisee, with the KVR target as a line."""
    drawing = Drawing(_WIDTH, 2.3 * inch)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, _WIDTH - 170, 2.3 * inch - 60
    names = _bar_labels([r.name for r in report.rows]) or ["(no supervisees)"]
    # Nothing to measure is no bar (None), never a bar at 0 %; the chart says "no data" there.
    kvr, same_day = ([_percent_or_none(r.values.get(m)) for r in report.rows]
                     for m in ("kept_visit_rate", "same_day_documentation_rate"))
    chart.data = [kvr or [0], same_day or [0]]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontSize = 8
    room = chart.width / len(names) - 4
    if max(stringWidth(n, "Helvetica", 8) for n in names) > room:  # side by side they would run together
        chart.categoryAxis.labels.angle, chart.categoryAxis.labels.boxAnchor = 30, "ne"
        chart.categoryAxis.labels.dx, chart.categoryAxis.labels.dy = 4, -2
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor, chart.bars[1].fillColor = _SERIES[0], _SERIES[2]
    chart.barSpacing, chart.groupSpacing = 2, 10
    drawing.add(chart)
    for i, (a, b) in enumerate(zip(kvr, same_day, strict=True)):
        if a is None and b is None:
            drawing.add(String(chart.x + (i + 0.5) * chart.width / len(names), chart.y + 4, "no data",
                               fontSize=7, textAnchor="middle", fillColor=colors.HexColor("#5f6b76")))
    target = report.definitions.get("kept_visit_rate")
    if target is not None:
        y = chart.y + chart.height * target.benchmark
        drawing.add(Line(chart.x, y, chart.x + chart.width, y, strokeColor=_SERIES[1], strokeDashArray=[3, 2]))
    legend = Legend()
    legend.x, legend.y = chart.x + chart.width + 12, chart.y + chart.height
    legend.fontSize, legend.dx, legend.dy = 8, 8, 8
    legend.colorNamePairs = [(_SERIES[0], "Kept visit rate"), (_SERIES[2], "Same-day notes"),
                             (_SERIES[1], f"KVR target {target.format(target.benchmark)}" if target else "")]
    drawing.add(legend)
    drawing.add(String(chart.x, 2.3 * inch - 12, "Per supervisee, this period", fontSize=9,
                       fontName="Helvetica-Bold"))
    return drawing


def _trend_chart(report: TeamReport) -> Drawing:
    """Team figures week by week. A week with nothing to measure has no point (never a fall to 0 %);
    the line joins the weeks that have one, and each week's value is marked."""
    drawing = Drawing(_WIDTH, 2.1 * inch)
    drawing.add(String(40, 2.1 * inch - 12, f"Team, last {len(report.trend)} weeks", fontSize=9,
                       fontName="Helvetica-Bold"))
    series = (("kept_visit_rate", "Kept visit rate"), ("no_show_rate", "No-show rate"),
              ("same_day_documentation_rate", "Same-day notes"))
    drawn = []
    for colour, (metric_id, label) in zip(_SERIES, series, strict=True):
        points = [(i, _percent(totals[metric_id].value)) for i, (_, totals) in enumerate(report.trend)
                  if metric_id in totals and totals[metric_id].value is not None]
        if points:
            drawn.append((colour, label, points))
    if not drawn:
        drawing.add(String(40, 2.1 * inch / 2, "No sessions to measure in these weeks.", fontSize=9))
        return drawing
    weeks = [f"{week.start:%b %d}" for week, _ in report.trend]
    chart = LinePlot()
    chart.x, chart.y, chart.width, chart.height = 40, 30, _WIDTH - 170, 2.1 * inch - 55
    chart.data = [points for _, _, points in drawn]
    chart.xValueAxis.valueMin, chart.xValueAxis.valueMax, chart.xValueAxis.valueStep = 0, max(1, len(weeks) - 1), 1
    chart.xValueAxis.labelTextFormat = lambda i: weeks[int(i)] if 0 <= int(i) < len(weeks) else ""
    chart.xValueAxis.labels.fontSize = 7
    chart.yValueAxis.valueMin, chart.yValueAxis.valueMax, chart.yValueAxis.valueStep = 0, 100, 20
    chart.yValueAxis.labels.fontSize = 8
    chart.yValueAxis.labelTextFormat = "%d%%"
    for i, (colour, _, points) in enumerate(drawn):
        chart.lines[i].strokeColor = colour if len(points) > 1 else None  # one point: a marker, no line
        chart.lines[i].strokeWidth = 1.5
        chart.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=colour, strokeColor=colour)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = chart.x + chart.width + 12, chart.y + chart.height
    legend.fontSize, legend.dx, legend.dy = 8, 8, 8
    legend.colorNamePairs = [(colour, label) for colour, label, _ in drawn]
    drawing.add(legend)
    return drawing


def _team_table(report: TeamReport) -> Table:
    header = ["Supervisee", *(SHORT_NAMES[m] for m in TABLE_METRICS), "Status"]
    rows: list[list[Any]] = [header]
    for r in report.rows:
        status = Paragraph(f'<font color="{_STATUS_COLOURS[r.status]}"><b>{r.status.value}</b></font>', _BODY)
        rows.append([Paragraph(escape(r.name), _BODY), *(report.formatted(m, r.values.get(m)) for m in TABLE_METRICS),
                     status])
    rows.append([Paragraph("<b>Team</b>", _BODY), *(report.formatted(m, report.totals.get(m)) for m in TABLE_METRICS),
                 ""])
    targets = ["Target", *(report.definitions[m].format(report.definitions[m].benchmark)
                           if m in report.definitions else "" for m in TABLE_METRICS), ""]
    rows.append(targets)
    table = Table(rows, colWidths=[1.9 * inch, 0.8 * inch, 0.8 * inch, 1.0 * inch, 1.05 * inch, 0.95 * inch],
                  repeatRows=1)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("ALIGN", (1, 0), (-2, -1), "RIGHT"),
                               ("LINEABOVE", (0, -2), (-1, -2), 0.75, colors.HexColor("#5f6b76")),
                               ("TEXTCOLOR", (0, -1), (-1, -1), colors.HexColor("#5f6b76"))]))
    return table


def write_team_report(target: Path | BinaryIO, report: TeamReport) -> None:
    period = f"{report.period.start:%b %d, %Y} – {report.period.end:%b %d, %Y}"
    doc = SimpleDocTemplate(str(target) if isinstance(target, Path) else target, pagesize=LETTER,
                            leftMargin=0.75 * inch, rightMargin=0.75 * inch, topMargin=0.75 * inch,
                            bottomMargin=0.8 * inch, title=f"Team performance report — {report.supervisor_name}",
                            author=report.practice_name)
    counts = {s: sum(1 for r in report.rows if r.status is s) for s in (Status.ON_TRACK, Status.REVIEW, Status.URGENT)}
    flow: list[Flowable] = [
        Paragraph(escape(report.practice_name), _H1),
        Paragraph(f"Team performance report — {escape(report.supervisor_name)}'s team, {period}", _BODY),
        Paragraph(f"{len(report.rows)} supervisee(s): {counts[Status.ON_TRACK]} on track, "
                  f"{counts[Status.REVIEW]} to review, {counts[Status.URGENT]} urgent.", _BODY),
        Spacer(1, 6), Paragraph("Team", _H2), _team_table(report),
        Spacer(1, 10), KeepTogether([_bar_chart(report), Spacer(1, 6), _trend_chart(report)]),
    ]
    section: list[Flowable] = [Paragraph("Supervision hours", _H2)]  # a heading stays with its table
    if report.supervision:
        lines: list[list[Any]] = [["Associate", "License", "Signed hours", "Required for the period"]]
        lines += [[Paragraph(escape(x.name), _BODY), x.license_type, f"{x.hours:.1f} h",
                   f"{x.required_hours:.1f} h"] for x in report.supervision]
        table = Table(lines, colWidths=[2.2 * inch, 1.4 * inch, 1.4 * inch, 2.0 * inch])
        table.setStyle(_GRID)
        section.append(table)
    else:
        section.append(Paragraph("No one on this team needs supervision hours by license.", _BODY))
    flow.append(KeepTogether(section))
    heading = Paragraph(f"Alert conditions — {len(report.conditions)}", _H2)
    heading.keepWithNext = True
    flow.append(heading)
    if report.conditions:
        alerts: list[list[Any]] = [["Severity", "What", "Why"]]
        for c in report.conditions:
            colour = "#c62828" if c.severity is Severity.CRITICAL else "#b26a00"
            alerts.append([Paragraph(f'<font color="{colour}"><b>{c.severity.value}</b></font>', _BODY),
                           Paragraph(escape(c.title), _BODY), Paragraph(escape(c.detail), _BODY)])
        table = Table(alerts, colWidths=[0.8 * inch, 3.4 * inch, 2.8 * inch], repeatRows=1)
        table.setStyle(_GRID)
        flow.append(table)
    else:
        flow.append(Paragraph("No figure on this team is past its review threshold.", _BODY))
    doc.build(flow, canvasmaker=_NumberedCanvas)
