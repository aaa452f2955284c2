"""The kinds of live event, declared in one table: the sentence each shows in the feed, and who may see it.

A new area adds its kinds with ``declare(kind, sentence, convenor_only=...)`` beside the code that emits them
(``audit.emit``); the live feed (app.services.snapshots) reads only this table. A kind nobody declared still shows,
as its name in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.infra import clock
from app.money import format_pence

Sentence = Callable[[dict], str]


@dataclass(frozen=True)
class EventKind:
    name: str
    #: one sentence for the feed from the payload (amounts only when the payload still carries them)
    sentence: Sentence
    #: members never see it (who declined is the convenor's business)
    convenor_only: bool = False


KINDS: dict[str, EventKind] = {}


def declare(name: str, sentence: Sentence, *, convenor_only: bool = False) -> EventKind:
    KINDS[name] = kind = EventKind(name, sentence, convenor_only)
    return kind


def convenor_only_kinds() -> frozenset[str]:
    return frozenset(name for name, kind in KINDS.items() if kind.convenor_only)


def describe(kind: str, payload: dict) -> str:
    """One sentence for the feed, e.g. ``Riverside Homes confirmed £250,000 covering 12,400 homes``."""
    declared = KINDS.get(kind)
    return declared.sentence(payload) if declared else kind.replace(".", " ").capitalize()


# --- the sentences ----------------------------------------------------------------------------------


def _who(payload: dict) -> str:
    return payload.get("organisation") or "An organisation"


def _figures(payload: dict) -> str:
    amount, homes = payload.get("amount_pence"), payload.get("homes")
    if amount is None:
        return ""
    return f" {format_pence(amount)}" + (f" covering {homes:,} homes" if homes is not None else "")


def _confirmed(payload: dict) -> bool:
    return payload.get("status") == "confirmed"


def _pledge_created(p: dict) -> str:
    figures, confirmed = _figures(p), _confirmed(p)
    if figures:
        return f"{_who(p)} {'confirmed' if confirmed else 'pledged'}{figures}" + ("" if confirmed else " (indicative)")
    return f"{_who(p)} made {'a confirmed' if confirmed else 'an indicative'} pledge"


def _pledge_amended(p: dict) -> str:
    figures, previous = _figures(p), p.get("previous_amount_pence")
    if figures and previous is not None and previous != p.get("amount_pence"):
        return f"{_who(p)} changed its pledge from {format_pence(previous)} to{figures}"
    return f"{_who(p)} updated its pledge" + (f":{figures}" if figures else "")


def _withdrawn(p: dict) -> str:
    amount = p.get("amount_pence")
    return f"{_who(p)} withdrew its pledge" + (f" of {format_pence(amount)}" if amount is not None else "")


def _format_iso(value) -> str:
    try:
        return clock.format_uk(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return "a new time"


declare("pledge.created", _pledge_created)
declare(
    "pledge.confirmed",
    lambda p: f"{_who(p)} confirmed{_figures(p)}" if _figures(p) else f"{_who(p)} confirmed its pledge",
)
declare("pledge.amended", _pledge_amended)
declare("pledge.reinstated", lambda p: f"{_who(p)} pledged again" + (f":{_figures(p)}" if _figures(p) else ""))
declare("pledge.withdrawn", _withdrawn)
declare("invitation.accepted", lambda p: f"{_who(p)} joined the bid")
declare("invitation.declined", lambda p: f"{_who(p)} declined the invitation", convenor_only=True)
declare("bid.extended", lambda p: f"The deadline moved to {_format_iso(p.get('deadline'))}")
declare("bid.reopened", lambda p: f"The bid reopened; the deadline is now {_format_iso(p.get('deadline'))}")
declare("bid.status", lambda p: f"The bid is now {p.get('status', 'changed')}")
declare("bid.edited", lambda p: "The convenor updated the bid's details")
