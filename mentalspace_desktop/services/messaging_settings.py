"""Messaging settings: the SMTP server for e-mail and the Twilio account for texts and calls.

Secrets live only where sending happens (``store/messaging_models.py``): on the hub in practice mode,
in this workstation's encrypted store in solo mode. So:

- **What senders call.** The reminder engine and the weekly report e-mail ask for ready-to-use
  settings: :func:`smtp_settings` / :func:`twilio_settings` on a workstation's store (solo mode), and
  :func:`hub_smtp_settings` / :func:`hub_twilio_settings` with a session on the hub's database.
  ``None`` means "not set up": a reminder for that channel waits with that reason.
- **What the administrator's screen calls.** :class:`MessagingSettingsService` reads and saves the
  settings and sends a test — in the local store in solo mode, through the hub's administrator-only
  endpoints in practice mode. A secret is write-only: the screen learns only whether one is set;
  saving without a new one keeps the old.

Validation happens here (and the hub runs the same functions), so the screen, the hub endpoint and
the command line refuse the same mistakes with the same words.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
import weakref
from dataclasses import asdict, dataclass, replace
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.integrations.smtp_mail import SmtpSettings
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.clinical_seal import ClinicalSeal, is_sealed
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.messaging_models import MessagingSetting
from mentalspace_desktop.store.types import utcnow

if TYPE_CHECKING:
    from mentalspace_desktop.domain.reminders.outgoing import Accepted, Channel, ChannelName, Outgoing
    from mentalspace_desktop.integrations.twilio_rest import TwilioSettings
    from mentalspace_desktop.services.sync_status import SharedHubClient

SMTP = "smtp"
TWILIO = "twilio"
TWILIO_API = "https://api.twilio.com"  # as integrations.twilio_rest (not imported: twilio loads slowly)
_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]+\]?$")
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


# -- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpInput:
    """What the administrator enters; ``password`` None keeps the one already saved."""

    host: str
    port: int = 587
    username: str = ""
    password: str | None = None
    sender: str = ""
    starttls: bool = True
    cafile: str | None = None
    """Not on the screen: a certificate authority to trust besides the system's (a practice's own
    relay); None keeps the saved one, "" removes it."""


@dataclass(frozen=True)
class TwilioInput:
    """What the administrator enters; ``auth_token`` None keeps the one already saved."""

    account_sid: str
    auth_token: str | None = None
    from_number: str = ""
    webhook_base: str = ""
    api_base: str = TWILIO_API
    """Not on the screen: a Twilio region's host, or a Twilio-speaking server in tests."""


@dataclass(frozen=True)
class SmtpView:
    host: str
    port: int
    username: str
    sender: str
    starttls: bool
    password_set: bool


@dataclass(frozen=True)
class TwilioView:
    account_sid: str
    from_number: str
    webhook_base: str
    auth_token_set: bool


@dataclass(frozen=True)
class MessagingView:
    """The settings as the administrator's screen shows them: never a secret, only whether it is set."""

    smtp: SmtpView | None
    twilio: TwilioView | None
    kept_on: Literal["hub", "workstation"]
    problem: str | None = None  # why nothing can be sent (the hub started without its secrets key)


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str


# -- validation -----------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _email_address(text: str) -> str:
    address = parseaddr(text)[1]
    local, _, domain = address.rpartition("@")
    return address if local and "." in domain and " " not in address else ""


def clean_smtp(data: SmtpInput, *, password_saved: bool) -> SmtpInput:
    """``data`` trimmed, or ValidationError naming each wrong field in words an administrator reads."""
    errors: dict[str, str] = {}
    host = data.host.strip()
    if not host:
        errors["host"] = "Enter the e-mail server's name (e.g. smtp.office365.com)."
    elif not _HOST.match(host):
        errors["host"] = f"“{host}” is not a server name."
    if not 1 <= int(data.port) <= 65535:
        errors["port"] = "The port is a number from 1 to 65535 (usually 587)."
    sender = data.sender.strip()
    if not _email_address(sender):
        errors["sender"] = "Enter the sender as an address, e.g. Riverside Counseling <frontdesk@riverside.example>."
    username = data.username.strip()
    password = data.password if data.password else None
    if username and password is None and not password_saved:
        errors["password"] = f"Enter the password for {username}."
    if not data.starttls and host and not _is_loopback(host):
        errors["starttls"] = ("Without STARTTLS the password and every message cross the network unencrypted; "
                              "only a relay on this computer may go without it.")
    if errors:
        raise ValidationError(errors)
    return SmtpInput(host, int(data.port), username, password, sender, data.starttls,
                     None if data.cafile is None else data.cafile.strip())


def _url(text: str, what: str) -> str:
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"Enter {what} as an address such as https://hub.riverside.example.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"{what[0].upper()}{what[1:]} must start with https:// (Twilio signs what it sends, but "
                         "only an encrypted connection keeps replies private).")
    return url


def clean_twilio(data: TwilioInput, *, token_saved: bool) -> TwilioInput:
    errors: dict[str, str] = {}
    sid = data.account_sid.strip()
    if not _SID.match(sid):
        errors["account_sid"] = "The account SID is “AC” followed by 32 letters and digits (Twilio's console shows it)."
    token = data.auth_token.strip() if data.auth_token else None
    if token is None and not token_saved:
        errors["auth_token"] = "Enter the auth token (Twilio's console shows it beside the account SID)."
    elif token is not None and not _TOKEN.match(token):
        errors["auth_token"] = "The auth token is 32 letters and digits."
    number = ""
    try:
        parsed = phonenumbers.parse(data.from_number.strip(), "US")
        if phonenumbers.is_valid_number(parsed):
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    if not number:
        errors["from_number"] = "Enter the practice's Twilio number, e.g. +1 404 555 0100."
    webhook = ""
    if data.webhook_base.strip():
        try:
            webhook = _url(data.webhook_base, "the hub's public address")
        except ValueError as exc:
            errors["webhook_base"] = str(exc)
    api = TWILIO_API
    if data.api_base.strip() and data.api_base.strip().rstrip("/") != TWILIO_API:
        try:
            api = _url(data.api_base, "Twilio's address")
        except ValueError as exc:
            errors["api_base"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return TwilioInput(sid, token, number, webhook, api)


# -- secrets at rest on the hub ---------------------------------------------------------------------
# A workstation keeps its secrets in its SQLCipher store, encrypted with everything else. The hub's
# database may be PostgreSQL (or an older, unencrypted SQLite file), so there each secret is sealed
# (AES-256-GCM, the field's name as associated data: a sealed token copied into the password field
# does not open) under a key kept outside the database: ``hub.settings`` reads it from the
# environment or from a file beside the hub's config, and the hub hands it over at start
# (:func:`use_secret_key`). A hub started without it keeps running; it only cannot open the secrets,
# and says so wherever they are needed (a test message, a reminder waiting to be sent).


class SecretsLocked(Exception):
    """The hub holds sealed messaging secrets but was not given the key that opens them."""


@dataclass(frozen=True)
class _HubSecrets:
    seal: ClinicalSeal | None  # None: the hub started without its key
    missing: str  # what to tell the administrator when it is missing


_HUB_SECRETS: weakref.WeakKeyDictionary[Engine, _HubSecrets] = weakref.WeakKeyDictionary()


def use_secret_key(engine: Engine, key: bytes | None, *, missing: str) -> None:
    """Tell this module that ``engine`` is a hub database whose secrets are sealed under ``key``
    (None: the key is missing; ``missing`` says where it should be, in words for the administrator)."""
    _HUB_SECRETS[engine] = _HubSecrets(ClinicalSeal(key) if key is not None else None, missing)


def _hub_secrets(session: Session) -> _HubSecrets | None:
    """The hub's sealing for this session's database; None on a workstation's store."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _HUB_SECRETS.get(engine)


def _context(name: str) -> str:
    return f"messaging_settings.secret:{name}"


def _open_secret(session: Session, row: MessagingSetting) -> str:
    """The row's secret in the clear; SecretsLocked when it is sealed and the key is missing."""
    if not is_sealed(row.secret):
        return row.secret
    hub = _hub_secrets(session)
    if hub is None or hub.seal is None:
        raise SecretsLocked(hub.missing if hub is not None else
                            "The messaging secrets are sealed and this program was not given their key.")
    try:
        return hub.seal.open(row.secret, context=_context(row.name))
    except Exception as exc:  # StoreCorrupt: another key, or a value moved from another field
        raise SecretsLocked(f"The saved {row.name.upper()} secret does not open with this hub's key: the "
                            "key file belongs to another hub, or the value was altered. Enter it again "
                            "on the Messaging settings screen.") from exc


def _sealed_for(session: Session, name: str, secret: str) -> str:
    """``secret`` as it is stored here: sealed on the hub, as it is in a workstation's store."""
    hub = _hub_secrets(session)
    if hub is None or not secret:
        return secret
    if hub.seal is None:
        raise ValidationError({"secret": hub.missing}, hub.missing)
    return hub.seal.seal(secret, context=_context(name))


def seal_clear_secrets(session: Session) -> int:
    """Seal every secret still stored in the clear (saved before the hub sealed them); how many.
    Run once the hub has its key (``use_secret_key``), in the caller's transaction."""
    sealed = 0
    for row in session.scalars(select(MessagingSetting)):
        if row.secret and not is_sealed(row.secret):
            row.secret = _sealed_for(session, row.name, row.secret)
            sealed += 1
    return sealed


def holds_sealed_secrets(session: Session) -> bool:
    return any(is_sealed(v) for v in session.scalars(select(MessagingSetting.secret)))


@dataclass(frozen=True)
class LockedSmtpSettings(SmtpSettings):
    """The hub's SMTP settings when their password cannot be opened: nothing is sent with them."""

    locked: str = ""


def _locked_twilio() -> type[Any]:
    from mentalspace_desktop.integrations.twilio_rest import TwilioSettings

    global _LOCKED_TWILIO
    if _LOCKED_TWILIO is None:
        @dataclass(frozen=True)
        class LockedTwilioSettings(TwilioSettings):
            """The hub's Twilio settings when their auth token cannot be opened."""

            locked: str = ""

        _LOCKED_TWILIO = LockedTwilioSettings
    return _LOCKED_TWILIO


_LOCKED_TWILIO: type[Any] | None = None  # made on first use: twilio_rest loads slowly


def locked_reason(settings: object) -> str | None:
    """Why these settings cannot send (the hub's secret key is missing), or None when they can."""
    reason = getattr(settings, "locked", None)
    return str(reason) if reason else None


class LockedChannel:
    """A channel whose secret cannot be opened: every message waits, saying why (never sent without it)."""

    def __init__(self, name: ChannelName, reason: str) -> None:
        self.name = name
        self.reason = reason

    def send(self, message: Outgoing) -> Accepted:
        from mentalspace_desktop.domain.reminders.outgoing import SendFailed

        raise SendFailed(self.reason, permanent=False, code="secrets_locked")


# -- the table, on a workstation's store or the hub's database ------------------------------------


def _row(session: Session, name: str) -> MessagingSetting | None:
    return session.scalar(select(MessagingSetting).where(MessagingSetting.name == name))


def read_smtp(session: Session) -> SmtpSettings | None:
    row = _row(session, SMTP)
    if row is None:
        return None
    config = json.loads(row.config)
    values: dict[str, Any] = {
        "host": config["host"], "port": int(config["port"]), "username": config.get("username", ""),
        "sender": config.get("sender", ""), "starttls": bool(config.get("starttls", True)),
        "cafile": config.get("cafile") or None}
    try:
        return SmtpSettings(password=_open_secret(session, row), **values)
    except SecretsLocked as exc:
        return LockedSmtpSettings(password="", locked=str(exc), **values)


def read_twilio(session: Session) -> TwilioSettings | None:
    from mentalspace_desktop.integrations.twilio_rest import TwilioSettings

    row = _row(session, TWILIO)
    if row is None:
        return None
    config = json.loads(row.config)
    values: dict[str, Any] = {
        "account_sid": config["account_sid"], "from_number": config.get("from_number", ""),
        "webhook_base": config.get("webhook_base", ""), "api_base": config.get("api_base") or TWILIO_API}
    try:
        return TwilioSettings(auth_token=_open_secret(session, row), **values)
    except SecretsLocked as exc:
        settings: TwilioSettings = _locked_twilio()(auth_token="", locked=str(exc), **values)
        return settings


def view_of(session: Session, kept_on: Literal["hub", "workstation"]) -> MessagingView:
    smtp, twilio = _row(session, SMTP), _row(session, TWILIO)
    smtp_view = twilio_view = None
    if smtp is not None:
        c = json.loads(smtp.config)
        smtp_view = SmtpView(c["host"], int(c["port"]), c.get("username", ""), c.get("sender", ""),
                             bool(c.get("starttls", True)), bool(smtp.secret))
    if twilio is not None:
        c = json.loads(twilio.config)
        twilio_view = TwilioView(c["account_sid"], c.get("from_number", ""), c.get("webhook_base", ""),
                                 bool(twilio.secret))
    hub = _hub_secrets(session)
    problem = hub.missing if hub is not None and hub.seal is None else None
    return MessagingView(smtp_view, twilio_view, kept_on, problem[:1].upper() + problem[1:] if problem else None)


def _put(session: Session, name: str, config: dict[str, Any], secret: str | None, user_id: str | None) -> None:
    row = _row(session, name)
    if row is None:
        row = MessagingSetting(name=name, config="{}", secret="")
        session.add(row)
    row.config = json.dumps(config, sort_keys=True)
    if secret is not None:
        row.secret = _sealed_for(session, name, secret)
    row.updated_at = utcnow()
    row.updated_by = user_id


def write_smtp(session: Session, data: SmtpInput, *, user_id: str | None) -> SmtpInput:
    """Validate and save (in the caller's transaction); the secret is kept when none is given."""
    row = _row(session, SMTP)
    clean = clean_smtp(data, password_saved=bool(row and row.secret))
    saved_cafile = json.loads(row.config).get("cafile", "") if row is not None else ""
    config = {"host": clean.host, "port": clean.port, "username": clean.username, "sender": clean.sender,
              "starttls": clean.starttls, "cafile": saved_cafile if clean.cafile is None else clean.cafile}
    # A server without a user name takes no password: do not keep one it would never be sent.
    secret = clean.password if clean.username else ""
    _put(session, SMTP, config, secret, user_id)
    return clean


def write_twilio(session: Session, data: TwilioInput, *, user_id: str | None) -> TwilioInput:
    row = _row(session, TWILIO)
    clean = clean_twilio(data, token_saved=bool(row and row.secret))
    config = {"account_sid": clean.account_sid, "from_number": clean.from_number,
              "webhook_base": clean.webhook_base, "api_base": clean.api_base}
    _put(session, TWILIO, config, clean.auth_token, user_id)
    return clean


# -- what senders call ----------------------------------------------------------------------------


def smtp_settings(store: Store) -> SmtpSettings | None:
    """The workstation's SMTP settings (solo mode), or None when e-mail is not set up."""
    with store.read() as session:
        return read_smtp(session)


def twilio_settings(store: Store) -> TwilioSettings | None:
    """The workstation's Twilio settings (solo mode), or None when texts and calls are not set up."""
    with store.read() as session:
        return read_twilio(session)


def hub_smtp_settings(session: Session) -> SmtpSettings | None:
    """The hub's SMTP settings (practice mode), read with a session on the hub's database."""
    return read_smtp(session)


def hub_twilio_settings(session: Session) -> TwilioSettings | None:
    """The hub's Twilio settings (practice mode), read with a session on the hub's database."""
    return read_twilio(session)


def channels(smtp: SmtpSettings | None, twilio: TwilioSettings | None, *, practice_phone: str = "",
             pool_size: int = 8) -> dict[ChannelName, Channel]:
    """The channels these settings can send through; a channel without settings is missing (its
    reminders wait, with "not set up" as the reason). Close the Twilio ones when done (``close()``):
    they keep connections open for the next reminder."""
    from mentalspace_desktop.integrations.reminder_email import EmailChannel
    from mentalspace_desktop.integrations.twilio_sms import TwilioSmsChannel
    from mentalspace_desktop.integrations.twilio_voice import TwilioVoiceChannel

    made: dict[ChannelName, Channel] = {}
    smtp_locked, twilio_locked = locked_reason(smtp), locked_reason(twilio)
    if smtp_locked:
        made["email"] = LockedChannel("email", smtp_locked)
    elif smtp is not None:
        made["email"] = EmailChannel(smtp)
    if twilio_locked:
        made["sms"] = LockedChannel("sms", twilio_locked)
        made["voice"] = LockedChannel("voice", twilio_locked)
    elif twilio is not None:
        made["sms"] = TwilioSmsChannel(twilio, pool_size=pool_size)
        made["voice"] = TwilioVoiceChannel(twilio, pool_size=pool_size, practice_phone=practice_phone)
    return made


# -- the tests the administrator runs ---------------------------------------------------------------


def send_test_email(settings: SmtpSettings | None, to: str, *, practice: str) -> TestResult:
    """A short e-mail to ``to`` through ``settings``; the result says what happened, in words."""
    from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
    from mentalspace_desktop.integrations.reminder_email import EmailChannel

    if settings is None:
        return TestResult(False, "E-mail is not set up yet: save the e-mail settings first.")
    if locked := locked_reason(settings):
        return TestResult(False, f"The test e-mail was not sent: {locked}")
    address = _email_address(to)
    if not address:
        return TestResult(False, f"“{to}” is not an e-mail address.")
    message = Outgoing(key=f"test|{uuid.uuid4()}", channel="email", to=address, subject=f"Test message from {practice}",
                       text=f"This is a test from {practice}'s practice management system. E-mail reminders "
                            "and reports will be sent this way.")
    try:
        EmailChannel(settings).send(message)
    except SendFailed as exc:
        return TestResult(False, f"The test e-mail was not sent: {exc.reason}")
    return TestResult(True, f"A test e-mail was sent to {address}. Check that it arrived (and not as junk).")


def send_test_text(settings: TwilioSettings | None, to: str, *, practice: str) -> TestResult:
    """A short text message to ``to`` through ``settings``."""
    from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
    from mentalspace_desktop.integrations.twilio_sms import TwilioSmsChannel

    if settings is None:
        return TestResult(False, "Text messages are not set up yet: save the text and voice settings first.")
    if locked := locked_reason(settings):
        return TestResult(False, f"The test text was not sent: {locked}")
    try:
        number = phonenumbers.format_number(phonenumbers.parse(to.strip(), "US"),
                                            phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return TestResult(False, f"“{to}” is not a phone number.")
    channel = TwilioSmsChannel(replace(settings, webhook_base=""))  # a test's delivery report is no reminder's
    try:
        channel.send(Outgoing(key=f"test|{uuid.uuid4()}", channel="sms", to=number,
                              text=f"Test message from {practice}: text reminders are set up."))
    except SendFailed as exc:
        return TestResult(False, f"The test text was not sent: {exc.reason}")
    finally:
        channel.close()
    return TestResult(True, f"Twilio accepted a test text to {number}. Check that it arrived.")


# -- the administrator's screen -------------------------------------------------------------------


def _view_from_json(data: dict[str, Any]) -> MessagingView:
    smtp, twilio = data.get("smtp"), data.get("twilio")
    return MessagingView(SmtpView(**smtp) if smtp else None, TwilioView(**twilio) if twilio else None, "hub",
                         data.get("problem"))


class MessagingSettingsService:
    """Reads, saves and tests the settings where they are kept; administrators only (the hub checks
    again). ``client`` is the store's shared hub client in practice mode, None in solo mode."""

    def __init__(self, session: UserSession, client: SharedHubClient | None = None) -> None:
        self.session = session
        self.client = client

    @property
    def on_hub(self) -> bool:
        return self.client is not None

    def _check(self) -> None:
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)

    def view(self) -> MessagingView:
        self._check()
        if self.client is not None:
            return _view_from_json(self.client.call("GET", "/v1/messaging/settings"))
        with self.session.store.read() as s:
            return view_of(s, "workstation")

    def save_smtp(self, data: SmtpInput) -> MessagingView:
        self._check()
        if self.client is not None:
            clean_smtp(data, password_saved=True)  # the same words before the round trip; the hub checks again
            return _view_from_json(self.client.call("PUT", "/v1/messaging/settings/smtp", json=asdict(data)))
        with self.session.store.write(self.session.actor.user_id) as s:
            write_smtp(s, data, user_id=self.session.actor.user_id)
            audit.record(self.session, s, action="settings_changed", record_type="messaging", record_id=SMTP,
                         summary="e-mail settings")
        return self.view()

    def save_twilio(self, data: TwilioInput) -> MessagingView:
        self._check()
        if self.client is not None:
            clean_twilio(data, token_saved=True)
            return _view_from_json(self.client.call("PUT", "/v1/messaging/settings/twilio", json=asdict(data)))
        with self.session.store.write(self.session.actor.user_id) as s:
            write_twilio(s, data, user_id=self.session.actor.user_id)
            audit.record(self.session, s, action="settings_changed", record_type="messaging", record_id=TWILIO,
                         summary="text and voice settings")
        return self.view()

    def test_email(self, to: str) -> TestResult:
        self._check()
        if self.client is not None:
            return TestResult(**self.client.call("POST", "/v1/messaging/test/email", json={"to": to}))
        return send_test_email(smtp_settings(self.session.store), to, practice=self._practice())

    def test_text(self, to: str) -> TestResult:
        self._check()
        if self.client is not None:
            return TestResult(**self.client.call("POST", "/v1/messaging/test/text", json={"to": to}))
        return send_test_text(twilio_settings(self.session.store), to, practice=self._practice())

    def _practice(self) -> str:
        return self.session.store.practice_name() or "Your practice"
