"""What the current transaction has already read, so that a request asks the database each fact once.

A view checks that the person's organisation joined the bid, then the service it calls checks again (it must:
services are called from the pages, the API and the CLI). ``remembered`` keeps such a fact for the rest of the
transaction: the second check is answered from memory, and the memory ends with the transaction (commit or
rollback), so nothing read in one transaction is believed in the next.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "transaction_facts"


def remembered(session: Session, key: Hashable, load: Callable[[], T], *, keep: Callable[[T], bool] = bool) -> T:
    """``load()``'s answer, read once per transaction; an answer for which ``keep`` is false is not kept."""
    facts = session.info.setdefault(_KEY, {})
    if key in facts:
        return facts[key]
    value = load()
    if keep(value):
        facts[key] = value
    return value


def remember(session: Session, key: Hashable, value: object) -> None:
    """Keep a fact read as part of another statement, as ``remembered`` would have kept it."""
    session.info.setdefault(_KEY, {})[key] = value


def install(session_class) -> None:
    """Forget a session's facts whenever its outermost transaction ends (once, however many apps are made)."""
    if getattr(session_class, "_facts_installed", False):
        return
    session_class._facts_installed = True

    @event.listens_for(session_class, "after_transaction_end")
    def _forget(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop(_KEY, None)
