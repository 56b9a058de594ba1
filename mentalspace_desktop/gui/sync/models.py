"""Item models of the sync screens: sync runs, refused changes, workstations, conflicts.

Each model owns its rows and how they read (times in local time, counts as numbers, statuses in
plain words); the pages only present them. All are checked with the model tester in the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.localtime import format_relative
from mentalspace_desktop.gui.qt import QObject, Qt
from mentalspace_desktop.gui.rows_model import Row, RowsModel
from mentalspace_desktop.services.conflicts import ConflictView
from mentalspace_desktop.services.sync_status import TABLE_LABELS, DeviceView, RejectionView, RunView

ERROR_COLOUR = "danger"  # tones of the current theme (theme.colour), never fixed colours
MUTED_COLOUR = "muted"


def when(moment: datetime | None, *, never: str = "Never") -> str:
    """A local date and time short enough for a table cell."""
    if moment is None:
        return never
    return format_relative(moment)


def duration(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def value_text(value: Any) -> str:
    """A conflicting value as a person reads it (None is "empty", booleans are yes/no)."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _TextRowsModel(RowsModel[Row]):
    """Rows whose cells are plain text, with an optional colour and right-aligned number columns."""

    def cells(self, row: Row) -> tuple[str, ...]:
        """Every cell's text, in column order; every subclass says."""
        raise NotImplementedError

    def colour(self, row: Row, column: int) -> str | None:
        """The tone (theme.colour name) of a cell's text, or None for the ordinary colour."""
        return None

    def numeric(self, column: int) -> bool:
        return False

    def tooltip(self, row: Row, column: int) -> str:
        """What a cell's tooltip says: its whole text (a long one is cut off with "…" in the cell)."""
        return self.cells(row)[column]

    def cell(self, row: Row, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cells(row)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = self.colour(row, column)
            return theme.colour(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and self.numeric(column):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class _StaffNames:
    """Staff shown by their full names; the hub speaks of user names (an unknown one shows as it is)."""

    names: dict[str, str]

    def person(self, username: str | None) -> str:
        return self.names.get(username, username) if username else "—"


class RunsModel(_StaffNames, _TextRowsModel[RunView]):
    """The sync log; ``with_device`` adds who and where (the hub's log of every device).

    The result comes right after the time (and who and where): it is what a person looks for. The
    counts most often worth a look (sent, received, refused, conflicts) come first. The hub's log of
    every device has two more columns (workstation, user), so there the rarely read counts (rows
    unchanged, rows dropped) are left to the result's tooltip, which always lists every count: the
    table then fits 1280 px without a sideways scroll."""

    COUNTS = ("Pushed", "New", "Updated", "Rejected", "Conflicts", "Unchanged", "Dropped")
    SHORT_COUNTS = COUNTS[:5]

    def __init__(self, parent: QObject | None = None, *, with_device: bool = False) -> None:
        super().__init__(parent)
        self.with_device = with_device
        self.names: dict[str, str] = {}
        self.counts = self.SHORT_COUNTS if with_device else self.COUNTS
        self.headers = (("Time",) + (("Workstation", "User") if with_device else ()) + ("Result",)
                        + self.counts + ("Duration",))

    @property
    def result_column(self) -> int:
        return 3 if self.with_device else 1

    @property
    def sized_to_fit(self) -> tuple[int, ...]:
        """Columns whose text may be long (workstation, user): the page caps them, the rest elide."""
        return (1, 2) if self.with_device else ()

    def numeric(self, column: int) -> bool:
        return column > self.result_column

    @staticmethod
    def _counts(r: RunView) -> tuple[int, ...]:
        return (r.pushed, r.rows_new, r.rows_updated, r.rejected, r.conflicts, r.rows_unchanged, r.rows_dropped)

    def _result(self, r: RunView) -> str:
        # an ok run may carry a note of what it repaired (a restored store renumbering its changes)
        result = (f"OK — {r.error}" if r.error else "OK") if r.ok else (r.error or "Failed")
        return ("First sync — " if r.kind == "initial" else "") + result

    def cells(self, r: RunView) -> tuple[str, ...]:
        device = (r.device_name or r.device_id[:8], self.person(r.username)) if self.with_device else ()
        counts = self._counts(r)[:len(self.counts)]
        return (when(r.started_at), *device, self._result(r), *(str(c) for c in counts), duration(r.duration_ms))

    def tooltip(self, r: RunView, column: int) -> str:
        text = self.cells(r)[column]
        if column != self.result_column:
            return text
        every = ", ".join(f"{n} {label.lower()}" for n, label in zip(self._counts(r), self.COUNTS, strict=True))
        return f"{text}\n{every}"

    def colour(self, r: RunView, column: int) -> str | None:
        return ERROR_COLOUR if column == self.result_column and not r.ok else None


class RejectionsModel(_TextRowsModel[RejectionView]):
    headers = ("Record", "Change", "Fields", "Why the hub refused it")
    _OPS = {"insert": "New record", "update": "Edit", "delete": "Deletion"}

    def cells(self, r: RejectionView) -> tuple[str, ...]:
        fields = ", ".join(f.replace("_", " ") for f in r.fields if f not in ("updated_at", "updated_by"))
        return (r.what, self._OPS.get(r.op, r.op), fields or "—", r.reason)


DEVICE_STATUS = {"pending": "Waiting for approval", "approved": "Approved", "revoked": "Revoked"}


class DevicesModel(_StaffNames, _TextRowsModel[DeviceView]):
    """The practice's workstations. The device id (for support) is the workstation cell's tooltip: as a
    column it pushed the table past 1280 px."""

    headers = ("Workstation", "Status", "Staff", "Enrolled by", "Last contact", "Enrolled",
               "App version")

    def __init__(self, parent: QObject | None = None, *, this_device: str = "") -> None:
        super().__init__(parent)
        self.this_device = this_device
        self.names: dict[str, str] = {}

    def cells(self, d: DeviceView) -> tuple[str, ...]:
        status = DEVICE_STATUS.get(d.status, d.status)
        if d.status == "revoked" and d.revoked_reason:
            status += f" ({d.revoked_reason})"
        name = d.name + (" (this workstation)" if d.id == self.this_device else "")
        staff = ", ".join(self.person(u) for u in d.staff) or "—"
        return (name, status, staff, self.person(d.username), when(d.last_seen_at), when(d.created_at, never="—"),
                d.app_version or "—")

    def tooltip(self, d: DeviceView, column: int) -> str:
        text = self.cells(d)[column]
        return f"{text}\nDevice id: {d.id}" if column == 0 else text

    def colour(self, d: DeviceView, column: int) -> str | None:
        if column != self.headers.index("Status"):
            return None
        return {"pending": "warning", "revoked": ERROR_COLOUR}.get(d.status)


FIELD_LABELS: dict[str, str] = {}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


class ConflictsModel(_TextRowsModel[ConflictView]):
    headers = ("Record", "Field", "Value", "Written by", "Other value", "Written by", "Recorded")

    def __init__(self, parent: QObject | None = None,
                 describe: Callable[[ConflictView], str] | None = None) -> None:
        super().__init__(parent)
        self.describe = describe

    def what(self, c: ConflictView) -> str:
        if self.describe:
            return self.describe(c)
        kind = TABLE_LABELS.get(c.table_name, c.table_name)
        return f"{kind} — {c.client_name}" if c.client_name else kind

    def cells(self, c: ConflictView) -> tuple[str, ...]:
        return (self.what(c), field_label(c.field), value_text(c.device_value), c.author_name or "Unknown",
                value_text(c.hub_value), c.other_author_name or "Unknown", when(c.created_at))

