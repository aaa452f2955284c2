"""Periods: parsing ``YYYY-MM`` and ``YYYY-MM..YYYY-MM``, their due and lock moments (end of day, UK time), and
opening every period whose months have ended (the idempotent sweep step ``return periods``).

Raises ValueError from ``parse_key`` (callers turn it into a field message).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.infra import clock, sweeps, units
from app.models import Period, Programme

_MONTH = r"(\d{4})-(0[1-9]|1[0-2])"
_KEY = re.compile(rf"^{_MONTH}(?:\.\.{_MONTH})?$")
#: the most months a combined first period may span
MAX_COMBINED = 12


def parse_key(text: str) -> tuple[date, date]:
    """``2020-03`` → (2020-03-01, 2020-03-01); ``2020-03..2020-04`` → (2020-03-01, 2020-04-01)."""
    match = _KEY.match(str(text or "").strip())
    if not match:
        raise ValueError("Enter a month as YYYY-MM (2026-09), or a combined range as YYYY-MM..YYYY-MM.")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    end = date(int(match.group(3)), int(match.group(4)), 1) if match.group(3) else start
    if end < start:
        raise ValueError("The range must run forwards: the first month, two dots, then the last month.")
    if months_between(start, end) + 1 > MAX_COMBINED:
        raise ValueError(f"A combined period can span at most {MAX_COMBINED} months.")
    if start.year < 2000:
        raise ValueError("Choose a month from 2000 on.")
    return start, end


def key_for(start: date, end: date) -> str:
    first = f"{start.year:04d}-{start.month:02d}"
    return first if start == end else f"{first}..{end.year:04d}-{end.month:02d}"


def months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def last_day(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def end_of_day(day: date) -> datetime:
    """The end of ``day`` in UK time, as UTC: the first moment of the next day there (GMT or BST as it falls)."""
    return clock.from_london(day + timedelta(days=1), time(0, 0))


def ends_at(end_month: date) -> datetime:
    """The moment a period's last month ends (and the period opens for returns)."""
    return end_of_day(last_day(end_month))


def due_at(end_month: date, due_days: int) -> datetime:
    return end_of_day(last_day(end_month) + timedelta(days=due_days))


def lock_at(end_month: date, lock_days: int) -> datetime | None:
    return None if lock_days == 0 else end_of_day(last_day(end_month) + timedelta(days=lock_days))


def wanted(programme: Programme, now: datetime) -> list[tuple[date, date]]:
    """Every period from the first to the last month that has ended at ``now``, as (start, end) months."""
    return wanted_from(programme.first_period, now)


def wanted_from(first_period: str, now: datetime) -> list[tuple[date, date]]:
    """``wanted`` for a programme whose first period is ``first_period``."""
    start, end = parse_key(first_period)
    found = []
    while ends_at(end) <= now:
        found.append((start, end))
        start = end = next_month(end)
    return found


def ensure_periods(programme: Programme, now: datetime | None = None) -> list[Period]:
    """Create the programme's missing periods (idempotent: a unique key per programme and start month; a period
    another process created first is skipped). Returns the periods created."""
    now = now or clock.now()
    have = {p.start_month for p in programme.periods}
    created = []
    for start, end in wanted(programme, now):
        if start in have:
            continue
        period = Period(
            programme_id=programme.id,
            key=key_for(start, end),
            start_month=start,
            end_month=end,
            measure_set_id=programme.current_set.id,
            due_at=due_at(end, programme.due_days),
            lock_at=lock_at(end, programme.lock_days),
            opened_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(period)
        except IntegrityError:
            continue
        created.append(period)
    if created:
        db.session.expire(programme, ["periods"])
    return created


def find_period(programme: Programme, key: str) -> Period | None:
    return db.session.scalar(sa.select(Period).where(Period.programme_id == programme.id, Period.key == key))


def open_due(now: datetime | None = None) -> int:
    """Open every period that has ended, across programmes: one unit of work per programme with a period to open.

    Finding them takes two queries whatever the number of programmes (each programme's first period, and the
    periods there are); a sweep with nothing to open does nothing more.
    """
    now = now or clock.now()
    have: dict[int, set[date]] = defaultdict(set)
    for programme_id, start in db.session.execute(sa.select(Period.programme_id, Period.start_month)):
        have[programme_id].add(start)
    ids = []
    for programme_id, first_period in db.session.execute(
        sa.select(Programme.id, Programme.first_period).order_by(Programme.id)
    ):
        try:
            missing = any(start not in have[programme_id] for start, _end in wanted_from(first_period, now))
        except ValueError:  # a first period that does not parse: its unit fails and is logged, as before
            missing = True
        if missing:
            ids.append(programme_id)
    units.end_read()

    def one(programme_id: int) -> int:
        return len(ensure_periods(db.session.get(Programme, programme_id), now))

    return sum(n for _, n in units.each(ids, one, what="opening periods of programme"))


@sweeps.step("return periods", order=5)
def _sweep_step() -> dict:
    return {"return_periods_opened": open_due()}
