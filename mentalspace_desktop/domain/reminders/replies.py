"""What a client's reply means: confirm, cancel, opt out, opt back in, ask for help, or something a
person must read.

A reply is read as one word once case, spaces and punctuation are set aside ("  y! ", "Yes.", "c",
"2"): anything longer ("yes but I'll be late") goes to a person, as carriers also act only on
single-word keywords.

Carrier keywords. Twilio (and the US carriers) treat STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT
(and lately OPTOUT, REVOKE) as opt-outs: they block further texts from the number (error 21610) and
still pass the message on. START, UNSTOP and YES opt back in; HELP and INFO ask for help. The issue
makes "cancel" cancel the appointment, and a lone CANCEL is also an opt-out at the carrier whatever we
decide, so "CANCEL" does both: it cancels the appointment and records that texts are withdrawn (the
carrier will refuse them anyway), and the front desk is told so the client can be asked to text START
if they still want reminders. "C" and "2" cancel only. "Y"/"YES"/"1" confirm; YES also lifts a carrier
block, but it never restores our own recorded consent (only START/UNSTOP do): a client who said STOP
is not texted again because they confirmed something by a word that happens to be a keyword.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


CONFIRM_WORDS = frozenset({"Y", "YES", "1", "CONFIRM", "SI", "SÍ"})
CANCEL_WORDS = frozenset({"C", "CANCEL", "2"})
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


@dataclass(frozen=True)
class Reading:
    intent: Intent
    word: str
    """The reply as read (upper case, no spaces or punctuation); empty when it is not one word."""
    carrier_opt_out: bool = False
    """The carrier treats this word as an opt-out, so texts to the number stop whatever we do."""


def normalise(text: str) -> str:
    """Upper case with spaces, punctuation and symbols removed ("  y! " → "Y", "stop all" → "STOPALL")."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def read_reply(text: str) -> Reading:
    """What ``text`` (an SMS body, or the digits pressed on a call) asks for."""
    if len(text) > 40 or len(re.findall(r"\w+", text)) > 2:
        return Reading(Intent.OTHER, "")
    word = normalise(text)
    carrier = word in OPT_OUT_WORDS
    if word in CANCEL_WORDS:
        return Reading(Intent.CANCEL, word, carrier_opt_out=carrier)
    if word in CONFIRM_WORDS:
        return Reading(Intent.CONFIRM, word)
    if carrier:
        return Reading(Intent.OPT_OUT, word, carrier_opt_out=True)
    if word in OPT_IN_WORDS:
        return Reading(Intent.OPT_IN, word)
    if word in HELP_WORDS:
        return Reading(Intent.HELP, word)
    return Reading(Intent.OTHER, word)


def read_keypress(digits: str) -> Intent:
    """A key pressed during a reminder call: 1 confirms, 2 cancels, anything else needs a person."""
    pressed = digits.strip()[:1]
    return {"1": Intent.CONFIRM, "2": Intent.CANCEL}.get(pressed, Intent.OTHER)
