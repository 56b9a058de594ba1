"""Documents (PDF, images) kept inside the encrypted store, sealed like any clinical text."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.common import (
    ChartDidChange,
    open_text,
    require_clinical,
    seal_of,
    seal_text,
    user_name,
)
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import Attachment

MAX_BYTES = 10 * 1024 * 1024
# What a document may be, told by its first bytes (not by its name).
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class AttachmentLine:
    id: str
    title: str
    media_type: str
    size_bytes: int
    added_on: date
    added_by: str


def media_type_of(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


class AttachmentService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    def add(self, client_id: str, path: Path, *, title: str = "", note_id: str | None = None) -> str:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValidationError({"file": f"Cannot read {path.name}: {exc.strerror or exc}."}) from None
        if size > MAX_BYTES:
            raise ValidationError({"file": f"{path.name} is {size / 1e6:.1f} MB; documents can be at most "
                                           f"{MAX_BYTES // (1024 * 1024)} MB."})
        data = path.read_bytes()
        kind = media_type_of(data)
        if kind is None:
            raise ValidationError({"file": f"{path.name} is not a PDF, PNG or JPEG document."})
        seal_of(self.session)
        me = self.session.actor.user_id
        with self.session.store.write(me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            row = Attachment(client_id=client_id, note_id=note_id, title="", media_type=kind, size_bytes=len(data),
                             added_on=self.today(), added_by=me, data="")
            s.add(row)
            s.flush()
            row.title = seal_text(self.session, title.strip() or path.name, "attachments", "title", row.id)
            row.data = seal_text(self.session, base64.b64encode(data).decode(), "attachments", "data", row.id)
            audit.record(self.session, s, action="document_added", record_type="attachment", record_id=row.id,
                         client_id=client_id, summary=kind)
        self.session.events.emit(ChartDidChange(client_id, "attachment", row.id))
        return row.id

    def list(self, client_id: str) -> list[AttachmentLine]:
        seal_of(self.session)
        with self.session.store.read() as s:
            require_clinical(self.session, s, client_id, Action.READ)
            rows = s.execute(select(Attachment.id, Attachment.title, Attachment.media_type, Attachment.size_bytes,
                                    Attachment.added_on, Attachment.added_by)
                             .where(Attachment.client_id == client_id, Attachment.deleted.is_(False))
                             .order_by(Attachment.added_on.desc())).all()
            return [AttachmentLine(r.id, open_text(self.session, r.title, "attachments", "title", r.id), r.media_type,
                                   r.size_bytes, r.added_on, user_name(s, r.added_by)) for r in rows]

    def read(self, attachment_id: str) -> tuple[str, bytes]:
        """The document's media type and bytes; an audited read."""
        seal_of(self.session)
        with self.session.store.write(self.session.actor.user_id) as s:
            row = s.get(Attachment, attachment_id)
            if row is None or row.deleted:
                raise NotFound("That document does not exist.")
            require_clinical(self.session, s, row.client_id, Action.READ)
            data = base64.b64decode(open_text(self.session, row.data, "attachments", "data", row.id))
            audit.record(self.session, s, action="document_viewed", record_type="attachment", record_id=row.id,
                         client_id=row.client_id)
        return row.media_type, data
