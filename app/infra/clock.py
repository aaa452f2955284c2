"""The clock and Europe/London conversions. Services take ``now`` from here so tests can move time."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time

from babel.dates import format_datetime, format_timedelta

from app.text import EN_GB, LONDON


def now() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


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
    """The UK way: ``5pm on Friday 14 August 2026`` (``5:30pm`` when there are minutes)."""
    if moment is None:
        return ""
    local = to_london(moment)
    day = format_datetime(local, "EEEE d MMMM yyyy", tzinfo=LONDON, locale=EN_GB)
    if not with_time:
        return day
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    clock = f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"
    if local.hour == 12 and local.minute == 0:
        clock = "midday"
    elif local.hour == 0 and local.minute == 0:
        clock = "midnight"
    return f"{clock} on {day}"


def format_remaining(deadline: datetime, at: datetime | None = None) -> str:
    """``3 days``, ``5 hours``, or ``closed`` once the deadline has passed."""
    at = at or now()
    left = deadline - at
    if left.total_seconds() <= 0:
        return "closed"
    return format_timedelta(left, threshold=1.5, locale=EN_GB)
