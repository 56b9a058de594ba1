"""How a reminder, its state and a client's reply are named on screen and in the chart's timeline (the
words live once, for the reminder screens and the client service alike)."""

from __future__ import annotations

KIND_LABELS = {"reminder": "Reminder", "updated": "Moved", "cancelled": "Cancelled",
               "reply_confirmed": "Answer: confirmed", "reply_cancelled": "Answer: cancelled", "help": "Help answer"}
STATE_LABELS = {"sending": "Sending", "queued": "Queued", "sent": "Sent", "delivered": "Delivered",
                "retry": "Will retry", "failed": "Failed", "undelivered": "Not delivered",
                "uncertain": "Uncertain (check)", "skipped": "Skipped", "withdrawn": "Withdrawn",
                "answered": "Answered", "no_answer": "No answer"}
INTENT_LABELS = {"confirm": "Confirmed", "cancel": "Cancelled", "opt_out": "STOP", "opt_in": "START",
                 "help": "HELP", "other": "Other reply"}
ACTION_LABELS = {"confirmed": "Appointment confirmed", "cancelled": "Appointment cancelled",
                 "opted_out": "Texts stopped", "opted_in": "Texts restarted", "help": "Answered with help",
                 "inbox": "In the Messages inbox", "duplicate": "Duplicate"}


def history_words(direction: str, channel_label: str, kind: str, state: str, text: str,
                  error: str) -> tuple[str, str]:
    """(what happened, how it went) of a message sent or a reply received, for the chart's timeline."""
    if direction == "in":
        said = " ".join(text.split())
        said = said if len(said) <= 60 else said[:59] + "…"
        return (f"Reply by {channel_label.lower()}: {INTENT_LABELS.get(kind, kind)}",
                f"“{said}” — {ACTION_LABELS.get(state, state)}")
    how = STATE_LABELS.get(state, state)
    return f"{KIND_LABELS.get(kind, kind)} by {channel_label.lower()}", f"{how}: {error}" if error else how
