"""Appointment reminders: the engine (planner and sender, the hub's job and the solo app's timer),
replies and delivery reports, the administrator's rules and templates, and the front desk's preview,
history, inbox and consent. See docs/reminders-api.md."""
