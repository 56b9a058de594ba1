"""Pure scheduling rules: times, conflicts, availability, recurrence, booking guards, no-show risk,
waitlist priority, slot finding and plain-phrase parsing. No Qt, no SQLAlchemy, no I/O."""
