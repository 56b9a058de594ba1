"""One exception tree for the whole application.

Every error a user can meet derives from :class:`MentalSpaceError` and carries a message written for
the person at the desk, not for a developer. The GUI turns these into dialogs in one place; the
command line prints the message and exits non-zero.
"""

from __future__ import annotations


class MentalSpaceError(Exception):
    """Base of every error the application reports to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(MentalSpaceError):
    """The signed-in user's role does not allow this action."""


class ValidationError(MentalSpaceError):
    """Input was refused; ``fields`` maps each field name to what is wrong with it."""

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        self.fields = dict(fields)
        summary = message or "Please correct: " + "; ".join(f"{v}" for v in self.fields.values())
        super().__init__(summary)


class NotFound(MentalSpaceError):
    """A record that was asked for does not exist (or is not visible to this user)."""


class AuthenticationError(MentalSpaceError):
    """A sign-in step failed (wrong user name, password or one-time code)."""


class AccountLocked(AuthenticationError):
    """Too many failed attempts; the account is locked until ``until`` (UTC)."""

    def __init__(self, message: str, until: object) -> None:
        super().__init__(message)
        self.until = until


class AccountInactive(AuthenticationError):
    """The account was deactivated by an administrator."""


class StoreError(MentalSpaceError):
    """The local encrypted store cannot be used."""


class StoreCorrupt(StoreError):
    """The store file is damaged, truncated or not a MentalSpace store."""


class StoreTooNew(StoreError):
    """The store was written by a newer version of the application."""


class StoreExists(StoreError):
    """A store already exists where a new one was to be created."""


class BackupError(MentalSpaceError):
    """A backup could not be written, or a file is not a usable backup."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than the busy timeout."""
