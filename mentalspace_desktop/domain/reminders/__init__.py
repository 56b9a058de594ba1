"""Appointment reminders: rules, templates, timing, replies (pure; no database, no network)."""
