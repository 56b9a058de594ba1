"""Table models for the chart's Consents and Timeline tabs; the row wording lives here, not in widgets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from mentalspace_desktop.domain.clients import ConsentKind, ConsentOnFile
from mentalspace_desktop.gui.clients.common import error_color, format_date, good_color
from mentalspace_desktop.gui.localtime import format_datetime, format_relative
from mentalspace_desktop.gui.qt import (
    QColor,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.services.clients import TimelineItem
from mentalspace_desktop.store.models import Consent

ID_ROLE = Qt.ItemDataRole.UserRole + 1
IN_FORCE_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class ConsentsModel(RowsModel):
    """Consents on file, newest first, with whether each is in force today."""

    headers = ("Consent", "Signed", "Expires", "Revoked", "Recipient", "Signed by", "Standing")

    def __init__(self, parent: QObject | None = None, *, today: Callable[[], date] = date.today) -> None:
        super().__init__(parent)
        self._today = today

    def set_consents(self, consents: Sequence[Consent]) -> None:
        live = [c for c in consents if not c.deleted]
        self.set_rows(sorted(live, key=lambda c: c.signed_on, reverse=True))

    def consent_id(self, row: int) -> str:
        return str(self._rows[row].id)

    def _in_force(self, c: Consent) -> bool:
        return ConsentOnFile(ConsentKind(c.kind), c.signed_on, c.expires_on, c.revoked_on).in_force(
            self._today()
        )

    def standing(self, c: Consent) -> str:
        if c.revoked_on is not None and c.revoked_on <= self._today():
            return "Revoked"
        if c.expires_on is not None and c.expires_on < self._today():
            return "Expired"
        return "In force"

    def cell(self, row: Consent, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                ConsentKind(row.kind).label,
                format_date(row.signed_on),
                format_date(row.expires_on) or "No expiry",
                format_date(row.revoked_on),
                row.recipient or "",
                row.signed_by or "",
                self.standing(row),
            ][column]
        if role == ID_ROLE:
            return row.id
        if role == IN_FORCE_ROLE:
            return self._in_force(row)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            return QColor(good_color()) if self._in_force(row) else QColor(error_color())
        return None


class TimelineModel(RowsModel):
    """What happened to the record, newest first: when, who, what."""

    headers = ("When", "Who", "What", "Details")

    def cell(self, row: TimelineItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            when = format_datetime(row.at)
            return [when, row.who, row.action, row.summary][column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{format_relative(row.at)} — {row.who}: {row.action}. {row.summary}".strip()
        return None
