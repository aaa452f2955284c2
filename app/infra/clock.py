"""The clock and Europe/London conversions. Services take ``now`` from here so tests can move time.

A write is judged against a deadline by the moment the server received it (``received_at``), not by when
it got through the queue for the database: ``app.web.received`` stamps that moment at the start of each
request, before anything else in the app runs, and services read it from here, never from ``request``.

``frozen(moment)`` sets the clock for a block, in this thread (context) only: the seeding path (``app.seeding``)
runs the services at past moments with it, so what they write is stamped as it would have been then.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from babel.dates import format_datetime, format_timedelta

from app.text import EN_GB, LONDON, london_datetime

#: The moment ``now`` answers while a ``frozen`` block runs; unset (the real time) everywhere else.
_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("frozen_now", default=None)


def now() -> datetime:
    """Aware UTC now (the frozen moment inside a ``frozen`` block)."""
    return _frozen.get() or datetime.now(UTC)


@contextlib.contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Make ``now`` answer ``moment`` while the block runs, in this context only (a request in another thread
    still sees the real time). Blocks nest; the outer moment comes back when an inner block ends."""
    if moment.tzinfo is None:
        raise ValueError("a frozen moment must be timezone-aware")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _frozen.reset(token)


#: The moment the request being served reached the server; unset outside a request.
_received: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("received", default=None)


def received_at() -> datetime:
    """When the current request reached the server, or now when there is no request (CLI, scheduler, tests).

    Deadlines are judged by this moment, so a write that arrived before the deadline is not refused because
    it then waited behind other writers for the database.
    """
    return _received.get() or now()


@contextlib.contextmanager
def receiving(moment: datetime) -> Iterator[datetime]:
    """Treat ``moment`` as the current request's arrival while the block runs."""
    if moment.tzinfo is None:
        raise ValueError("the moment a request was received must be timezone-aware")
    token = _received.set(moment)
    try:
        yield moment
    finally:
        _received.reset(token)


def from_london(day: date, at: time) -> datetime:
    """A wall-clock date and time in London as aware UTC.

    Raises ValueError for a time that does not exist in London (the hour skipped when clocks go forward).
    In the repeated hour when clocks go back, the first (BST) occurrence is meant.
    """
    local = datetime.combine(day, at).replace(tzinfo=LONDON, fold=0)
    round_trip = local.astimezone(UTC).astimezone(LONDON)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError("That time does not exist in the UK: the clocks go forward then. Choose another time.")
    return local.astimezone(UTC)


def to_london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


@functools.lru_cache(maxsize=8192)  # pure, and Babel's date formatting is slow
def format_uk(moment: datetime | None, *, with_time: bool = True) -> str:
    """The UK way: ``5pm on Friday 14 August 2026`` (``5:30pm``, ``midday``), as ``app.text.london_datetime``."""
    if moment is None:
        return ""
    if not with_time:
        return format_datetime(to_london(moment), "EEEE d MMMM yyyy", tzinfo=LONDON, locale=EN_GB)
    return london_datetime(moment)


def format_uk_zoned(moment: datetime | None) -> str:
    """``format_uk`` naming the UK's zone at that moment: ``5pm on Friday 14 August 2026 (BST)``."""
    if moment is None:
        return ""
    return f"{format_uk(moment)} ({to_london(moment).tzname()})"


def format_remaining(deadline: datetime, at: datetime | None = None) -> str:
    """``3 days``, ``5 hours``, or ``closed`` once the deadline has passed."""
    at = at or now()
    left = deadline - at
    if left.total_seconds() <= 0:
        return "closed"
    return format_timedelta(left, threshold=1.5, locale=EN_GB)
