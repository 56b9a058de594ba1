"""The workstation's hub credential (its refresh token), kept in the operating system's keyring.

The token lets this workstation sync without anyone typing a password, so it is a secret like a
password: it lives in the OS keyring (Keychain, Credential Manager, Secret Service) and nowhere
else. Where the OS offers no keyring (a bare Linux box, a locked-down session), it is kept in memory
for this session only and the user is told once: next time the hub sign-in asks for the password
again. It is never written to a plain file.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

log = logging.getLogger(__name__)

SERVICE = "MentalSpace hub"
NO_KEYRING_MESSAGE = (
    "This computer has no password keyring, so the hub sign-in is kept only until MentalSpace closes. "
    "You will be asked for your password to sync after the next start."
)

_memory: dict[str, str] = {}
_lock = threading.Lock()
_reported = False


def keyring_available(backend: KeyringBackend | None = None) -> bool:
    """False for keyring's 'fail' backend and for a chainer that has nothing to chain."""
    backend = keyring.get_keyring() if backend is None else backend
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def _report_once() -> None:
    global _reported
    if not _reported:
        _reported = True
        log.warning(NO_KEYRING_MESSAGE)


class HubCredential:
    """The refresh token of one device on one hub."""

    def __init__(self, hub_url: str, device_id: str) -> None:
        self.user = f"{hub_url.rstrip('/')}|{device_id}"
        self.warning: str | None = None  # set when the token cannot outlive this session

    def _no_keyring(self) -> None:
        self.warning = NO_KEYRING_MESSAGE
        _report_once()

    def get(self) -> str | None:
        if keyring_available():
            try:
                token = keyring.get_password(SERVICE, self.user)
                if token:
                    return token
            except keyring.errors.KeyringError:
                self._no_keyring()
        with _lock:
            return _memory.get(self.user)

    def set(self, token: str) -> None:
        if keyring_available():
            try:
                keyring.set_password(SERVICE, self.user, token)
                with _lock:
                    _memory.pop(self.user, None)
                return
            except keyring.errors.KeyringError:
                log.warning("the keyring refused the hub token; keeping it in memory for this session")
        self._no_keyring()
        with _lock:
            _memory[self.user] = token

    def delete(self) -> None:
        with _lock:
            _memory.pop(self.user, None)
        if keyring_available():
            with contextlib.suppress(keyring.errors.KeyringError):  # PasswordDeleteError: nothing stored
                keyring.delete_password(SERVICE, self.user)

    @property
    def persistent(self) -> bool:
        """Whether the token survives a restart (it does only in a real keyring)."""
        return keyring_available() and self.warning is None


def forget_session_tokens() -> None:
    """Drop every in-memory token (tests, and signing out of every hub)."""
    with _lock:
        _memory.clear()
