"""QtPdf, imported only by the document viewer, so starting the app does not load it."""

from PySide6.QtCore import QBuffer, QIODevice  # noqa: F401
from PySide6.QtPdf import QPdfDocument  # noqa: F401
from PySide6.QtPdfWidgets import QPdfView  # noqa: F401
