"""The reminder screens' tables: rules, templates, a history of messages and replies, the Messages
inbox and the monthly figures. The words a row shows live here; the screens only present them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentalspace_desktop.domain.reminders.rules import CHANNEL_LABELS
from mentalspace_desktop.domain.reminders.words import ACTION_LABELS, INTENT_LABELS, KIND_LABELS, STATE_LABELS
from mentalspace_desktop.gui.localtime import format_datetime, format_relative, time_pattern
from mentalspace_desktop.gui.qt import QColor, Qt, QTime
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import colour
from mentalspace_desktop.services.reminders.desk import HistoryItem, InboxItem
from mentalspace_desktop.services.reminders.settings import RuleView, TemplateView
from mentalspace_desktop.services.reminders.stats import MonthlyCount
from mentalspace_desktop.services.reminders.views import describe_offsets

_BAD = {"failed", "undelivered", "uncertain"}
_GOOD = {"delivered", "answered", "confirmed"}


def money(cents: int) -> str:
    """Cents as dollars ("$1,234.05"), in whole numbers: money is never a float."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def month_label(month: str) -> str:
    """"2026-03" → "March 2026"."""
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return month


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel.title())


def _tone(name: str) -> QColor:
    return colour(name)


def clock_text(value: str) -> str:
    """A stored wall-clock time ("21:00") as the practice shows times ("9:00 PM")."""
    parsed = QTime.fromString(value, "HH:mm")
    return parsed.toString(time_pattern()) if parsed.isValid() else value


class RulesModel(RowsModel[RuleView]):
    headers = ("Applies to", "When", "Channels", "Quiet hours")

    def cell(self, row: RuleView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            quiet = f"{clock_text(row.quiet_start)} – {clock_text(row.quiet_end)}" if row.quiet_start else "None"
            return (row.type_name, describe_offsets(row.offsets_minutes),
                    ", ".join(channel_label(c) for c in row.channels), quiet)[column]
        return None


class TemplatesModel(RowsModel[TemplateView]):
    headers = ("Template", "Kind")

    def cell(self, row: TemplateView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (f"{row.language} {channel_label(row.channel).lower()}", KIND_LABELS.get(row.kind, row.kind))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (row.subject + "\n\n" if row.subject else "") + row.body
        return None


class HistoryModel(RowsModel[HistoryItem]):
    """Messages out and replies in, newest first (appointment detail and the chart's Reminders tab)."""

    headers = ("When", "Channel", "What", "Status", "Text")
    TEXT = 4

    def cell(self, row: HistoryItem, column: int, role: int) -> Any:
        out = row.direction == "out"
        status = (STATE_LABELS.get(row.state, row.state) if out else ACTION_LABELS.get(row.state, row.state))
        if row.error:
            status = f"{status}: {row.error}"
        if role == Qt.ItemDataRole.DisplayRole:
            what = KIND_LABELS.get(row.kind, row.kind) if out else (
                "Reply" if row.kind == "other" else f"Reply: {INTENT_LABELS.get(row.kind, row.kind)}")
            return (format_relative(row.at), channel_label(row.channel), what, status,
                    row.text.replace("\n", " "))[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.cell(row, column, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if row.state in _BAD or row.needs_attention:
                return _tone("danger")
            if row.state in _GOOD:
                return _tone("good")
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return row.text or None
        return None


class InboxModel(RowsModel[InboxItem]):
    headers = ("Received", "Client", "Kind", "Channel", "Why it is here", "Message")
    MESSAGE = 5

    def cell(self, row: InboxItem, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            who = row.client_name or f"Unknown number {row.from_or_to}"
            kind = "Reply" if row.kind == "reply" else "Failed to send"
            if row.handled_at is not None:
                kind += " (handled)"
            return (format_relative(row.at), who, kind, channel_label(row.channel), row.reason,
                    row.text.replace("\n", " "))[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and row.handled_at is None:
            return _tone("danger") if row.kind == "failure" else _tone("info")
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return format_datetime(row.at)
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return row.text or None
        return None


class MonthlyModel(RowsModel[MonthlyCount]):
    headers = ("Month", "Channel", "Sent", "Delivered", "Failed", "Provider cost")

    def cell(self, row: MonthlyCount, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (month_label(row.month), channel_label(row.channel), str(row.sent), str(row.delivered),
                    str(row.failed), money(row.cost_cents))[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
