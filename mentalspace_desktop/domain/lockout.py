"""Account lockout: five failed sign-in attempts lock an account for fifteen minutes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=15)


@dataclass(frozen=True)
class AttemptState:
    failed: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> AttemptState:
        """The state after one more failed attempt; the fifth in a row starts a lock."""
        if self.locked_until is not None and now >= self.locked_until:
            self = AttemptState()  # an expired lock starts a fresh count
        failed = self.failed + 1
        if failed >= MAX_FAILED_ATTEMPTS:
            return AttemptState(failed=failed, locked_until=now + LOCK_DURATION)
        return replace(self, failed=failed)

    def after_success(self) -> AttemptState:
        return AttemptState()

    def attempts_left(self) -> int:
        return max(0, MAX_FAILED_ATTEMPTS - self.failed)
