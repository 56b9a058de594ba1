"""Appointment reminders on screen: rules and templates, the Messages inbox, histories and consent."""
