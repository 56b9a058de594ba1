"""A document attached to the chart (a PDF or an image), shown from memory: its bytes come out of the
encrypted store (an audited read) and are never written to a file, so no copy is left behind on
the workstation for someone else to find."""

from __future__ import annotations

from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.qt import (
    QByteArray,
    QDialog,
    QLabel,
    QPixmap,
    QPushButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
)
from mentalspace_desktop.gui.widgets.forms import button_row


class DocumentViewer(QDialog):
    def __init__(self, media_type: str, data: bytes, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title or "Document")
        self.setAccessibleName("Document viewer")
        self.resize(900, 700)
        layout = QVBoxLayout(self)
        self.pages = 0
        if media_type == "application/pdf":
            from mentalspace_desktop.gui.qt_pdf import QBuffer, QIODevice, QPdfDocument, QPdfView

            self._bytes = QByteArray(data)  # the document reads from these while it is shown
            self._buffer = QBuffer(self._bytes, self)
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self.document = QPdfDocument(self)
            self.document.load(self._buffer)
            self.pages = self.document.pageCount()
            view = QPdfView(self)
            view.setAccessibleName("PDF pages")
            view.setPageMode(QPdfView.PageMode.MultiPage)
            view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            view.setDocument(self.document)
            layout.addWidget(view, 1)
            summary = f"PDF, {self.pages} page{'s' if self.pages != 1 else ''}"
        else:
            picture = QPixmap()
            picture.loadFromData(data)
            image = QLabel(self)
            image.setAccessibleName("Image")
            image.setPixmap(picture)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            area = QScrollArea(self)
            area.setWidget(image)
            area.setWidgetResizable(True)
            layout.addWidget(area, 1)
            self.pages = 0 if picture.isNull() else 1
            summary = f"Image, {picture.width()} × {picture.height()} pixels"
        if not self.pages:
            summary = "This document could not be shown: its contents are not a readable PDF or image."
        layout.addWidget(muted(QLabel(f"{summary}. Opened from the encrypted store; no copy is saved.")))
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        layout.addLayout(button_row(close))
