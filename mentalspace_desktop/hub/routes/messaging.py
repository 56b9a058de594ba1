"""Messaging settings on the hub (``/v1/messaging``): administrators read, save and test them.

In practice mode the hub sends every reminder and report e-mail, so the SMTP password and the Twilio
auth token are kept here and nowhere else. They are write-only: no answer carries them (the screen
shows "set"). The test sends run here too, with exactly the settings the reminders will use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from fastapi import APIRouter
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.deps import ApprovedDevice, Hub, HubContext
from mentalspace_desktop.hub.errors import HubError, forbidden, responses
from mentalspace_desktop.hub.messaging_schemas import MessagingOut, SmtpIn, TestIn, TestOut, TwilioIn
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.services import messaging_settings as settings
from mentalspace_desktop.store.models import Practice

router = APIRouter(prefix="/v1/messaging", tags=["messaging"])


def _admin(principal: Principal) -> Principal:
    if principal.role is not Role.ADMIN:
        raise forbidden("Only an administrator can see or change the messaging settings.")
    return principal


def _out(session: Session) -> MessagingOut:
    view = settings.view_of(session, "hub")
    return MessagingOut.model_validate({"smtp": asdict(view.smtp) if view.smtp else None,
                                        "twilio": asdict(view.twilio) if view.twilio else None,
                                        "problem": view.problem})


def _invalid(exc: ValidationError) -> HubError:
    return HubError(422, str(exc), "invalid_settings", fields=sorted(exc.fields), reasons=exc.fields)


@router.get("/settings", response_model=MessagingOut, responses=responses(401, 403, params=False))
def read(principal: ApprovedDevice, hub: Hub) -> MessagingOut:
    _admin(principal)
    with db.read_session(hub.engine) as session:
        return _out(session)


def _save(principal: Principal, hub: HubContext, write: Callable[[Session], object]) -> MessagingOut:
    _admin(principal)
    with hub.sessions() as session:
        try:
            with session.begin():
                write(session)
        except ValidationError as exc:
            raise _invalid(exc) from None
        return _out(session)


@router.put("/settings/smtp", response_model=MessagingOut, responses=responses(401, 403, body=True))
def save_smtp(body: SmtpIn, principal: ApprovedDevice, hub: Hub) -> MessagingOut:
    data = settings.SmtpInput(**body.model_dump())
    return _save(principal, hub, lambda s: settings.write_smtp(s, data, user_id=principal.user_id))


@router.put("/settings/twilio", response_model=MessagingOut, responses=responses(401, 403, body=True))
def save_twilio(body: TwilioIn, principal: ApprovedDevice, hub: Hub) -> MessagingOut:
    data = settings.TwilioInput(**body.model_dump())
    return _save(principal, hub, lambda s: settings.write_twilio(s, data, user_id=principal.user_id))


def _practice(session: Session) -> str:
    from sqlalchemy import select

    return session.scalar(select(Practice.name).where(Practice.deleted.is_(False)).limit(1)) or "Your practice"


@router.post("/test/email", response_model=TestOut, responses=responses(401, 403, body=True))
def test_email(body: TestIn, principal: ApprovedDevice, hub: Hub) -> TestOut:
    """Sends a short e-mail with the saved settings; the answer says whether the server took it."""
    _admin(principal)
    with db.read_session(hub.engine) as session:
        smtp, practice = settings.hub_smtp_settings(session), _practice(session)
    result = settings.send_test_email(smtp, body.to, practice=practice)  # outside any transaction
    return TestOut(ok=result.ok, message=result.message)


@router.post("/test/text", response_model=TestOut, responses=responses(401, 403, body=True))
def test_text(body: TestIn, principal: ApprovedDevice, hub: Hub) -> TestOut:
    """Sends a short text with the saved settings; the answer says whether Twilio took it."""
    _admin(principal)
    with db.read_session(hub.engine) as session:
        twilio, practice = settings.hub_twilio_settings(session), _practice(session)
    result = settings.send_test_text(twilio, body.to, practice=practice)
    return TestOut(ok=result.ok, message=result.message)
