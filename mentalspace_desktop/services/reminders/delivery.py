"""Delivery reports: a provider's word on a message it took (queued, sent, delivered, undelivered,
failed; for calls answered or not), recorded on the message's row.

Twilio may post a report before its answer to our send request has reached us, so before the
message's provider id is recorded: such a report is kept (``early_delivery_reports``) and applied
when the engine records the id, or by the next run of the engine when the two crossed (each in its
own transaction). Nothing a provider reports is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.reminders.outgoing import DeliveryReport, DeliveryState
from mentalspace_desktop.services.reminders.facts import preference_row
from mentalspace_desktop.store.reminder_models import EarlyDeliveryReport, ReminderMessage

CODE_REASONS = {
    "21211": "Not a valid phone number",
    "21614": "Not a mobile number (a landline cannot receive texts)",
    "21610": "The client opted out of texts at their carrier (replied STOP)",
    "30003": "The phone could not be reached",
    "30005": "Unknown or inactive phone number",
    "30006": "A landline or a number that cannot receive texts",
    "30007": "Blocked by the carrier as unwanted",
    "550": "The mailbox does not exist",
}
RANK = {"queued": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "answered": 3, "no_answer": 3}
"""Callbacks may arrive out of order: a report never moves a message back ("sent" after "delivered")."""
KEEP_EARLY = timedelta(days=3)
"""An early report whose message never gets its id (the send's answer was lost) is let go after this."""


def opt_out(s: Session, client_id: str, now: datetime) -> None:
    """Texts to the client stop at once (STOP, or the carrier's 21610)."""
    pref = preference_row(s, client_id)
    pref.allow_sms, pref.sms_opted_out_at = False, now


def apply(s: Session, row: ReminderMessage, report: DeliveryReport, now: datetime) -> None:
    """Move ``row`` to what ``report`` says, unless it says less than the row already knows."""
    if row.state in RANK and RANK[report.state] < RANK[row.state]:
        return
    if row.state == report.state and row.error_code == report.error_code:
        return
    row.state, row.error_code = report.state, report.error_code
    if report.state == "delivered":
        row.delivered_at = report.reported_at
    if report.state in ("undelivered", "failed"):
        row.needs_attention = True
        row.error_reason = CODE_REASONS.get(report.error_code or "", "The provider could not deliver it")
        if report.error_code == "21610" and row.client_id:
            opt_out(s, row.client_id, now)


def record(s: Session, report: DeliveryReport, now: datetime) -> bool:
    """Apply ``report`` to its message; when no message has its provider id yet, keep it for when one
    does and answer False."""
    row = s.scalars(select(ReminderMessage).where(
        ReminderMessage.provider_message_id == report.provider_id).with_for_update()
        .execution_options(populate_existing=True)).first()
    if row is None:
        s.add(EarlyDeliveryReport(provider_message_id=report.provider_id[:64], state=report.state,
                                  error_code=report.error_code, reported_at=report.reported_at))
        return False
    apply(s, row, report, now)
    return True


def apply_early(s: Session, rows: Iterable[ReminderMessage], now: datetime) -> int:
    """Apply the kept reports of ``rows`` (whose provider ids were just recorded), oldest first; how many."""
    by_id = {r.provider_message_id: r for r in rows if r.provider_message_id}
    if not by_id:
        return 0
    early = list(s.scalars(select(EarlyDeliveryReport).where(
        EarlyDeliveryReport.provider_message_id.in_(sorted(by_id))).order_by(EarlyDeliveryReport.reported_at)))
    for kept in early:
        apply(s, by_id[kept.provider_message_id], _report(kept), now)
        s.delete(kept)
    return len(early)


def sweep_early(s: Session, now: datetime) -> int:
    """Apply kept reports whose message has its id by now (a report and the id's recording that
    crossed), and let go of those older than :data:`KEEP_EARLY`; how many were applied."""
    ids = sorted(set(s.scalars(select(EarlyDeliveryReport.provider_message_id))))
    applied = 0
    for start in range(0, len(ids), 500):
        rows = list(s.scalars(select(ReminderMessage).where(
            ReminderMessage.provider_message_id.in_(ids[start:start + 500])).with_for_update()))
        applied += apply_early(s, rows, now)
    s.execute(delete(EarlyDeliveryReport).where(EarlyDeliveryReport.reported_at < now - KEEP_EARLY))
    return applied


def _report(kept: EarlyDeliveryReport) -> DeliveryReport:
    state: DeliveryState = kept.state  # type: ignore[assignment]
    return DeliveryReport(kept.provider_message_id, state, kept.error_code, kept.reported_at)
