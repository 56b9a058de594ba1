"""No-show risk of an upcoming appointment, with the factors that make it.

A logistic score over what the practice knows before the visit: the client's past no-shows and late
cancellations (smoothed, so one miss in two visits does not read as 50 %), how far ahead it was
booked, the time of day, whether the client is new and whether the visit is confirmed — and what
reminders tell: whether the client answers them (smoothed the same way, so one unanswered text says
little), whether this visit was confirmed by a reply, and whether its reminder could not be delivered
(the client may not know about the visit). The weights are set by hand from what practices report;
``benchmarks/bench_no_show_risk.py`` measures how well they rank real no-shows on the demo history.

:func:`no_show_score` (the calendar's fast path) and :func:`no_show_risk` (with words) add the same
weights in the same order — the client's (:func:`client_odds`, worked out once per client by a
calendar read) then the visit's (:func:`visit_score`) — so they give the same score for every input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class History:
    """The client's past appointments, counted."""

    completed: int = 0
    no_shows: int = 0
    late_cancels: int = 0


@dataclass(frozen=True)
class ReminderRecord:
    """The client's reminders so far, counted per appointment reminded before now.

    ``reminded``: appointments a reminder reached (the provider took it); of those ``confirmed`` and
    ``cancelled`` were answered by a reply. ``undelivered``: appointments whose every reminder failed
    (an invalid or landline number) — not counted as unanswered: the client never saw them.
    """

    reminded: int = 0
    confirmed: int = 0
    cancelled: int = 0
    undelivered: int = 0

    @property
    def answered(self) -> int:
        return self.confirmed + self.cancelled


@dataclass(frozen=True)
class ReminderState:
    """This appointment's reminders so far."""

    reminded: bool = False  # a reminder reached the provider
    confirmed_by_reply: bool = False
    undelivered: bool = False  # a reminder failed and none got through: the client may not know


NO_REMINDERS = ReminderRecord()
NOT_REMINDED = ReminderState()


@dataclass(frozen=True)
class Factor:
    label: str
    weight: float  # contribution to the log-odds; positive raises the risk


@dataclass(frozen=True)
class Risk:
    score: float  # probability-like, 0…1
    level: str  # low, medium, high
    factors: tuple[Factor, ...]

    def explain(self) -> str:
        """The factors in words, strongest first."""
        shown = [f.label for f in sorted(self.factors, key=lambda f: -abs(f.weight)) if abs(f.weight) >= 0.1]
        return "; ".join(shown) if shown else "nothing unusual"


BASE = -2.6  # a typical practice sees 5–10 % no-shows
PRIOR_NO_SHOW, PRIOR_LATE, PRIOR_WEIGHT = 0.08, 0.05, 4  # the smoothing: four visits at the usual rates
NEW_CLIENT, RELIABLE = 0.6, -0.5
EARLY, EVENING, MONDAY = 0.35, 0.2, 0.15
CONFIRMED, UNCONFIRMED, BOOKED_LATELY = -0.7, 0.4, -0.3
# Reminders. Answering is smoothed towards half of reminders answered, as if three more had been sent:
# a client who answered 5 of 6 reads as about 72 %, one who answered none of 1 as 38 %, not 0 %.
PRIOR_ANSWER, ANSWER_PRIOR_WEIGHT, ANSWERING = 0.5, 3, 2.0
CONFIRMED_BY_REPLY = -0.9  # the client answered this visit's reminder: stronger than a desk's call
NO_ANSWER_YET = 0.25  # reminded, not answered and not confirmed otherwise
UNDELIVERED, FAILING_NUMBER = 0.6, 0.4


def _history_weights(history: History) -> tuple[float, float, float, float]:
    """(new client, past no-shows, late cancellations, attends reliably): the history's log-odds."""
    visits = history.completed + history.no_shows + history.late_cancels
    if visits == 0:
        return NEW_CLIENT, 0.0, 0.0, 0.0
    ns_rate = (history.no_shows + PRIOR_NO_SHOW * PRIOR_WEIGHT) / (visits + PRIOR_WEIGHT)
    lc_rate = (history.late_cancels + PRIOR_LATE * PRIOR_WEIGHT) / (visits + PRIOR_WEIGHT)
    return (0.0, 6.0 * (ns_rate - PRIOR_NO_SHOW) if history.no_shows else 0.0,
            3.0 * (lc_rate - PRIOR_LATE) if history.late_cancels else 0.0,
            RELIABLE if history.no_shows == 0 and history.completed >= 5 else 0.0)


def _answer_weight(record: ReminderRecord) -> float:
    """How the client's answering of past reminders moves the log-odds (0 without reminders)."""
    if record.reminded == 0:
        return 0.0
    rate = (record.answered + PRIOR_ANSWER * ANSWER_PRIOR_WEIGHT) / (record.reminded + ANSWER_PRIOR_WEIGHT)
    return ANSWERING * (PRIOR_ANSWER - rate)


def _failing_number(record: ReminderRecord, state: ReminderState) -> bool:
    """Reminders to this client mostly fail, and none has reached them about this visit yet."""
    return (not state.reminded and not state.undelivered and record.undelivered >= 2
            and record.undelivered > record.reminded)


def _lead_weight(lead_days: float) -> float:
    if lead_days >= 21:
        return min(0.9, 0.02 * lead_days)
    return BOOKED_LATELY if lead_days < 2 else 0.0


def _confirmation_weight(confirmed: bool, state: ReminderState) -> float:
    if confirmed:
        return CONFIRMED_BY_REPLY if state.confirmed_by_reply else CONFIRMED
    return UNCONFIRMED


@dataclass(frozen=True)
class ClientOdds:
    """The client's part of the score: the same for every visit of theirs, so a calendar of a thousand
    visits works it out once per client (:func:`client_odds`) and adds each visit's own part
    (:func:`visit_score`)."""

    logit: float  # BASE plus the weights of the history and of the reminder record, added in order
    record: ReminderRecord  # what the visit's part still reads (are reminders to this client failing)


def _client_weights(history: History, record: ReminderRecord) -> list[float]:
    """(new client, past no-shows, late cancellations, attends reliably, answers reminders)."""
    return [*_history_weights(history), _answer_weight(record)]


def _visit_weights(lead_days: float, hour: int, weekday: int, confirmed: bool, record: ReminderRecord,
                   state: ReminderState) -> list[float]:
    """(lead time, time of day, Monday, confirmation, reminded without answer, undelivered)."""
    return [_lead_weight(lead_days), EARLY if hour < 9 else EVENING if hour >= 17 else 0.0,
            MONDAY if weekday == 0 else 0.0, _confirmation_weight(confirmed, state),
            NO_ANSWER_YET if state.reminded and not confirmed and not state.undelivered else 0.0,
            UNDELIVERED if state.undelivered else FAILING_NUMBER if _failing_number(record, state) else 0.0]


def _logit(start: float, weights: list[float]) -> float:
    """``start`` plus the weights, added left to right: the one order every path adds them in (so the
    client's part added first gives the very same float as all of them added at once)."""
    for w in weights:
        start += w
    return start


def _probability(logit: float) -> float:
    return round(1 / (1 + math.exp(-logit)), 3)


def client_odds(history: History, reminders: ReminderRecord = NO_REMINDERS) -> ClientOdds:
    """The client's part of every one of their visits' scores."""
    return ClientOdds(_logit(BASE, _client_weights(history, reminders)), reminders)


def visit_score(client: ClientOdds, *, lead_days: float, hour: int, weekday: int, confirmed: bool,
                reminder: ReminderState = NOT_REMINDED) -> float:
    """:func:`no_show_score` of one visit of a client whose part is already worked out."""
    return _probability(_logit(client.logit, _visit_weights(lead_days, hour, weekday, confirmed, client.record,
                                                            reminder)))


def no_show_score(history: History, *, lead_days: float, hour: int, weekday: int, confirmed: bool,
                  reminders: ReminderRecord = NO_REMINDERS, reminder: ReminderState = NOT_REMINDED) -> float:
    """:func:`no_show_risk`'s score alone, without its factors in words: what a calendar of a
    thousand visits needs for each (the words are spelled out only where a badge shows)."""
    return visit_score(client_odds(history, reminders), lead_days=lead_days, hour=hour, weekday=weekday,
                       confirmed=confirmed, reminder=reminder)


def level_of(score: float) -> str:
    return "high" if score >= 0.25 else "medium" if score >= 0.12 else "low"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _answer_label(record: ReminderRecord) -> str:
    n, answered = record.reminded, record.answered
    if answered == 0:
        return f"never answers reminders (0 of {n})"
    said = (f"confirmed {record.confirmed}" if not record.cancelled
            else f"cancelled {record.cancelled}" if not record.confirmed
            else f"confirmed {record.confirmed}, cancelled {record.cancelled}")
    if 2 * answered >= n:
        return f"answers reminders ({said} of {n})"
    return f"seldom answers reminders ({said} of {n})"


def no_show_risk(
    history: History, *, lead_days: float, hour: int, weekday: int, confirmed: bool,
    reminders: ReminderRecord = NO_REMINDERS, reminder: ReminderState = NOT_REMINDED,
) -> Risk:
    """The risk that this appointment ends as a no-show, with the factors that make it.

    ``reminders``: the client's record with past reminders; ``reminder``: this visit's so far.
    """
    client = _client_weights(history, reminders)
    visit = _visit_weights(lead_days, hour, weekday, confirmed, reminders, reminder)
    new, no_shows, late, reliable, answering = client
    lead, clock, monday, confirmation, no_answer, undelivered = visit
    visits = history.completed + history.no_shows + history.late_cancels
    labels: list[tuple[str, float]] = []
    if new:
        labels.append(("new client (no history yet)", new))
    if history.no_shows:
        labels.append((f"{_plural(history.no_shows, 'past no-show')} in {visits} visits", no_shows))
    if history.late_cancels:
        labels.append((_plural(history.late_cancels, "late cancellation"), late))
    if reliable:
        labels.append(("attends reliably", reliable))
    if lead_days >= 21:
        labels.append((f"booked {int(lead_days)} days ahead", lead))
    elif lead:
        labels.append(("booked within two days", lead))
    if clock:
        labels.append(("early morning" if hour < 9 else "evening", clock))
    if monday:
        labels.append(("Monday", monday))
    labels.append(("confirmed by reply" if confirmed and reminder.confirmed_by_reply
                   else "confirmed" if confirmed else "not confirmed", confirmation))
    if reminders.reminded:
        labels.append((_answer_label(reminders), answering))
    if no_answer:
        labels.append(("reminded, no answer yet", no_answer))
    if reminder.undelivered:
        labels.append(("reminder could not be delivered (the client may not know)", undelivered))
    elif undelivered:
        labels.append((f"reminders to this client fail ({reminders.undelivered} of "
                       f"{reminders.undelivered + reminders.reminded})", undelivered))
    score = _probability(_logit(_logit(BASE, client), visit))
    return Risk(score, level_of(score), tuple(Factor(label, weight) for label, weight in labels))
