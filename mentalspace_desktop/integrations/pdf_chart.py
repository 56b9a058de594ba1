"""Clinical records as PDF (reportlab): a practice header, the client's identifiers on every page,
each record with its signature block and content hash, and "Page N of M".

Takes plain data (``PdfDocument``) so it knows nothing of the store or of permissions: the service
decides what may be exported and audits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


@dataclass(frozen=True)
class PdfSection:
    """One block of a record: a heading and its text (paragraphs split on blank lines)."""

    heading: str
    text: str


@dataclass(frozen=True)
class PdfRecord:
    """A note, addendum or plan: title line, sections, and how it was signed."""

    title: str
    subtitle: str
    sections: list[PdfSection]
    signature_lines: list[str]
    content_hash: str | None
    addenda: list[PdfRecord] = field(default_factory=list)


@dataclass(frozen=True)
class PdfDocument:
    practice_name: str
    practice_phone: str
    client_name: str
    client_dob: str
    chart_number: str
    title: str  # "Progress note", "Chart, 01/01/2025 – 03/31/2025"
    generated_by: str
    generated_at: str  # already in the practice's time zone
    records: list[PdfRecord]


_styles = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=10, leading=13)
_H1 = ParagraphStyle("h1", parent=_styles["Heading2"], fontSize=13, spaceAfter=2)
_SUB = ParagraphStyle("sub", parent=_BODY, textColor=colors.HexColor("#4a5560"))
_H3 = ParagraphStyle("h3", parent=_styles["Heading4"], fontSize=10, spaceBefore=6, spaceAfter=1)
_SIG = ParagraphStyle("sig", parent=_BODY, fontSize=9, leading=11)
_HASH = ParagraphStyle("hash", parent=_SIG, fontName="Courier", fontSize=7.5)


def _paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    out: list[Flowable] = []
    for block in text.strip().split("\n\n"):
        if block.strip():
            out.append(Paragraph(escape(block.strip()).replace("\n", "<br/>"), style))
    return out


def _record(r: PdfRecord, *, nested: bool = False) -> list[Flowable]:
    flow: list[Flowable] = [Paragraph(escape(r.title), _H3 if nested else _H1),
                            Paragraph(escape(r.subtitle), _SUB)]
    for s in r.sections:
        flow.append(Paragraph(escape(s.heading), _H3))
        flow.extend(_paragraphs(s.text, _BODY) or [Paragraph("—", _BODY)])
    sig: list[Flowable] = [Paragraph(escape(line), _SIG) for line in r.signature_lines]
    if r.content_hash:
        sig.append(Paragraph(f"Content SHA-256: {r.content_hash}", _HASH))
    box = Table([[sig]], colWidths=[6.5 * inch])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#8a96a3")),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f5f7")),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 5),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    flow += [Spacer(1, 6), KeepTogether([box])]
    for a in r.addenda:
        flow += [Spacer(1, 8), *_record(a, nested=True)]
    flow.append(Spacer(1, 16))
    return flow


def _numbered_canvas(doc: PdfDocument) -> type[Canvas]:
    """A canvas that draws the header and "Page N of M" once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = LETTER
            self.setFont("Helvetica-Bold", 11)
            self.drawString(0.75 * inch, height - 0.55 * inch, doc.practice_name)
            self.setFont("Helvetica", 8.5)
            self.drawRightString(width - 0.75 * inch, height - 0.55 * inch, doc.practice_phone)
            self.drawString(0.75 * inch, height - 0.75 * inch,
                            f"{doc.client_name}   DOB {doc.client_dob}   Chart {doc.chart_number}")
            self.drawRightString(width - 0.75 * inch, height - 0.75 * inch, doc.title)
            self.setStrokeColor(colors.HexColor("#8a96a3"))
            self.line(0.75 * inch, height - 0.85 * inch, width - 0.75 * inch, height - 0.85 * inch)
            self.drawString(0.75 * inch, 0.5 * inch,
                            f"Confidential health information. Printed by {doc.generated_by}, {doc.generated_at}.")
            self.drawRightString(width - 0.75 * inch, 0.5 * inch, f"Page {self._pageNumber} of {total}")

    return NumberedCanvas


def write_pdf(doc: PdfDocument, out: Path) -> int:
    """Write the PDF; returns the number of pages."""
    flow: list[Flowable] = []
    for r in doc.records:
        flow += _record(r)
    if not flow:
        flow = [Paragraph("No signed records in this range.", _BODY)]
    pdf = SimpleDocTemplate(str(out), pagesize=LETTER, leftMargin=0.75 * inch, rightMargin=0.75 * inch,
                            topMargin=1.05 * inch, bottomMargin=0.8 * inch, title=f"{doc.title} — {doc.client_name}",
                            author=doc.practice_name, creator="MentalSpace Desktop")
    canvas = _numbered_canvas(doc)
    pages: list[int] = []

    class Counting(canvas):  # type: ignore[misc, valid-type]
        def save(self) -> None:
            pages.append(len(self._pages))
            super().save()

    pdf.build(flow, canvasmaker=Counting)
    return pages[0] if pages else 0


def when(dt: datetime | None, fmt: str = "%m/%d/%Y %I:%M %p") -> str:
    return dt.strftime(fmt) if dt else ""
