"""Scheduling use cases: appointments, series, setup (types, rooms), availability and time off,
waitlist, groups, finding a slot. Each service takes the signed-in :class:`UserSession`."""
