"""What can go wrong when talking to the hub, in words a receptionist understands.

One branch of the application's error tree (:class:`errors.MentalSpaceError`). The scheduler decides
what to do from the class alone: :class:`HubUnreachable` is transient (retry with backoff); the
others need a person (update the app, approve the device, sign in again) or end this device's sync.
"""

from __future__ import annotations

from mentalspace_desktop.errors import MentalSpaceError


class SyncError(MentalSpaceError):
    """Base of every sync failure."""

    transient = False


class NotConnected(SyncError):
    """This store was never connected to a hub (solo mode), or its hub sign-in is missing."""


class HubUnreachable(SyncError):
    """No answer, a dropped connection, a timeout or a gateway error: try again later."""

    transient = True


class HubRejected(SyncError):
    """The hub answered and refused the request; ``detail`` is the hub's own explanation."""

    def __init__(self, message: str, *, status: int = 0, detail: str = "", code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.code = code


class UpdateRequired(HubRejected):
    """This version of MentalSpace Desktop is too old (or too new) for the hub: nothing was synced."""


class DeviceRevoked(HubRejected):
    """An administrator revoked this workstation; its local keys are destroyed."""

    def __init__(self, message: str, *, reason: str = "", status: int = 403, detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail, code="device_revoked")
        self.reason = reason


class DevicePending(HubRejected):
    """The workstation is enrolled but an administrator has not approved it yet."""


class EpochChanged(HubRejected):
    """The hub was restored from a backup (or its scope rules changed): take a fresh snapshot.

    ``scope_only``: only what this workstation may hold changed (its staff or their roles): the hub
    itself lost nothing."""

    def __init__(self, message: str, *, epoch: str, status: int = 409, detail: str = "",
                 scope_only: bool = False) -> None:
        super().__init__(message, status=status, detail=detail,
                         code="scope_changed" if scope_only else "epoch_changed")
        self.epoch = epoch
        self.scope_only = scope_only


class SequenceMismatch(HubRejected):
    """The hub refused a push because its changes do not follow on from the last it holds.

    ``behind``: this store reused sequence numbers the hub holds other changes under (it was
    restored from a backup); otherwise the hub lacks changes it once acknowledged (the hub was
    restored). Nothing was applied; the engine renumbers or re-sends and pushes again."""

    def __init__(self, message: str, *, last_device_seq: int, behind: bool, status: int = 409,
                 detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail,
                         code="device_seq_behind" if behind else "device_seq_gap")
        self.last_device_seq = last_device_seq
        self.behind = behind


class AuthExpired(HubRejected):
    """The hub sign-in of this workstation ended (expired, or revoked after a reused token)."""
