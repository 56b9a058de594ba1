"""The compliance report as PDF (reportlab): every rule with its status, then the records behind it.

Takes plain data (the service's result and words already in the practice's time zone), so it knows
nothing of the store or of permissions.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mentalspace_desktop.domain.compliance import RULE_LABELS, Finding

_styles = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9.5, leading=12)
_H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=16, spaceAfter=4)
_H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=12, spaceBefore=10, spaceAfter=4)
_GRID = TableStyle([
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c3ccd6")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


class _NumberedCanvas(Canvas):
    """"Page N of M" needs the page count: pages are kept and numbered when the document closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.drawRightString(LETTER[0] - 0.75 * inch, 0.5 * inch, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def write_compliance_report(path: Path, *, practice_name: str, ran_at: str, ran_by: str,
                            summary_lines: list[tuple[str, str, str]], findings: list[Finding]) -> None:
    """``summary_lines``: (rule label, status word, the summary) per rule; findings: every record not OK."""
    doc = SimpleDocTemplate(str(path), pagesize=LETTER, leftMargin=0.75 * inch, rightMargin=0.75 * inch,
                            topMargin=0.75 * inch, bottomMargin=0.8 * inch, title="Compliance report",
                            author=practice_name)
    flow: list[Flowable] = [Paragraph(escape(practice_name), _H1),
                            Paragraph(f"Compliance report — checked {escape(ran_at)} by {escape(ran_by)}", _BODY),
                            Spacer(1, 8), Paragraph("Rules", _H2)]
    rows: list[list[Any]] = [["Rule", "Status", "Summary"]]
    rows += [[Paragraph(escape(a), _BODY), b, Paragraph(escape(c), _BODY)] for a, b, c in summary_lines]
    table = Table(rows, colWidths=[2.4 * inch, 1.1 * inch, 3.5 * inch], repeatRows=1)
    table.setStyle(_GRID)
    flow.append(table)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f)
    for rule, items in by_rule.items():
        flow.append(Paragraph(f"{escape(RULE_LABELS[rule])} — {len(items)} record(s)", _H2))
        evidence_rows: list[list[Any]] = [["Record", "Stage", "Detail"]]
        evidence_rows += [[Paragraph(escape(f.subject), _BODY), f.stage.value, Paragraph(escape(f.detail), _BODY)]
                          for f in items]
        evidence = Table(evidence_rows, colWidths=[3.0 * inch, 1.2 * inch, 2.8 * inch], repeatRows=1)
        evidence.setStyle(_GRID)
        flow.append(evidence)
    if not findings:
        flow.append(Paragraph("Every enabled rule is met.", _BODY))
    doc.build(flow, canvasmaker=_NumberedCanvas)
