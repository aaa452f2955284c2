"""Pledged over time, as SQL aggregates: the running total after each pledge change, at most ``MAX_POINTS``
points whatever the number of members, and the exact total at any moment.

Each revision records its change to the live total and to the number of organisations with a live pledge
(``PledgeRevision.amount_change_pence`` and ``members_change``, written with it); the running total is their
``SUM() OVER`` in commit order, read along the (bid, time) index without decoding any revision's JSON. Up to
``MAX_POINTS`` revisions every one is a point, as the log has it. Beyond that the changes are summed per time
bucket of ``_step`` seconds, and the points are the total at the end of each bucket; the step always divides an
hour, so every UK day and every whole hour ends on a bucket boundary: the charts' daily table reads exact
figures from them. The projection's starting figure, which falls anywhere, is read with ``pledged_at`` instead.

A bucketed series is kept incrementally: the revision log only grows at its end, so the buckets before the
newest one do not change. Each process keeps them per (bid, step) with a fingerprint of the revisions they were
summed from (how many, the sum of their changes and the newest one's time), and the next read checks
that fingerprint in the statement that counts the revisions and sums only the buckets from the newest on. A
revision that lands among the kept buckets after all (a change that committed late, a backdated import, a
rollback, another database) fails the check and the whole series is summed again. Raises nothing."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.infra import clock
from app.models import Bid, PledgeRevision

#: More revisions than this and the series is bucketed by time (a chart 524 pixels wide shows no more).
MAX_POINTS = 400
_STEPS = (60, 300, 900, 1800, 3600)  # seconds; each divides an hour
#: bucketed series kept per process (a few KB each)
KEPT_SERIES = 256
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Point:
    at: datetime
    pledged_pence: int
    members: int


@dataclass(frozen=True)
class _Sums:
    """What the revisions before a moment add up to: the kept buckets' fingerprint."""

    count: int = 0
    amount: int = 0
    newest: datetime | None = None


@dataclass(frozen=True)
class _Kept:
    """A bid's buckets before ``boundary`` (final: no revision can join them) and the sums they came from."""

    boundary: datetime
    sums: _Sums
    points: tuple[Point, ...]


class _KeptSeries:
    """The bucketed series this process keeps, the least recently read dropped first (thread-safe)."""

    def __init__(self, size: int = KEPT_SERIES) -> None:
        self.size, self._lock, self._kept = size, threading.Lock(), OrderedDict()

    def get(self, key) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def put(self, key, kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


def _kept_series() -> _KeptSeries:
    return current_app.extensions.setdefault("kept_series", _KeptSeries())


def _epoch_seconds(column, dialect: str):
    if dialect == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch() reads the stored text about twice as fast
            return sa.func.unixepoch(column)
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def _step(bid: Bid, now: datetime) -> int:
    span = max((now - bid.created_at).total_seconds(), 1)
    return next((s for s in _STEPS if span / s <= MAX_POINTS), _STEPS[-1])


def pledged_series(bid: Bid, *, max_points: int = MAX_POINTS) -> list[Point]:
    """The live total and the number of organisations with a live pledge after each change, oldest first (two
    queries, read from one covering index; at most ``max_points`` rows, or one per bucket of a long bid,
    whatever the number of members)."""
    statements = _statements(db.session.get_bind().dialect.name)
    step = _step(bid, clock.now())
    key, kept_series = (bid.id, step), _kept_series()
    kept = kept_series.get(key)
    since = kept.boundary if kept is not None else _EPOCH
    found = db.session.execute(statements.count, {"bid_id": bid.id, "since": since}).one()
    if found[0] <= max_points:  # every change its own point
        return _merged(
            Point(at, int(total or 0), int(members or 0))
            for at, total, members in db.session.execute(statements.each, {"bid_id": bid.id})
        )
    before = _Sums(int(found[1]), int(found[2] or 0), found[3])
    if kept is None or kept.sums != before:  # nothing kept, or the kept buckets changed after all: sum them all
        kept, since = None, _EPOCH
    buckets = db.session.execute(statements.buckets, {"bid_id": bid.id, "step": step, "since": since}).all()
    points = list(kept.points) if kept is not None else []
    sums = kept.sums if kept is not None else _Sums()
    total, members = (points[-1].pledged_pence, points[-1].members) if points else (0, 0)
    # Every bucket but the newest is final: keep them with their sums, for the next read to start after them.
    for n, (at, amount, moved, count) in enumerate(buckets):
        total, members = total + int(amount or 0), members + int(moved or 0)
        points.append(Point(at, total, members))
        if n < len(buckets) - 1:
            sums = _Sums(sums.count + count, total, at)
    if buckets:
        newest_start = _bucket_start(buckets[-1][0], step)
        kept_series.put(key, _Kept(newest_start, sums, tuple(points[:-1])))
    return _merged(points)


def _bucket_start(at: datetime, step: int) -> datetime:
    seconds = int((at - _EPOCH).total_seconds())
    return datetime.fromtimestamp(seconds - seconds % step, UTC)


def _merged(points) -> list[Point]:
    """Changes committed at the same moment make one point."""
    merged: list[Point] = []
    for point in points:
        if merged and merged[-1].at == point.at:
            merged[-1] = point
        else:
            merged.append(point)
    return merged


def pledged_at(bid: Bid, moment: datetime) -> int:
    """The live total as it stood at ``moment``: the sum of every change up to then, in one query."""
    statements = _statements(db.session.get_bind().dialect.name)
    return int(db.session.scalar(statements.total_at, {"bid_id": bid.id, "moment": moment}))


@dataclass(frozen=True)
class _Statements:
    count: sa.Select
    each: sa.Select
    buckets: sa.Select
    total_at: sa.Select


@functools.cache
def _statements(dialect: str) -> _Statements:
    """The series' statements, built once per SQL dialect with their values as parameters: SQLAlchemy then keeps
    their cache keys instead of working them out again over the window functions on every call."""
    revision = PledgeRevision
    of_bid = revision.bid_id == sa.bindparam("bid_id")
    ordered = {"order_by": (revision.created_at, revision.id)}
    each = (
        sa.select(
            revision.created_at,
            sa.func.sum(revision.amount_change_pence).over(**ordered),
            sa.func.sum(revision.members_change).over(**ordered),
        )
        .where(of_bid)
        .order_by(revision.created_at, revision.id)
    )
    since = sa.bindparam("since", type_=revision.created_at.type)
    kept = (of_bid, revision.created_at < since)
    # How many revisions the bid has, and the fingerprint of those before ``since`` (the kept buckets): each part
    # a range of the (bid, time) index, the newest found by seeking to its end.
    newest = sa.select(revision.created_at).where(*kept).order_by(revision.created_at.desc()).limit(1)
    count = sa.select(
        sa.select(sa.func.count()).select_from(revision).where(of_bid).scalar_subquery(),
        sa.func.count(),
        sa.func.sum(revision.amount_change_pence),
        newest.scalar_subquery(),
    ).where(*kept)
    bucket = _epoch_seconds(revision.created_at, dialect) // sa.bindparam("step", type_=sa.BigInteger)
    buckets = (
        sa.select(
            sa.func.max(revision.created_at).label("at"),
            sa.func.sum(revision.amount_change_pence),
            sa.func.sum(revision.members_change),
            sa.func.count(),
        )
        .where(of_bid, revision.created_at >= since)
        .group_by(bucket)
        .order_by(sa.literal_column("at"))
    )
    total_at = sa.select(sa.func.coalesce(sa.func.sum(revision.amount_change_pence), 0)).where(
        of_bid, revision.created_at <= sa.bindparam("moment")
    )
    return _Statements(count, each, buckets, total_at)
